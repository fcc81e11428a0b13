import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, type ProxyHeader } from '../src/index.js';
import { hex, toHex } from './helpers.js';

interface Vector {
  name: string;
  source: string;
  how: string;
  hex: string;
  trailingHex: string;
  expected: Partial<ProxyHeader> & {
    tlvTypes?: number[];
    uniqueIdHex?: string;
    alpnHex?: string;
    ssl?: Record<string, unknown>;
  };
}

// Captured from real HAProxy and curl by scripts/capture-vectors/capture.mjs; `expected` was
// written from the spec by an independent reader, not by this decoder.
const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('./fixtures/captured-vectors.json', import.meta.url), 'utf8'),
);

describe('vectors captured from HAProxy and curl', () => {
  it('has the cases the issue asks for', () => {
    const names = vectors.map((v) => v.name);
    for (const name of [
      'haproxy-v1-tcp4',
      'haproxy-v2-tcp6',
      'haproxy-v2-tls-all-options',
      'curl-v1-tcp4',
    ]) {
      expect(names).toContain(name);
    }
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_, vector) => {
    const header = hex(vector.hex);
    const trailing = hex(vector.trailingHex);
    const bytes = new Uint8Array(header.length + trailing.length);
    bytes.set(header);
    bytes.set(trailing, header.length);

    const result = decode(bytes);
    expect(result?.length).toBe(header.length);
    const decoded = result?.header as ProxyHeader;
    const { tlvTypes, uniqueIdHex, alpnHex, ssl, ...fields } = vector.expected;
    expect(decoded).toMatchObject(fields);
    if (fields.source === undefined) expect(decoded.source).toBeUndefined();
    if (tlvTypes) expect(decoded.tlvs.map((t) => t.type)).toEqual(tlvTypes);
    if (uniqueIdHex) expect(toHex(decoded.uniqueId as Uint8Array)).toBe(uniqueIdHex);
    if (alpnHex) expect(toHex(decoded.alpn as Uint8Array)).toBe(alpnHex);
    if (ssl) expect(decoded.ssl).toMatchObject(ssl);

    // Fed one byte more at a time, every prefix asks for more and none is mistaken for a header.
    for (let n = 0; n < header.length; n++) expect(decode(bytes.subarray(0, n))).toBeNull();
  });
});
