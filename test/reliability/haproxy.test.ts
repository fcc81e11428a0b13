import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeVerdict,
  haproxyVersion,
  type Receiver,
  startHaproxy,
  startOurs,
  type Verdict,
} from './haproxy.js';
import { type Disagreement, differences, explain } from './haproxy-differences.js';
import { edgeCases, envInt, envSeed, hex, mutants, pool, random, validHeaders } from './helpers.js';

// Differential test: the same byte streams to HAProxy (`accept-proxy`) and to our socket layer.
// In CI a missing haproxy fails; locally it skips with a message.
const version = haproxyVersion();
const required = Boolean(process.env.CI);
if (!version && !required) {
  console.warn('[reliability] haproxy not found: skipping the HAProxy differential test');
}

const MUTANTS = envInt('DIFF_MUTANTS', 10_000);
const CONCURRENCY = 32;

describe.skipIf(!version && !required)('differential testing against HAProxy', () => {
  let haproxy: Receiver;
  let ours: Receiver;

  beforeAll(async () => {
    if (!version)
      throw new Error('haproxy is not installed (CI installs it: apt-get install -y haproxy)');
    haproxy = await startHaproxy();
    ours = await startOurs();
  }, 60_000);

  afterAll(async () => {
    await ours?.stop();
    await haproxy?.stop();
  }, 30_000);

  /**
   * Both verdicts for one stream. A disagreement is asked again with a long quiet period, so a
   * slow answer on a busy machine cannot pass for a refusal.
   */
  async function compare(bytes: Uint8Array) {
    const decoded = decodeVerdict(bytes);
    let live = await ours.verdict(bytes);
    let theirs = await haproxy.verdict(bytes);
    if (!sameVerdict(decoded, live) || !sameVerdict(decoded, theirs)) {
      live = await ours.verdict(bytes, 2000);
      theirs = await haproxy.verdict(bytes, 2000);
    }
    return { bytes, decoded, live, theirs };
  }

  it('documented differences still hold: HAProxy and we part exactly as described', async () => {
    for (const entry of differences) {
      const { decoded, live, theirs } = await compare(entry.example);
      const d: Disagreement = { bytes: entry.example, ours: decoded, haproxy: theirs };
      expect(sameVerdict(decoded, live), `${entry.id}: decode and server agree`).toBe(true);
      expect(sameVerdict(decoded, theirs), `${entry.id}: still a difference`).toBe(false);
      expect(explain(d)?.id, `${entry.id}: its example matches it`).toBe(entry.id);
    }
  }, 60_000);

  it(`agrees with HAProxy ${version ?? ''} on every stream, or differs as documented`, async () => {
    const seed = envSeed('DIFF_SEED', 0x5eed);
    const corpus = [...validHeaders(), ...edgeCases(), ...mutants(random(seed), MUTANTS)];
    const results = await pool(corpus, CONCURRENCY, (bytes) => compare(bytes));

    const serverMismatch: string[] = [];
    const undocumented: string[] = [];
    const byDifference = new Map<string, number>();
    let agreed = 0;
    let accepted = 0;
    for (const { bytes, decoded, live, theirs } of results) {
      if (!sameVerdict(decoded, live)) {
        serverMismatch.push(`${hex(bytes)}\n  decode: ${show(decoded)}\n  server: ${show(live)}`);
      }
      if (sameVerdict(decoded, theirs)) {
        agreed++;
        if (decoded.accepted) accepted++;
        continue;
      }
      const entry = explain({ bytes, ours: decoded, haproxy: theirs });
      if (entry) byDifference.set(entry.id, (byDifference.get(entry.id) ?? 0) + 1);
      else
        undocumented.push(`${hex(bytes)}\n  ours:    ${show(decoded)}\n  haproxy: ${show(theirs)}`);
    }
    const documented = [...byDifference.values()].reduce((a, b) => a + b, 0);
    console.log(
      `[reliability] HAProxy ${version} differential (DIFF_SEED=${seed}): ${corpus.length} ` +
        `streams, ${agreed} agreed (${accepted} accepted by both with the same source, ` +
        `destination and authority; ${agreed - accepted} refused by both), ${documented} ` +
        `documented differences ${JSON.stringify(Object.fromEntries(byDifference))}, ` +
        `${undocumented.length} undocumented`,
    );
    expect(serverMismatch, 'decode() and the live server disagree').toEqual([]);
    expect(undocumented, `undocumented disagreements (replay: DIFF_SEED=${seed})`).toEqual([]);
  }, 600_000);
});

function sameVerdict(a: Verdict, b: Verdict): boolean {
  if (!a.accepted || !b.accepted) return a.accepted === b.accepted;
  return isDeepStrictEqual({ ...a }, { ...b });
}

function show(v: Verdict): string {
  return JSON.stringify(v);
}
