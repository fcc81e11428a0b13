import { decode, type ProxyAddress } from '@proxyproto/core';
import { describe, expect, it } from 'vitest';
import { compileHeader, headerAddresses, UsageError } from '../src/index.js';

const src = { address: '192.0.2.1', port: 40000 };
const dst = { address: '198.51.100.1', port: 443 };

describe('header options', () => {
  it('default to a v1 header', () => {
    const bytes = compileHeader({}).encode(src, dst);
    expect(Buffer.from(bytes).toString()).toBe('PROXY TCP4 192.0.2.1 198.51.100.1 40000 443\r\n');
  });

  it('switch to v2 when a TLV is asked for', () => {
    expect(compileHeader({ authority: 'example.com' }).version).toBe(2);
    expect(compileHeader({ crc32c: true }).version).toBe(2);
    expect(compileHeader({ tlv: ['0xE0=0000000000000001'] }).version).toBe(2);
  });

  it('refuse TLVs with --v1, and --v1 with --v2', () => {
    expect(() => compileHeader({ v1: true, alpn: 'h2' })).toThrow(UsageError);
    expect(() => compileHeader({ v1: true, v2: true })).toThrow(UsageError);
  });

  it('refuse a malformed --tlv', () => {
    for (const bad of ['E0=00', '0x100=00', '0xE0=0', '0xE0=zz', '256=00']) {
      expect(() => compileHeader({ tlv: [bad] }), bad).toThrow(UsageError);
    }
  });

  it('refuse a unique ID over 128 bytes, as the spec does', () => {
    expect(() => compileHeader({ 'unique-id': 'x'.repeat(129) })).toThrow(UsageError);
  });

  it('write custom TLVs after the named ones, and the CRC32C last', () => {
    const header = compileHeader({ authority: 'a', tlv: ['230=01'], crc32c: true });
    const result = decode(header.encode(src, dst));
    expect(result?.header.tlvs.map((tlv) => tlv.type)).toEqual([0x02, 230, 0x03]);
  });

  it('send IPv4-mapped addresses of a dual-stack listener as IPv4', () => {
    const mapped = headerAddresses(
      { address: '::ffff:192.0.2.1', port: 1 },
      { address: '::ffff:198.51.100.1', port: 2 },
    );
    expect(mapped).toEqual({
      family: 'IPv4',
      source: { address: '192.0.2.1', port: 1 },
      destination: { address: '198.51.100.1', port: 2 },
    });
  });

  it('send a pair of mixed families as IPv6', () => {
    const mixed = headerAddresses(
      { address: '2001:db8::1', port: 1 },
      { address: '192.0.2.1', port: 2 },
    );
    expect(mixed.family).toBe('IPv6');
    expect(mixed.destination?.address).toBe('::ffff:192.0.2.1');
    expect(
      decode(
        compileHeader({}).encode(mixed.source as ProxyAddress, mixed.destination as ProxyAddress),
      ),
    ).not.toBeNull();
  });
});
