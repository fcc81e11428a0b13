// Quick A/B of HTTP server variants in connection-per-request or keep-alive mode: what the docs'
// "measured by leaving them out" figures come from (each experiment a build of dist/ with one
// change made by hand, loaded through DIST).
//
//   node bench/http/ab.mjs <rounds> <seconds> <close|keepalive> <variant>...
//
// variant: <kind>[:NAME=value...], kind as in server.mjs (plain, ours, floor, proxywrap), the
// NAME=value pairs set in that server's environment; DIST=<absolute path to an index.js> makes
// `ours` load that build instead of ../../dist/index.js (keep it inside packages/core, e.g. a
// copy of dist/ as dist-exp/, so its own imports resolve). The first variant is the baseline; the order
// of the variants rotates every round; prints each variant's median req/s and its ratio to the
// baseline's median.
//
//   node bench/http/ab.mjs 10 1 close plain ours floor plain

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildV1 } from '../lib/headers.mjs';
import { runWrk } from './wrk.mjs';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const [rounds, seconds, mode, ...specs] = process.argv.slice(2);
if (!specs.length || !['close', 'keepalive'].includes(mode)) {
  console.error('usage: node bench/http/ab.mjs <rounds> <seconds> <close|keepalive> <variant>...');
  process.exit(2);
}
const CLIENT = { address: '192.0.2.1', port: 51234 };
const header = buildV1({
  family: 'IPv4',
  source: CLIENT,
  destination: { address: '198.51.100.10', port: 443 },
});

const servers = [];
for (const spec of specs) {
  const [kind, ...pairs] = spec.split(':');
  const env = { ...process.env, ...Object.fromEntries(pairs.map((pair) => pair.split('='))) };
  const plain = kind === 'plain';
  const child = spawn(
    process.execPath,
    [here('./server.mjs'), kind, plain ? '127.0.0.1' : CLIENT.address],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env },
  );
  const port = await new Promise((resolve) =>
    child.on('message', (m) => m.type === 'listening' && resolve(m.port)),
  );
  servers.push({ spec, plain, child, port, rps: [] });
}

async function wrk(server, seconds) {
  const r = await runWrk({
    port: server.port,
    mode,
    header: server.plain ? null : header,
    seconds,
    connections: 50,
  });
  return r.requests / (r.duration_us / 1e6);
}

for (const server of servers) await wrk(server, 1); // warm-up
for (let round = 0; round < Number(rounds); round++) {
  for (let i = 0; i < servers.length; i++) {
    const server = servers[(i + round) % servers.length];
    server.rps.push(await wrk(server, Number(seconds)));
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const base = median(servers[0].rps);
for (const server of servers) {
  const m = median(server.rps);
  console.log(`${server.spec.padEnd(40)} ${Math.round(m)} req/s  ${(m / base).toFixed(3)}x`);
}
for (const server of servers) server.child.disconnect();
