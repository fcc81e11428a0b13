// CRC32C (Castagnoli, RFC 4960 appendix B), slicing-by-8. Written here rather than taken from npm:
// the maintained packages are native addons (a build step and a platform matrix for 30 lines of
// table code) or compute plain CRC32 only, like `zlib.crc32`.

const POLY = 0x82f63b78; // reflected Castagnoli polynomial

const TABLES: Uint32Array[] = (() => {
  const tables: Uint32Array[] = [];
  for (let t = 0; t < 8; t++) tables.push(new Uint32Array(256));
  const t0 = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n] as number;
    for (let t = 1; t < 8; t++) {
      c = (t0[c & 0xff] as number) ^ (c >>> 8);
      (tables[t] as Uint32Array)[n] = c >>> 0;
    }
  }
  return tables;
})();

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/** Continue a CRC32C over `bytes[start, end)`. Start with `0xffffffff`, finish with `crc32cFinish`. */
export function crc32cUpdate(crc: number, bytes: Uint8Array, start: number, end: number): number {
  let c = crc;
  let i = start;
  const blockEnd = end - 8;
  while (i <= blockEnd) {
    const lo =
      c ^
      ((bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24));
    c =
      (T7[lo & 0xff] as number) ^
      (T6[(lo >>> 8) & 0xff] as number) ^
      (T5[(lo >>> 16) & 0xff] as number) ^
      (T4[lo >>> 24] as number) ^
      (T3[bytes[i + 4] as number] as number) ^
      (T2[bytes[i + 5] as number] as number) ^
      (T1[bytes[i + 6] as number] as number) ^
      (T0[bytes[i + 7] as number] as number);
    i += 8;
  }
  while (i < end) {
    c = (T0[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
    i++;
  }
  return c;
}

/** Continue a CRC32C over `count` zero bytes (the checksum field while it is being verified). */
export function crc32cZeros(crc: number, count: number): number {
  let c = crc;
  for (let i = 0; i < count; i++) c = (T0[c & 0xff] as number) ^ (c >>> 8);
  return c;
}

export function crc32cFinish(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC32C of `bytes`, as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  return crc32cFinish(crc32cUpdate(0xffffffff, bytes, 0, bytes.length));
}
