// Decode benchmark: @proxyproto/core against proxy-protocol-js and @balena/proxy-protocol-parser.
//
//   pnpm bench                                   (from the repository root: builds, then runs this)
//   node --expose-gc bench/decode.bench.mjs      (from packages/core, after a build)
//
// Knobs (environment): BENCH_ROUNDS (default 50), BENCH_DECODES per timed sample (16384),
// BENCH_WARMUP rounds (5). Prints a Markdown report and writes it to
// bench/results/decode-latest.md. Method: docs/benchmarks.md, "Codec decode".

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { buildCases, HEADERS_PER_CASE } from './lib/cases.mjs';
import { canonical, checkPair, compile, hasGc, measure, stats } from './lib/harness.mjs';
import { implementations } from './lib/implementations.mjs';
import { runSpotChecks } from './lib/spot-checks.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const DECODES = Number(process.env.BENCH_DECODES ?? 16384);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const TARGET = 1.5;

let ours;
try {
  ours = await import('../dist/index.js');
} catch (error) {
  console.error(`decode bench: cannot load ../dist/index.js (${error.message}). Build first:`);
  console.error('  npx -y pnpm@10.34.8 --filter @proxyproto/core build');
  process.exit(1);
}
if (typeof ours.decode !== 'function') {
  console.error('decode bench: ../dist/index.js does not export decode()');
  process.exit(1);
}

const startedAt = Date.now();
const log = (msg) => process.stderr.write(`${msg}\n`);

// ---------------------------------------------------------------------------------------
// Inputs, and a check of the bench's own expectations

const cases = buildCases();
for (const c of cases) {
  for (const want of c.expected) {
    if (canonical(want.address, c.family) !== want.address) {
      throw new Error(`bench bug: expected address ${want.address} is not canonical`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Correctness gate: every pair must decode every header of its case right before it is timed

const impls = implementations(ours.decode);
const pairsByCase = new Map();
const status = new Map(); // `${caseId}/${implId}` -> { timed, text, check }
const notes = [];

for (const c of cases) {
  const pairs = [];
  for (const impl of impls) {
    const key = `${c.id}/${impl.id}`;
    const compiled = compile(impl, c, c.id);
    if (!compiled) {
      status.set(key, { timed: false, text: `— (${impl.note ?? 'not applicable'})` });
      continue;
    }
    const check = checkPair(compiled, c);
    if (!check.ok) {
      const what = check.threw ? `throws on ${check.threw}` : `wrong on ${check.wrong}`;
      status.set(key, { timed: false, text: `n/a (${what}/${c.inputs.length})`, check });
      notes.push(
        `**${impl.name}**, ${c.title}: ${what} of ${c.inputs.length} headers; first: ${check.example}.`,
      );
      continue;
    }
    if (c.family === 'IPv6' && check.canonicalOutput < c.inputs.length) {
      notes.push(
        `**${impl.name}**, ${c.title}: right address, but not RFC 5952 text for ${c.inputs.length - check.canonicalOutput}/${c.inputs.length} headers (${check.example}).`,
      );
    }
    status.set(key, { timed: true, check });
    pairs.push({ caseId: c.id, impl, compiled, inputs: c.inputs, samples: [] });
  }
  pairsByCase.set(c.id, pairs);
}

// Our decoder must also expose the TLVs of the TLV case (peers do not decode TLVs at all).
const tlvCase = cases.find((c) => c.id === 'v2-tlv');
{
  let bad = null;
  for (let i = 0; i < tlvCase.inputs.length && !bad; i++) {
    const want = tlvCase.extra[i];
    try {
      const h = ours.decode(tlvCase.inputs[i]).header;
      const uniqueId = h.uniqueId === undefined ? undefined : Buffer.from(h.uniqueId).toString();
      if (want.crc && h.crc32c === undefined) bad = `header #${i}: no crc32c`;
      else if (h.authority !== want.authority) bad = `header #${i}: authority ${h.authority}`;
      else if (uniqueId !== want.uniqueId) bad = `header #${i}: uniqueId ${uniqueId}`;
      else if (h.ssl?.cn !== want.sslCn) bad = `header #${i}: ssl.cn ${h.ssl?.cn}`;
    } catch (error) {
      bad = `header #${i}: ${error.message}`;
    }
  }
  if (bad) notes.push(`**@proxyproto/core**, ${tlvCase.title}: TLV fields not as sent (${bad}).`);
}

for (const c of cases) {
  const timed = pairsByCase.get(c.id).map((p) => p.impl.id);
  log(`${c.title}: ${c.inputs.length} headers; timed: ${timed.join(', ') || 'none'}`);
}

// ---------------------------------------------------------------------------------------
// Interleaved timing

log(`warm-up ${WARMUP} rounds, then ${ROUNDS} rounds x ${DECODES} decodes per pair...`);
const sink = measure(pairsByCase, {
  rounds: ROUNDS,
  warmup: WARMUP,
  decodes: DECODES,
  onRound: (r) => {
    if (r >= 0 && (r + 1) % 10 === 0) log(`  round ${r + 1}/${ROUNDS}`);
  },
});
const seconds = (Date.now() - startedAt) / 1000;

// ---------------------------------------------------------------------------------------
// Report

const fmtNs = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const fmtRate = (ns) => {
  const perSec = 1e9 / ns;
  return perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)} M` : `${(perSec / 1e3).toFixed(0)} k`;
};

const results = new Map(); // `${caseId}/${implId}` -> stats
for (const pairs of pairsByCase.values()) {
  for (const p of pairs) results.set(`${p.caseId}/${p.impl.id}`, stats(p.samples));
}

const lines = [];
const out = (s = '') => lines.push(s);
const cpu = os.cpus();
out('### Results');
out();
out(
  `${new Date().toISOString().slice(0, 10)} · Node ${process.version} (V8 ${process.versions.v8}) · ` +
    `${cpu[0]?.model?.trim() ?? 'unknown CPU'} · ${cpu.length} cores · ${os.platform()} ${os.arch()}`,
);
out();
out(
  `${ROUNDS} interleaved rounds after ${WARMUP} warm-up rounds; each round times ${DECODES} decodes ` +
    `per (case, implementation), rotating over ${HEADERS_PER_CASE} distinct pre-built headers per case; ` +
    `young-generation GC before each sample: ${hasGc ? 'yes' : 'no (run with --expose-gc)'}; ` +
    `whole run ${seconds.toFixed(0)} s.`,
);
out();
out('| Case | Implementation | Median ns/op | Min–max ns/op | Decodes/s | Peer ÷ ours |');
out('| --- | --- | ---: | ---: | ---: | ---: |');
for (const c of cases) {
  const mine = results.get(`${c.id}/ours`);
  let first = true;
  for (const impl of impls) {
    const key = `${c.id}/${impl.id}`;
    const st = status.get(key);
    const name = impl.id === 'ours' ? `**${impl.name}**` : impl.name;
    const caseCell = first ? c.title : '';
    first = false;
    if (!st.timed) {
      out(`| ${caseCell} | ${name} | ${st.text} | | | |`);
      continue;
    }
    const s = results.get(key);
    const dagger = c.id === 'v2-tlv' && impl.id !== 'ours' ? ' †' : '';
    const ratio =
      impl.id === 'ours'
        ? '1.00x'
        : mine
          ? `${(s.median / mine.median).toFixed(2)}x${dagger}`
          : 'n/a';
    out(
      `| ${caseCell} | ${name} | ${fmtNs(s.median)} | ${fmtNs(s.min)}–${fmtNs(s.max)} | ${fmtRate(s.median)} | ${ratio} |`,
    );
  }
}
out();
out(
  '† Peers do not decode TLVs: they return the addresses and skip the rest (no CRC32C check, ' +
    'no authority, unique id or SSL fields), so this row measures less work than ours does.',
);
out();
out(`#### Against the target (ours at least ${TARGET}x faster than the fastest peer)`);
out();
out('| Case | Ours ns/op | Fastest peer | Peer ns/op | Speed-up | Target |');
out('| --- | ---: | --- | ---: | ---: | --- |');
let misses = 0;
for (const c of cases) {
  const mine = results.get(`${c.id}/ours`);
  let best = null;
  for (const impl of impls) {
    if (impl.id === 'ours') continue;
    const s = results.get(`${c.id}/${impl.id}`);
    if (s && (!best || s.median < best.s.median)) best = { impl, s };
  }
  const isTarget = c.id !== 'v2-tlv';
  if (!mine) {
    out(
      `| ${c.title} | n/a | ${best?.impl.name ?? '—'} | ${best ? fmtNs(best.s.median) : '—'} | n/a | ${isTarget ? '**not measured**' : '(info)'} |`,
    );
    if (isTarget) misses++;
    continue;
  }
  if (!best) {
    out(
      `| ${c.title} | ${fmtNs(mine.median)} | none can decode it | — | — | ${isTarget ? 'met (no peer)' : '(info)'} |`,
    );
    continue;
  }
  const speedup = best.s.median / mine.median;
  const met = speedup >= TARGET;
  if (isTarget && !met) misses++;
  out(
    `| ${c.title} | ${fmtNs(mine.median)} | ${best.impl.name} | ${fmtNs(best.s.median)} | ${speedup.toFixed(2)}x | ${isTarget ? (met ? 'met' : '**missed**') : '(info, †)'} |`,
  );
}
out();
out('#### What each implementation does per decode');
out();
for (const impl of impls) out(`- **${impl.name}**: ${impl.pays}.`);
out(
  '- Every loop then adds the address length, its last character code (which forces the string ' +
    'to be flat) and the port into a checksum that is returned and printed, so nothing is dead code.',
);
out();
out('#### Cases');
out();
for (const c of cases) {
  out(`- **${c.title}**: ${c.description}${c.tlvSource ? `; ${c.tlvSource}` : ''}.`);
}
out();
out('#### Correctness gate');
out();
out(
  `Before timing, every implementation decoded all ${HEADERS_PER_CASE} headers of every case; ` +
    'source address (compared in canonical form) and port had to match what the bench built.',
);
out();
if (notes.length === 0) out('- All implementations decoded every header of every case right.');
for (const n of notes) out(`- ${n}`);
out();
out('#### Validation spot-checks (not timed)');
out();
out(`| Input | ${impls.map((i) => i.name).join(' | ')} |`);
out(`| --- | ${impls.map(() => '---').join(' | ')} |`);
for (const row of runSpotChecks(impls)) {
  out(`| ${row.label} | ${impls.map((i) => row.results.get(i.id)).join(' | ')} |`);
}
out();
out(
  `<sub>checksum ${sink >>> 0}; ${misses === 0 ? 'target met on every address case' : `target missed on ${misses} address case(s)`}</sub>`,
);

const report = `${lines.join('\n')}\n`;
process.stdout.write(report);
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('decode-latest.md', dir), report);
log(`wrote bench/results/decode-latest.md (${seconds.toFixed(0)} s)`);
