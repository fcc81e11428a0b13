import net from 'node:net';
import { enableProxyProtocol, getProxyProtocolStats } from '@proxyproto/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  concatBytes,
  describe as describeOutcome,
  edgeCases,
  envInt,
  envSeed,
  exchange,
  hex,
  listen,
  mutants,
  mutate,
  outcome,
  pool,
  random,
  tlv,
  v2raw,
  validHeaders,
} from './helpers.js';

// Fuzzing the codec and a live server. The invariant: a header, null, or a coded
// ProxyProtocolError; never another exception, never a read past the input, never a hang; on a
// server, every connection is served correctly or closed, and the process survives.
//
// CI runs the default budget. `pnpm fuzz` raises it (FUZZ_RUNS, LIVE_FUZZ_CONNECTIONS).
// Replay a failure: fast-check prints `seed` and `path` (FUZZ_SEED=<seed> reruns the same
// inputs); the live-server loop prints LIVE_FUZZ_SEED.

const RUNS = envInt('FUZZ_RUNS', 50_000);
const LIVE = envInt('LIVE_FUZZ_CONNECTIONS', 3000);
/** Generous: a hang shows up as this timeout, a slow CI machine must not. */
const LONG = Math.max(120_000, RUNS * 5);
const fcSeed = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {};
const params = (numRuns: number) => ({ numRuns, ...fcSeed });

const seeds = [...validHeaders(), ...edgeCases().filter((b) => b.length < 4096)];
const seedIndex = fc.nat({ max: seeds.length - 1 });
const mutationSeed = fc.integer({ min: 0, max: 0xffffffff });

/** A seeded mutant: 1 to 4 mutations of a corpus header, replayable from fast-check's seed. */
const mutant = fc
  .tuple(seedIndex, mutationSeed, fc.integer({ min: 1, max: 4 }))
  .map(([i, s, times]) => {
    const rng = random(s);
    let bytes = seeds[i] as Uint8Array;
    for (let k = 0; k < times; k++) bytes = mutate(rng, bytes);
    return bytes;
  });

/** v2 headers built field by field, with lengths that may lie. */
const v2Structured = fc
  .record({
    verCmd: fc.oneof(fc.constantFrom(0x20, 0x21), fc.integer({ min: 0, max: 255 })),
    famTr: fc.oneof(fc.constantFrom(0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32), fc.nat(255)),
    address: fc.uint8Array({ maxLength: 216 }),
    tlvs: fc.array(
      fc.record({
        type: fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 0x20, 0x30, 0xe0, 0xea, 0xee), fc.nat(255)),
        value: fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.constant(Uint8Array.of(1, 0, 0, 0, 0, 0x21, 0, 3, 0x54, 0x4c, 0x53)),
        ),
        lie: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 }), fc.nat(0xffff)),
      }),
      { maxLength: 5 },
    ),
    lengthLie: fc.oneof(fc.constant(0), fc.integer({ min: -4, max: 4 })),
  })
  .map(({ verCmd, famTr, address, tlvs, lengthLie }) => {
    let body = hex(address);
    for (const t of tlvs) {
      const real = tlv(t.type, t.value);
      const length =
        t.lie === 0
          ? t.value.length
          : Math.max(0, Math.min(0xffff, t.lie < 4 ? t.value.length + t.lie : t.lie));
      body += real.slice(0, 2) + length.toString(16).padStart(4, '0') + real.slice(6);
    }
    const bytes = v2raw(verCmd, famTr, body);
    const length = Math.max(0, Math.min(0xffff, bytes.length - 16 + lengthLie));
    bytes[14] = length >>> 8;
    bytes[15] = length & 0xff;
    return bytes;
  });

let inputs = 0;
const count = () => {
  inputs++;
};

afterAll(() => {
  console.log(`[reliability] fuzz: ${inputs} inputs decoded (FUZZ_RUNS=${RUNS})`);
});

describe('fuzzing decode()', () => {
  it(
    'random bytes: a header, null, or a coded ProxyProtocolError',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            // Random bytes behind a valid start, so they reach the deeper states.
            fc
              .tuple(
                fc.constantFrom('PROXY ', 'PROXY TCP4 ', 'PROXY TCP6 ', 'PROXY UNKNOWN'),
                fc.uint8Array({ maxLength: 120 }),
              )
              .map(([p, b]) => concatBytes(p, b)),
            fc
              .tuple(fc.constantFrom(0x20, 0x21), fc.nat(255), fc.uint8Array({ maxLength: 300 }))
              .map(([vc, ft, b]) => v2raw(vc, ft, b)),
          ),
          (bytes) => {
            count();
            outcome(bytes);
          },
        ),
        params(RUNS),
      );
    },
    LONG,
  );

  it(
    'mutated v1/v2 headers (bit flips, truncation, length fields, TLV lengths, CRC)',
    () => {
      fc.assert(
        fc.property(mutant, (bytes) => {
          count();
          outcome(bytes);
        }),
        params(RUNS),
      );
    },
    LONG,
  );

  it(
    'v2 headers built with lying address, header and TLV lengths',
    () => {
      fc.assert(
        fc.property(v2Structured, (bytes) => {
          count();
          outcome(bytes);
        }),
        params(RUNS),
      );
    },
    LONG,
  );

  it(
    'every split of the stream: prefixes give null until the verdict, then that verdict',
    () => {
      // decode() keeps no state, so a stream arriving in pieces is decoded as its growing
      // prefixes. The verdict may only go null -> header or null -> error, never change after.
      fc.assert(
        fc.property(fc.oneof(mutant, v2Structured), (bytes) => {
          let verdict: string | undefined;
          let headerLength = 0;
          for (let n = 0; n <= bytes.length; n++) {
            count();
            const o = outcome(bytes.subarray(0, n));
            if (verdict === undefined) {
              if (o.kind === 'incomplete') continue;
              verdict = describeOutcome(o);
              if (o.kind === 'header') headerLength = o.result.length;
              continue;
            }
            expect(describeOutcome(o), `prefix of ${n} bytes of ${hex(bytes)}`).toBe(verdict);
          }
          // A header decodes the same from any longer stream: it never depends on what follows.
          if (headerLength > 0) expect(headerLength).toBeLessThanOrEqual(bytes.length);
        }),
        params(Math.max(1, Math.floor(RUNS / 10))),
      );
    },
    LONG,
  );

  it(
    'never reads past its input: a view decodes like a copy, whatever lies behind it',
    () => {
      const tails = [
        new Uint8Array(64),
        new Uint8Array(64).fill(0xff),
        Uint8Array.from(Buffer.from('\r\n'.repeat(32))),
      ];
      fc.assert(
        fc.property(
          fc.oneof(mutant, v2Structured),
          fc.nat(),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          (bytes, cut, random) => {
            const n = cut % (bytes.length + 1);
            const expected = describeOutcome(outcome(bytes.slice(0, n)));
            for (const tail of [...tails, random]) {
              count();
              const backing = concatBytes(bytes.subarray(0, n), tail);
              expect(describeOutcome(outcome(backing.subarray(0, n)))).toBe(expected);
            }
          },
        ),
        params(Math.max(1, Math.floor(RUNS / 4))),
      );
    },
    LONG,
  );

  it(
    'never hangs: the largest headers decode (a vitest timeout would catch a hang)',
    () => {
      const block = '0102030405060708' + '04d201bb';
      const noops = '040000'.repeat(Math.floor((0xffff - 12) / 3));
      const subs = '040000'.repeat(Math.floor((0xffff - 12 - 3 - 5) / 3));
      const worst = [
        v2raw(0x21, 0x11, block + noops),
        v2raw(
          0x21,
          0x11,
          `${block}20${(5 + subs.length / 2).toString(16).padStart(4, '0')}0100000000${subs}`,
        ),
        v2raw(0x21, 0x11, block + tlv(0x03, '00000000') + noops.slice(0, noops.length - 42)),
        Uint8Array.from(Buffer.from(`PROXY UNKNOWN ${'a'.repeat(0xffff)}`)),
        new Uint8Array(0xffff + 16).fill(0x50),
      ];
      for (const bytes of worst) {
        count();
        outcome(bytes);
      }
    },
    LONG,
  );
});

describe('fuzzing a live server', () => {
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    // Echoes the address it sees and every application byte after the header, once the
    // client has half-closed: the connection is "served correctly" if both are right.
    server = net.createServer({ allowHalfOpen: true }, (socket) => {
      const parts: Buffer[] = [];
      socket.on('data', (chunk) => parts.push(chunk));
      socket.on('error', () => {});
      socket.on('end', () => {
        socket.end(
          JSON.stringify({
            address: socket.remoteAddress,
            port: socket.remotePort,
            payload: Buffer.concat(parts).toString('hex'),
          }),
        );
      });
    });
    enableProxyProtocol(server, { headerTimeout: 10_000 });
    port = await listen(server);
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends `bytes` in `pieces`, half-closes, and checks the outcome against decode(). */
  async function check(
    bytes: Uint8Array,
    cuts: number[],
    delay: number,
  ): Promise<string | undefined> {
    const sorted = [...new Set(cuts)]
      .filter((c) => c > 0 && c < bytes.length)
      .sort((a, b) => a - b);
    const chunks: Uint8Array[] = [];
    let from = 0;
    for (const c of [...sorted, bytes.length]) {
      chunks.push(bytes.subarray(from, c));
      from = c;
    }
    const o = outcome(bytes);
    const result = await exchange(port, chunks, { delay, quiet: 0, timeout: 8000 });
    if (result.ended === 'timeout') return `hung: ${hex(bytes)} cut at ${sorted}`;
    const reply = result.data.toString('utf8');
    if (o.kind !== 'header' || o.result.length > 4096) {
      // Refused (an error, or a header that never completed before the half-close): closed
      // without a byte of application data.
      return reply === '' ? undefined : `served a refused stream: ${hex(bytes)} -> ${reply}`;
    }
    const { header, length } = o.result;
    // The socket layer takes the header's source only from a PROXY header that carries an IP
    // address; otherwise it keeps the real peer.
    const real = !(
      header.command === 'PROXY' &&
      (header.family === 'IPv4' || header.family === 'IPv6') &&
      header.source !== undefined
    );
    let got: { address: string; port: number; payload: string };
    try {
      got = JSON.parse(reply);
    } catch {
      return `not served: ${hex(bytes)} cut at ${sorted} -> ${JSON.stringify(reply)}`;
    }
    const want = {
      address: real ? '127.0.0.1' : header.source?.address,
      port: real ? result.localPort : header.source?.port,
      payload: hex(bytes.subarray(length)),
    };
    return JSON.stringify(got) === JSON.stringify(want)
      ? undefined
      : `served wrongly: ${hex(bytes)} cut at ${sorted}: got ${reply}, want ${JSON.stringify(want)}`;
  }

  it('every split point of valid headers, and one byte per write, serves correctly', async () => {
    const payload = 'GET / HTTP/1.1\r\n\r\n';
    const streams = validHeaders()
      .filter((b) => b.length < 200)
      .slice(0, 8)
      .map((h) => concatBytes(h, payload));
    const jobs: { bytes: Uint8Array; cuts: number[]; delay: number }[] = [];
    for (const bytes of streams) {
      for (let k = 1; k < bytes.length; k++) jobs.push({ bytes, cuts: [k], delay: 5 });
      jobs.push({ bytes, cuts: Array.from({ length: bytes.length }, (_, i) => i), delay: 1 });
    }
    const failures = (await pool(jobs, 32, (j) => check(j.bytes, j.cuts, j.delay))).filter(Boolean);
    expect(failures).toEqual([]);
    console.log(`[reliability] live split fuzz: ${jobs.length} connections`);
  }, 120_000);

  it('mutated streams split at random points: served correctly or closed, process survives', async () => {
    const seed = envSeed('LIVE_FUZZ_SEED', 'random');
    const rng = random(seed);
    const streams = mutants(rng, LIVE).map((b) =>
      concatBytes(b, rng.chance(0.5) ? rng.bytes(rng.int(40)) : new Uint8Array(0)),
    );
    const jobs = streams.map((bytes) => ({
      bytes,
      cuts: Array.from({ length: rng.int(4) }, () => rng.int(bytes.length)),
      delay: rng.pick([0, 1, 2]),
    }));
    const failures = (await pool(jobs, 32, (j) => check(j.bytes, j.cuts, j.delay))).filter(Boolean);
    expect(failures, `replay: LIVE_FUZZ_SEED=${seed}`).toEqual([]);
    const stats = getProxyProtocolStats(server);
    expect(stats?.pending).toBe(0);
    console.log(
      `[reliability] live mutation fuzz (LIVE_FUZZ_SEED=${seed}): ${jobs.length} connections, stats ${JSON.stringify(stats)}`,
    );
  }, 300_000);
});
