// Trust-list check: what `trusted` costs per connection. proxy-addr's compiled check (what
// Express uses for `trust proxy`, and what ours wraps) against ours, which remembers its answer
// per address. Every call gets a new string, as each connection's getpeername() gives one.
//
//   node bench/trust.bench.mjs                  (from packages/core, after a build)
//
// Knobs (environment): BENCH_TRUST_CALLS per sample (200000), BENCH_TRUST_ROUNDS (9).
// Prints the median ns per check of each.

import { createRequire } from 'node:module';

const CALLS = Number(process.env.BENCH_TRUST_CALLS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_TRUST_ROUNDS ?? 9);
const { compileTrust } = await import('../dist/index.js');
const proxyAddr = createRequire(import.meta.url)('proxy-addr');

const cases = [
  { list: ['loopback'], peer: '127.0.0.1' },
  { list: ['loopback'], peer: '::ffff:127.0.0.1', note: 'IPv4 peer on a dual-stack listener' },
  { list: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], peer: '192.168.1.7' },
  {
    list: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
    peer: '203.0.113.9',
    note: 'not trusted',
  },
  { list: ['fd00::/8'], peer: 'fd00::17' },
];

/** Median ns per call of `check` over fresh copies of `peer`. */
function measure(check, peer) {
  const samples = [];
  let trusted = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // A new string object per call, made before timing: its hash is not computed yet, as with
    // a string fresh from getpeername().
    const peers = Array.from({ length: CALLS }, () => Buffer.from(peer).toString('latin1'));
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) if (check(peers[i], 0)) trusted++;
    samples.push(Number(process.hrtime.bigint() - start) / CALLS);
  }
  samples.sort((a, b) => a - b);
  return { ns: samples[samples.length >> 1], trusted: trusted > 0 };
}

console.log(`Node ${process.version}, ${ROUNDS} rounds of ${CALLS} checks, median ns per check\n`);
console.log('| `trusted` | Peer | proxy-addr ns | ours ns | Speed-up | Answer |');
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const { list, peer, note } of cases) {
  const theirs = measure(proxyAddr.compile(list), peer);
  const ours = measure(compileTrust(list), peer);
  if (theirs.trusted !== ours.trusted) throw new Error(`answers differ for ${peer} in ${list}`);
  const what = `\`${peer}\`${note ? ` (${note})` : ''}`;
  console.log(
    `| \`${list.join(', ')}\` | ${what} | ${theirs.ns.toFixed(0)} | ${ours.ns.toFixed(1)} | ` +
      `${(theirs.ns / ours.ns).toFixed(0)}x | ${ours.trusted ? 'trusted' : 'not trusted'} |`,
  );
}
