// Independent PROXY protocol header builder for the benchmarks.
//
// The bench must not trust the code under test to make its own inputs, so this file
// builds v1 lines and v2 binary headers from scratch (spec: proxy-protocol.txt, sections
// 2.1, 2.2 and 2.2.3 for the CRC32C). It never imports `encode` from the package.

const V2_SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

export const PP2_TYPE_ALPN = 0x01;
export const PP2_TYPE_AUTHORITY = 0x02;
export const PP2_TYPE_CRC32C = 0x03;
export const PP2_TYPE_NOOP = 0x04;
export const PP2_TYPE_UNIQUE_ID = 0x05;
export const PP2_TYPE_SSL = 0x20;
export const PP2_SUBTYPE_SSL_VERSION = 0x21;
export const PP2_SUBTYPE_SSL_CN = 0x22;
export const PP2_SUBTYPE_SSL_CIPHER = 0x23;
export const PP2_SUBTYPE_SSL_SIG_ALG = 0x24;
export const PP2_SUBTYPE_SSL_KEY_ALG = 0x25;
export const PP2_TYPE_NETNS = 0x30;

// ---------------------------------------------------------------------------------------
// CRC32C (Castagnoli), reflected polynomial 0x82F63B78, as in RFC 4960 appendix B.

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// Known answer from RFC 3720 / iSCSI: CRC32C("123456789") = 0xE3069283.
if (crc32c(Buffer.from('123456789')) !== 0xe3069283)
  throw new Error('bench crc32c self-test failed');

// ---------------------------------------------------------------------------------------
// Deterministic PRNG so every run benchmarks the same inputs (mulberry32).

export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

// ---------------------------------------------------------------------------------------
// Addresses

export function ipv4ToString(bytes) {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** RFC 5952 text: lower-case hex, no leading zeros, the first longest run (>= 2) of zero groups as '::'. */
export function ipv6ToCanonical(bytes) {
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** A random public-looking IPv4 address (first octet 1..223, never 127). */
export function randomIPv4(rand) {
  let first = int(rand, 1, 223);
  if (first === 127) first = 128;
  return Uint8Array.of(first, int(rand, 0, 255), int(rand, 0, 255), int(rand, 0, 255));
}

/**
 * A random IPv6 address with varied zero runs: none, a single zero group (must not be
 * compressed), one run of 2..7 groups at the start, middle or end, or two runs (ties and
 * unequal lengths, so the "first longest run" rule matters). Group values mix full 16-bit
 * values with small ones, which have leading zeros to drop. Never inside ::/96 or
 * ::ffff:0:0/96, where RFC 5952 allows dotted-quad forms.
 */
export function randomIPv6(rand) {
  const groups = new Array(8);
  for (let i = 0; i < 8; i++) {
    const r = rand();
    groups[i] = r < 0.5 ? int(rand, 1, 0xffff) : r < 0.8 ? int(rand, 1, 0xff) : int(rand, 1, 0xf);
  }
  const zero = (from, len) => {
    for (let i = from; i < from + len && i < 8; i++) groups[i] = 0;
  };
  const pattern = int(rand, 0, 7);
  switch (pattern) {
    case 0: // no zero group at all
      break;
    case 1: // a single zero group
      zero(int(rand, 1, 6), 1);
      break;
    case 2: // one run in the middle
      {
        const len = int(rand, 2, 5);
        zero(int(rand, 1, 7 - len), len);
      }
      break;
    case 3: // one run at the end (e.g. 2001:db8::)
      {
        const len = int(rand, 2, 6);
        zero(8 - len, len);
      }
      break;
    case 4: // one run at the start (e.g. ::1:2:3), first group non-zero afterwards
      {
        const len = int(rand, 2, 5);
        zero(0, len);
      }
      break;
    case 5: // two runs of equal length: the first must be compressed
      zero(1, 2);
      zero(4, 2);
      break;
    case 6: // two runs, the second longer
      zero(1, 2);
      zero(4, 3);
      break;
    default: // documentation-style prefix 2001:db8 with a long run
      groups[0] = 0x2001;
      groups[1] = 0x0db8;
      zero(2, int(rand, 2, 5));
      break;
  }
  // Keep out of ::/96 and ::ffff:0:0/96 (IPv4-compatible / mapped forms).
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0) {
    groups[4] = int(rand, 1, 0xfffe);
  }
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = groups[i] >> 8;
    bytes[2 * i + 1] = groups[i] & 0xff;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------
// v1

/** `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n` as HAProxy writes it (inet_ntop text). */
export function buildV1({ family, source, destination }) {
  const proto = family === 'IPv4' ? 'TCP4' : 'TCP6';
  const text = `PROXY ${proto} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`;
  return Buffer.from(text, 'latin1');
}

// ---------------------------------------------------------------------------------------
// v2

/** One TLV: type, 16-bit big-endian length, value. */
export function tlv(type, value) {
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  const out = Buffer.alloc(3 + v.length);
  out[0] = type;
  out.writeUInt16BE(v.length, 1);
  v.copy(out, 3);
  return out;
}

/** PP2_TYPE_SSL: client (u8), verify (u32 BE), then sub-TLVs. */
export function sslTlv({ client, verify, subTlvs }) {
  const head = Buffer.alloc(5);
  head[0] = client;
  head.writeUInt32BE(verify >>> 0, 1);
  return tlv(PP2_TYPE_SSL, Buffer.concat([head, ...subTlvs]));
}

/**
 * A v2 PROXY/STREAM header. `tlvs` are raw TLV buffers written in order. When one of them is
 * a PP2_TYPE_CRC32C TLV, its value is computed over the whole header with the field zeroed.
 */
export function buildV2({ family, source, destination, sourceBytes, destinationBytes, tlvs = [] }) {
  const addrLen = family === 'IPv4' ? 12 : 36;
  const tlvBytes = Buffer.concat(tlvs);
  const out = Buffer.alloc(16 + addrLen + tlvBytes.length);
  out.set(V2_SIGNATURE, 0);
  out[12] = 0x21; // version 2, PROXY
  out[13] = family === 'IPv4' ? 0x11 : 0x21; // AF_INET/AF_INET6, STREAM
  out.writeUInt16BE(addrLen + tlvBytes.length, 14);
  const ipLen = family === 'IPv4' ? 4 : 16;
  out.set(sourceBytes, 16);
  out.set(destinationBytes, 16 + ipLen);
  out.writeUInt16BE(source.port, 16 + 2 * ipLen);
  out.writeUInt16BE(destination.port, 16 + 2 * ipLen + 2);
  tlvBytes.copy(out, 16 + addrLen);

  // Fill the CRC32C, if any: walk the top-level TLVs to find it.
  let p = 16 + addrLen;
  while (p + 3 <= out.length) {
    const type = out[p];
    const len = out.readUInt16BE(p + 1);
    if (type === PP2_TYPE_CRC32C) {
      if (len !== 4) throw new Error('bench builder: CRC32C TLV must be 4 bytes');
      out.fill(0, p + 3, p + 7);
      out.writeUInt32BE(crc32c(out), p + 3);
    }
    p += 3 + len;
  }
  if (p !== out.length) throw new Error('bench builder: TLVs do not fill the header');
  return out;
}

/** Parses a TLV area into [{type, value}] (one level), for describing a template. */
export function splitTlvs(bytes) {
  const out = [];
  let p = 0;
  while (p + 3 <= bytes.length) {
    const len = (bytes[p + 1] << 8) | bytes[p + 2];
    out.push({ type: bytes[p], value: bytes.subarray(p + 3, p + 3 + len) });
    p += 3 + len;
  }
  return out;
}
