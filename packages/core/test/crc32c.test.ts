import { describe, expect, it } from 'vitest';
import { crc32c } from '../src/index.js';
import { ascii } from './helpers.js';

describe('crc32c (Castagnoli, RFC 4960 appendix B / RFC 3720 B.4)', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
  });
  it('matches the RFC 3720 B.4 test patterns', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });
  it('is the same for every length around the 8-byte blocks', () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff);
    // Reference: the plain bytewise algorithm.
    const slow = (b: Uint8Array) => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    for (let n = 0; n <= 40; n++)
      expect(crc32c(bytes.subarray(0, n))).toBe(slow(bytes.subarray(0, n)));
  });
});
