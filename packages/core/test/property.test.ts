import { SocketAddress } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DecodeResult,
  decode,
  encode,
  isProxyProtocolError,
  type ProxyHeaderInit,
  type ProxyTlv,
} from '../src/index.js';
import { toHex } from './helpers.js';

/** What decode may do with any input: a result, null, or a ProxyProtocolError; nothing else. */
function decodeOutcome(bytes: Uint8Array): DecodeResult | null | { error: string } {
  try {
    return decode(bytes);
  } catch (error) {
    if (!isProxyProtocolError(error)) throw error;
    return { error: error.code };
  }
}

/** Canonical IPv6 text as Node prints it, from 16 bytes, for comparison. */
function nodeIPv6(bytes: Uint8Array): string {
  const full = Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number)).toString(16),
  ).join(':');
  return new SocketAddress({ address: full, family: 'ipv6' }).address;
}

// IPv6 addresses with many zero words, so every compression case comes up.
const ipv6Bytes = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((words) => {
    const bytes = new Uint8Array(16);
    words.forEach((w, i) => {
      bytes[2 * i] = w >>> 8;
      bytes[2 * i + 1] = w & 0xff;
    });
    return bytes;
  });
const ipv4 = fc.ipV4();
const ipv6 = ipv6Bytes.map(nodeIPv6);
const port = fc.integer({ min: 0, max: 65535 });
const tlv: fc.Arbitrary<ProxyTlv> = fc.record({
  // Registered types with structure are covered by unit tests; here: opaque ones.
  type: fc.oneof(fc.constant(0x04), fc.integer({ min: 0xe0, max: 0xff })),
  value: fc.uint8Array({ maxLength: 40 }),
});

const header: fc.Arbitrary<ProxyHeaderInit> = fc.oneof(
  fc.record({
    version: fc.constant(1 as const),
    family: fc.constant('IPv4' as const),
    source: fc.record({ address: ipv4, port }),
    destination: fc.record({ address: ipv4, port }),
  }),
  fc.record({
    version: fc.constant(1 as const),
    family: fc.constant('IPv6' as const),
    source: fc.record({ address: ipv6, port }),
    destination: fc.record({ address: ipv6, port }),
  }),
  fc.record({
    version: fc.constant(2 as const),
    family: fc.constant('IPv4' as const),
    transport: fc.constantFrom('STREAM' as const, 'DGRAM' as const),
    source: fc.record({ address: ipv4, port }),
    destination: fc.record({ address: ipv4, port }),
    tlvs: fc.array(tlv, { maxLength: 4 }),
  }),
  fc.record({
    version: fc.constant(2 as const),
    family: fc.constant('IPv6' as const),
    transport: fc.constantFrom('STREAM' as const, 'DGRAM' as const),
    source: fc.record({ address: ipv6, port }),
    destination: fc.record({ address: ipv6, port }),
    // No raw TLVs here: when given, they take precedence over the convenience fields.
    authority: fc.domain(),
    uniqueId: fc.uint8Array({ maxLength: 128 }),
  }),
  fc.record({
    version: fc.constant(2 as const),
    command: fc.constant('LOCAL' as const),
    tlvs: fc.array(tlv, { maxLength: 2 }),
  }),
);

describe('properties', () => {
  it('IPv6 addresses come out exactly as Node formats peer addresses', () => {
    fc.assert(
      fc.property(ipv6Bytes, port, (bytes, p) => {
        const init = {
          version: 2 as const,
          family: 'IPv6' as const,
          source: { address: nodeIPv6(bytes), port: p },
          destination: { address: '::1', port: p },
        };
        const encoded = encode(init);
        expect(toHex(encoded.subarray(16, 32))).toBe(toHex(bytes));
        expect(decode(encoded)?.header.source?.address).toBe(nodeIPv6(bytes));
        // And the same through a v1 line, written in full uncompressed uppercase.
        const full = Array.from({ length: 8 }, (_, i) =>
          (((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number))
            .toString(16)
            .toUpperCase()
            .padStart(4, '0'),
        ).join(':');
        const line = new TextEncoder().encode(`PROXY TCP6 ${full} ::1 ${p} 1\r\n`);
        expect(decode(line)?.header.source?.address).toBe(nodeIPv6(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('encode then decode gives back the header, and every prefix decodes to null', () => {
    fc.assert(
      fc.property(header, fc.boolean(), (init, crc) => {
        const bytes = encode(init, { crc32c: crc && init.version === 2 });
        const result = decode(bytes);
        expect(result?.length).toBe(bytes.length);
        const decoded = result?.header;
        expect(decoded?.version).toBe(init.version);
        if (init.command !== 'LOCAL') {
          expect(decoded?.source).toEqual(init.source);
          expect(decoded?.destination).toEqual(init.destination);
        }
        if (init.authority !== undefined) expect(decoded?.authority).toBe(init.authority);
        // Re-encoding what was decoded is byte-identical.
        expect(toHex(encode(decoded as ProxyHeaderInit))).toBe(toHex(bytes));
        for (let n = 0; n < bytes.length; n++) expect(decode(bytes.subarray(0, n))).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes give a header, null, or a ProxyProtocolError; never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        decodeOutcome(bytes);
      }),
      { numRuns: 20000 },
    );
  });

  it('mutated valid headers give a header, null, or a ProxyProtocolError', () => {
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('flip', 'set', 'truncate', 'insert', 'delete'),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(header, fc.array(mutation, { minLength: 1, maxLength: 4 }), (init, mutations) => {
        let bytes = Array.from(encode(init, { crc32c: init.version === 2 }));
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length;
          if (m.kind === 'flip') bytes[at] = (bytes[at] ?? 0) ^ (1 << (m.byte % 8));
          else if (m.kind === 'set') bytes[at] = m.byte;
          else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
          else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
          else bytes.splice(at, 1);
        }
        decodeOutcome(Uint8Array.from(bytes));
      }),
      { numRuns: 20000 },
    );
  });

  it('never reads past the end of its input: a view decodes like a copy of the same bytes', () => {
    fc.assert(
      fc.property(
        header,
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (init, cut, tail) => {
          const encoded = encode(init);
          const n = cut % (encoded.length + 1);
          const backing = new Uint8Array(n + tail.length);
          backing.set(encoded.subarray(0, n));
          backing.set(tail, n);
          const view = backing.subarray(0, n);
          expect(decodeOutcome(view)).toEqual(decodeOutcome(encoded.slice(0, n)));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('the v1 fast path', () => {
  // decodeV1 scans complete canonical lines without the byte-at-a-time parser; it must never
  // decide anything the incremental parser would decide differently.
  it('agrees with the incremental parser on valid, mutated and cut lines', async () => {
    const { decodeV1Incremental } = await import('../src/v1.js');
    const outcome = (run: () => DecodeResult | null) => {
      try {
        return run();
      } catch (error) {
        if (!isProxyProtocolError(error)) throw error;
        return { error: error.code };
      }
    };
    const line = fc.oneof(
      fc.tuple(ipv4, ipv4, port, port).map(([a, b, p, q]) => `PROXY TCP4 ${a} ${b} ${p} ${q}\r\n`),
      fc.tuple(ipv6, ipv6, port, port).map(([a, b, p, q]) => `PROXY TCP6 ${a} ${b} ${p} ${q}\r\n`),
    );
    const edit = fc.record({
      at: fc.nat(),
      byte: fc.constantFrom(0x20, 0x30, 0x31, 0x39, 0x3a, 0x2e, 0x0d, 0x0a, 0x41, 0x61, 0x66, 0x67),
      kind: fc.constantFrom('set', 'insert', 'delete', 'cut'),
    });
    fc.assert(
      fc.property(line, fc.array(edit, { maxLength: 3 }), (text, edits) => {
        let bytes = Array.from(Buffer.from(text, 'latin1'));
        for (const e of edits) {
          const at = e.at % bytes.length;
          if (e.kind === 'set') bytes[at] = e.byte;
          else if (e.kind === 'insert') bytes.splice(at, 0, e.byte);
          else if (e.kind === 'delete') bytes.splice(at, 1);
          else bytes = bytes.slice(0, at);
          if (bytes.length === 0) return;
        }
        if (bytes[0] !== 0x50) return; // not v1: decode() never reaches either parser
        const input = Buffer.from(bytes);
        expect(outcome(() => decode(input))).toEqual(
          outcome(() => decodeV1Incremental(input, input.length)),
        );
      }),
      { numRuns: 20000 },
    );
  });
});
