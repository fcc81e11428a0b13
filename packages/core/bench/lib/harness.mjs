// Correctness gate, interleaved timing and reporting for the decode benchmark.

import { HEADERS_PER_CASE } from './cases.mjs';

const MASK = HEADERS_PER_CASE - 1;

/**
 * Compiles one implementation's snippet for one case into its own functions (a fresh
 * `new Function` per pair, so no two pairs share type feedback or optimized code).
 * `run` is the timed loop; `probe` decodes one header for the correctness gate.
 */
export function compile(impl, c, tag) {
  const body = impl.body(c);
  if (body === null) return null;
  const names = Object.keys(impl.deps);
  const fn = `${tag}_${impl.id}`.replace(/[^A-Za-z0-9_]/g, '_');
  const src = `
    'use strict';
    const { ${names.join(', ')} } = deps;
    function run_${fn}(inputs, n, start) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const buf = inputs[(start + i) & ${MASK}];
        ${body}
        acc = (acc + addr.length + addr.charCodeAt(addr.length - 1) + port) | 0;
      }
      return acc;
    }
    function probe_${fn}(buf) {
      ${body}
      return { addr, port };
    }
    return { run: run_${fn}, probe: probe_${fn} };`;
  return new Function('deps', src)(impl.deps);
}

// ---------------------------------------------------------------------------------------
// Correctness

/** Canonical text of an address, or null if it does not parse. */
export function canonical(address, family) {
  if (typeof address !== 'string') return null;
  if (family === 'IPv4') {
    return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(
      address,
    )
      ? address
      : null;
  }
  try {
    // WHATWG URL serializes IPv6 hosts per RFC 5952 (lower case, first longest zero run).
    const host = new URL(`http://[${address}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return null;
  }
}

/**
 * Decodes every header of the case and compares the source address (canonical forms) and
 * port. Returns { ok, wrong, threw, canonicalOutput, example }.
 */
export function checkPair(compiled, c) {
  let wrong = 0;
  let threw = 0;
  let canonicalOutput = 0;
  let example = null;
  for (let i = 0; i < c.inputs.length; i++) {
    const want = c.expected[i];
    let got;
    try {
      got = compiled.probe(c.inputs[i]);
    } catch (error) {
      threw++;
      example ??= `header #${i} (${want.address} port ${want.port}) threw: ${String(error?.message ?? error).slice(0, 120)}`;
      continue;
    }
    const okAddr = canonical(got.addr, c.family) === want.address;
    const okPort = got.port === want.port;
    if (!okAddr || !okPort) {
      wrong++;
      example ??= `header #${i}: expected ${want.address} port ${want.port}, got ${JSON.stringify(got.addr)} port ${JSON.stringify(got.port)}`;
      continue;
    }
    if (got.addr === want.address) canonicalOutput++;
    else if (c.family === 'IPv6')
      example ??= `non-canonical output, e.g. ${got.addr} for ${want.address}`;
  }
  return { ok: wrong === 0 && threw === 0, wrong, threw, canonicalOutput, example };
}

// ---------------------------------------------------------------------------------------
// Timing

const collect =
  typeof globalThis.gc === 'function'
    ? () => {
        try {
          globalThis.gc({ type: 'minor' });
        } catch {
          globalThis.gc();
        }
      }
    : () => {};

export const hasGc = typeof globalThis.gc === 'function';

const rotate = (list, k) => list.map((_, i) => list[(i + k) % list.length]);

/**
 * Runs `warmup` untimed and `rounds` timed rounds. In every round each case is visited, and
 * within a case each implementation decodes `decodes` headers; the order of cases and of
 * implementations rotates by one place per round. Before each timed sample the young
 * generation is collected (when --expose-gc is on), so no pair pays for another's garbage.
 */
export function measure(pairsByCase, { rounds, warmup, decodes, onRound }) {
  let sink = 0;
  const caseIds = [...pairsByCase.keys()];
  for (let round = -warmup; round < rounds; round++) {
    const r = round + warmup;
    for (const caseId of rotate(caseIds, r)) {
      const pairs = pairsByCase.get(caseId);
      for (const pair of rotate(pairs, r)) {
        collect();
        const start = (r * 131) & MASK;
        const t0 = process.hrtime.bigint();
        const acc = pair.compiled.run(pair.inputs, decodes, start);
        const t1 = process.hrtime.bigint();
        sink = (sink + acc) | 0;
        if (round >= 0) pair.samples.push(Number(t1 - t0) / decodes);
      }
    }
    onRound?.(round);
  }
  return sink;
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}
