import { asciiString } from './ascii.js';
import { ErrorCodes, protocolError } from './errors.js';

/** Returned by the incremental parsers when the input ends before the token does. */
export const NEED_MORE = -1;

/** Decimal digits of each byte value, 3 char codes a value, and how many are used. */
const DEC_CODES = new Uint8Array(768);
const DEC_LENGTH = new Uint8Array(256);
/** Lowercase hex digit char codes. */
const HEX_CODES = new TextEncoder().encode('0123456789abcdef');
for (let i = 0; i < 256; i++) {
  const text = String(i);
  DEC_LENGTH[i] = text.length;
  for (let k = 0; k < text.length; k++) DEC_CODES[3 * i + k] = text.charCodeAt(k);
}

/** Hex digit values by byte, -1 for non-hex. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

/** Where addresses are spelled out as char codes before becoming strings. */
const out = new Uint8Array(48);

function putDecimal(value: number, at: number): number {
  const n = DEC_LENGTH[value] as number;
  const from = 3 * value;
  out[at] = DEC_CODES[from] as number;
  if (n > 1) {
    out[at + 1] = DEC_CODES[from + 1] as number;
    if (n > 2) out[at + 2] = DEC_CODES[from + 2] as number;
  }
  return at + n;
}

function putIPv4(a: number, b: number, c: number, d: number, at: number): number {
  let i = putDecimal(a, at);
  out[i++] = 0x2e;
  i = putDecimal(b, i);
  out[i++] = 0x2e;
  i = putDecimal(c, i);
  out[i++] = 0x2e;
  return putDecimal(d, i);
}

export function formatIPv4(bytes: Uint8Array, offset: number): string {
  const n = putIPv4(
    bytes[offset] as number,
    bytes[offset + 1] as number,
    bytes[offset + 2] as number,
    bytes[offset + 3] as number,
    0,
  );
  return asciiString(out, 0, n);
}

function putHexWord(w: number, at: number): number {
  let i = at;
  if (w >= 0x1000) out[i++] = HEX_CODES[w >>> 12] as number;
  if (w >= 0x100) out[i++] = HEX_CODES[(w >>> 8) & 0xf] as number;
  if (w >= 0x10) out[i++] = HEX_CODES[(w >>> 4) & 0xf] as number;
  out[i++] = HEX_CODES[w & 0xf] as number;
  return i;
}

/**
 * RFC 5952 text for 8 16-bit words, exactly as libuv (and so Node's `remoteAddress`) prints it:
 * lowercase, no leading zeros, the first longest run of two or more zero words as `::`, and
 * IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) addresses with a dotted tail.
 */
export function formatIPv6Words(words: Uint16Array): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase >= 0) {
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && curLen > bestLen) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestLen < 2) bestBase = -1;

  let n = 0;
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out[n++] = 0x3a;
      continue;
    }
    if (i !== 0) out[n++] = 0x3a;
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      const w6 = words[6] as number;
      const w7 = words[7] as number;
      n = putIPv4(w6 >>> 8, w6 & 0xff, w7 >>> 8, w7 & 0xff, n);
      return asciiString(out, 0, n);
    }
    n = putHexWord(words[i] as number, n);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out[n++] = 0x3a;
  return asciiString(out, 0, n);
}

const scratchWords = new Uint16Array(8);

export function formatIPv6(bytes: Uint8Array, offset: number): string {
  for (let i = 0; i < 8; i++) {
    scratchWords[i] =
      ((bytes[offset + 2 * i] as number) << 8) | (bytes[offset + 2 * i + 1] as number);
  }
  return formatIPv6Words(scratchWords);
}

// The incremental text parsers below read `bytes[pos, len)` and return the position after the
// terminator byte, or NEED_MORE when the input ends first. A byte that cannot continue a valid
// token throws at once, so a bad header is refused as soon as its first wrong byte arrives.
// Parsed values are left in these module variables to avoid allocating per call.

/** The last IPv4 address parsed, as an unsigned 32-bit integer. */
let parsedIPv4 = 0;
/** The last IPv6 address parsed, as 8 words. */
const parsedIPv6 = new Uint16Array(8);
/** Whether the last IPv6 address parsed was written in canonical form. */
let parsedIPv6Canonical = false;
/** The last port parsed. */
export let parsedPort = 0;

function invalidAddress(what: string): never {
  throw protocolError(ErrorCodes.INVALID_ADDRESS, `Invalid address in PROXY header: ${what}`);
}

/**
 * Dotted-quad IPv4: exactly 4 decimal numbers 0..255 without leading zeros, single dots,
 * followed by `terminator`.
 */
function parseIPv4At(bytes: Uint8Array, pos: number, len: number, terminator: number): number {
  let i = pos;
  let value = 0;
  for (let k = 0; k < 4; k++) {
    // Up to three digits, unrolled: this runs for every octet of every v1 TCP4 header.
    if (i >= len) return NEED_MORE;
    let octet = (bytes[i] as number) - 0x30;
    if (octet < 0 || octet > 9) invalidAddress('expected a decimal digit in an IPv4 address');
    if (++i >= len) return NEED_MORE;
    let c = bytes[i] as number;
    let d = c - 0x30;
    if (d >= 0 && d <= 9) {
      if (octet === 0) invalidAddress('leading zero in an IPv4 address');
      octet = octet * 10 + d;
      if (++i >= len) return NEED_MORE;
      c = bytes[i] as number;
      d = c - 0x30;
      if (d >= 0 && d <= 9) {
        octet = octet * 10 + d;
        if (octet > 255) invalidAddress('IPv4 octet above 255');
        if (++i >= len) return NEED_MORE;
        c = bytes[i] as number;
        if (c >= 0x30 && c <= 0x39) invalidAddress('IPv4 octet longer than 3 digits');
      }
    }
    value = (value << 8) | octet;
    if (k < 3) {
      if (c !== 0x2e) invalidAddress('expected a dot between IPv4 octets');
    } else if (c !== terminator) {
      invalidAddress('unexpected character after an IPv4 address');
    }
    i++;
  }
  parsedIPv4 = value >>> 0;
  return i;
}

/**
 * IPv6 text: groups of 1..4 hex digits, at most one `::`, exactly 128 bits, optionally ending in
 * a dotted IPv4 tail (`::ffff:192.0.2.1`), followed by `terminator`. Also notes whether the text
 * already is the canonical form, as senders write it, so that it can be used as it is.
 */
function parseIPv6At(bytes: Uint8Array, pos: number, len: number, terminator: number): number {
  const words = parsedIPv6;
  let n = 0; // words written
  let gap = -1; // word index where `::` stands
  let canonical = true; // lowercase, no leading zeros, `::` and dotted tail where RFC 5952 puts them
  let dotted = false;
  let i = pos;
  if (i >= len) return NEED_MORE;
  if (bytes[i] === 0x3a) {
    if (i + 1 >= len) return NEED_MORE;
    if (bytes[i + 1] !== 0x3a) invalidAddress('IPv6 address starts with a single colon');
    gap = 0;
    i += 2;
  }
  let afterColon = gap === 0; // a group (or the end, after `::`) may follow
  for (;;) {
    if (i >= len) return NEED_MORE;
    const c = bytes[i] as number;
    if (c === terminator) {
      if (afterColon && gap !== n) invalidAddress('IPv6 address ends with a single colon');
      break;
    }
    // A group of 1..4 hex digits.
    const groupStart = i;
    let value = HEX_VALUE[c] as number;
    if (value < 0) {
      if (c === 0x3a) invalidAddress('more than two colons in a row in an IPv6 address');
      invalidAddress('unexpected character in an IPv6 address');
    }
    if (n >= (gap >= 0 ? 7 : 8)) invalidAddress('IPv6 address longer than 128 bits');
    if (c >= 0x41 && c <= 0x46) canonical = false;
    i++;
    let digits = 1;
    let next = 0;
    for (;;) {
      if (i >= len) return NEED_MORE;
      next = bytes[i] as number;
      const d = HEX_VALUE[next] as number;
      if (d < 0) break;
      if (++digits > 4) invalidAddress('IPv6 group longer than 4 hex digits');
      if (value === 0 || (next >= 0x41 && next <= 0x46)) canonical = false;
      value = (value << 4) | d;
      i++;
    }
    if (next === 0x2e) {
      // Dotted IPv4 tail: it takes the last two words and must end the address.
      if (gap >= 0 ? n > 5 : n !== 6) invalidAddress('misplaced IPv4 tail in an IPv6 address');
      const end = parseIPv4At(bytes, groupStart, len, terminator);
      if (end === NEED_MORE) return NEED_MORE;
      words[n++] = parsedIPv4 >>> 16;
      words[n++] = parsedIPv4 & 0xffff;
      dotted = true;
      i = end - 1; // at the terminator
      afterColon = false;
      continue;
    }
    words[n++] = value;
    afterColon = false;
    if (next === 0x3a) {
      i++;
      if (i >= len) return NEED_MORE;
      if (bytes[i] === 0x3a) {
        if (gap >= 0) invalidAddress('more than one "::" in an IPv6 address');
        gap = n;
        i++;
      }
      afterColon = true;
    } else if (next !== terminator) {
      invalidAddress('unexpected character in an IPv6 address');
    }
  }
  let gapLength = 0;
  if (gap < 0) {
    if (n !== 8) invalidAddress('IPv6 address shorter than 128 bits');
  } else {
    // Expand `::` in place: move the words after the gap to the end, zero the middle.
    const tail = n - gap;
    gapLength = 8 - n;
    for (let k = 1; k <= tail; k++) words[8 - k] = words[n - k] as number;
    for (let k = gap; k < 8 - tail; k++) words[k] = 0;
  }
  if (canonical) canonical = isCanonicalLayout(words, gap, gapLength, dotted);
  parsedIPv6Canonical = canonical;
  return i + 1;
}

/** Whether `::` at `gap` (-1: none) over `gapLength` words and the tail form are RFC 5952's. */
function isCanonicalLayout(
  words: Uint16Array,
  gap: number,
  gapLength: number,
  dotted: boolean,
): boolean {
  let bestBase = -1;
  let bestLen = 1; // a single zero word is never compressed
  let run = 0;
  for (let k = 0; k < 8; k++) {
    if (words[k] === 0) {
      run++;
      if (run > bestLen) {
        bestLen = run;
        bestBase = k - run + 1;
      }
    } else {
      run = 0;
    }
  }
  if (bestBase < 0) bestLen = 0;
  if (gap !== bestBase || gapLength !== bestLen) return false;
  const wantsDotted = bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff));
  return dotted === wantsDotted;
}

export { parseIPv4At as parseIPv4, parseIPv6At as parseIPv6 };

export function lastIPv4Text(): string {
  const v = parsedIPv4;
  return asciiString(out, 0, putIPv4(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff, 0));
}

/** Canonical text of the last IPv6 address parsed, formatted from its words. */
export function formatLastIPv6(): string {
  return formatIPv6Words(parsedIPv6);
}

/** Canonical text of the last IPv6 address parsed from `bytes[start, end)`. */
export function lastIPv6Text(bytes: Uint8Array, start: number, end: number): string {
  return parsedIPv6Canonical ? asciiString(bytes, start, end - start) : formatIPv6Words(parsedIPv6);
}

/**
 * Decimal port 0..65535 without leading zeros, followed by `terminator`.
 * Throws `INVALID_PORT`; the value is left in `parsedPort`.
 */
export function parsePort(bytes: Uint8Array, pos: number, len: number, terminator: number): number {
  let i = pos;
  if (i >= len) return NEED_MORE;
  let c = bytes[i] as number;
  let value = c - 0x30;
  if (value < 0 || value > 9) {
    throw protocolError(ErrorCodes.INVALID_PORT, 'Invalid port in PROXY header: expected a digit');
  }
  i++;
  for (;;) {
    if (i >= len) return NEED_MORE;
    c = bytes[i] as number;
    const d = c - 0x30;
    if (d < 0 || d > 9) break;
    if (value === 0) {
      throw protocolError(ErrorCodes.INVALID_PORT, 'Invalid port in PROXY header: leading zero');
    }
    value = value * 10 + d;
    if (value > 65535) {
      throw protocolError(ErrorCodes.INVALID_PORT, 'Invalid port in PROXY header: above 65535');
    }
    i++;
  }
  if (c !== terminator) {
    throw protocolError(
      ErrorCodes.INVALID_PORT,
      'Invalid port in PROXY header: unexpected character after the port',
    );
  }
  parsedPort = value;
  return i + 1;
}

const textEncoder = new TextEncoder();

/** Parses a complete IPv4 address string into 4 bytes at `out[offset]`; false if it is not one. */
export function writeIPv4(text: string, out: Uint8Array, offset: number): boolean {
  const bytes = textEncoder.encode(`${text} `);
  try {
    if (parseIPv4At(bytes, 0, bytes.length, 0x20) !== bytes.length) return false;
  } catch {
    return false;
  }
  const v = parsedIPv4;
  out[offset] = v >>> 24;
  out[offset + 1] = (v >>> 16) & 0xff;
  out[offset + 2] = (v >>> 8) & 0xff;
  out[offset + 3] = v & 0xff;
  return true;
}

/** Parses a complete IPv6 address string into 16 bytes at `out[offset]`; false if it is not one. */
export function writeIPv6(text: string, out: Uint8Array, offset: number): boolean {
  const bytes = textEncoder.encode(`${text} `);
  try {
    if (parseIPv6At(bytes, 0, bytes.length, 0x20) !== bytes.length) return false;
  } catch {
    return false;
  }
  for (let i = 0; i < 8; i++) {
    const w = parsedIPv6[i] as number;
    out[offset + 2 * i] = w >>> 8;
    out[offset + 2 * i + 1] = w & 0xff;
  }
  return true;
}
