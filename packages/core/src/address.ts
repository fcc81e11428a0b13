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

/** No run of two or more zero words: what `LONGEST_ZERO_RUN` holds for such a mask. */
const NO_RUN = 0xff;
/**
 * For each 8-bit mask of zero words (bit k: word k is 0), where RFC 5952 puts `::`: the first
 * longest run of two or more zero words, as `16 * start + length`, or NO_RUN.
 */
const LONGEST_ZERO_RUN = new Uint8Array(256);
for (let mask = 0; mask < 256; mask++) {
  let best = NO_RUN;
  let bestLength = 1;
  let run = 0;
  for (let k = 0; k < 8; k++) {
    run = mask & (1 << k) ? run + 1 : 0;
    if (run > bestLength) {
      bestLength = run;
      best = 16 * (k - run + 1) + run;
    }
  }
  LONGEST_ZERO_RUN[mask] = best;
}

/**
 * Lowercase hex of `w` without leading zeros at `out[at]`; returns the position after it.
 * Branch-free (it writes up to 4 bytes, the ones past the digits are overwritten or ignored):
 * with random words a branch on the digit count mispredicts about once a word. With it and
 * LONGEST_ZERO_RUN, v2 TCP6 went from ~410 to ~335 ns on the bench (Node 20).
 */
function putHexWord(w: number, at: number): number {
  const hex = HEX_CODES;
  // 1 + one for each of w > 0xf, w > 0xff, w > 0xfff.
  const digits = 1 + ((0xf - w) >>> 31) + ((0xff - w) >>> 31) + ((0xfff - w) >>> 31);
  const shift = 4 * digits - 4;
  out[at] = hex[(w >>> shift) & 0xf] as number;
  // A negative shift count wraps (it is taken mod 32), which only writes a '0' past the digits.
  out[at + 1] = hex[(w >>> (shift - 4)) & 0xf] as number;
  out[at + 2] = hex[(w >>> (shift - 8)) & 0xf] as number;
  out[at + 3] = hex[(w >>> (shift - 12)) & 0xf] as number;
  return at + digits;
}

/**
 * RFC 5952 text for 8 16-bit words, exactly as libuv (and so Node's `remoteAddress`) prints it:
 * lowercase, no leading zeros, the first longest run of two or more zero words as `::`, and
 * IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) addresses with a dotted tail.
 */
export function formatIPv6Words(words: Uint16Array): string {
  let zeros = 0; // bit k: word k is 0
  for (let k = 0; k < 8; k++) zeros |= (((words[k] as number) - 1) >>> 31) << k;
  const run = LONGEST_ZERO_RUN[zeros] as number;
  const gapStart = run === NO_RUN ? 8 : run >> 4;
  const gapEnd = run === NO_RUN ? 8 : gapStart + (run & 0xf);
  let n = 0;
  if (gapStart === 0 && (gapEnd === 6 || (gapEnd === 5 && words[5] === 0xffff))) {
    out[0] = 0x3a;
    out[1] = 0x3a;
    n = 2;
    if (gapEnd === 5) {
      n = putHexWord(0xffff, n);
      out[n++] = 0x3a;
    }
    const w6 = words[6] as number;
    const w7 = words[7] as number;
    n = putIPv4(w6 >>> 8, w6 & 0xff, w7 >>> 8, w7 & 0xff, n);
    return asciiString(out, 0, n);
  }
  for (let k = 0; k < gapStart; k++) {
    if (k !== 0) out[n++] = 0x3a;
    n = putHexWord(words[k] as number, n);
  }
  if (gapStart < 8) {
    out[n++] = 0x3a;
    out[n++] = 0x3a;
  }
  for (let k = gapEnd; k < 8; k++) {
    if (k !== gapEnd) out[n++] = 0x3a;
    n = putHexWord(words[k] as number, n);
  }
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

/** The bytes that separate and end the fields of a v1 line (v1.ts parses the rest of it). */
export const SP = 0x20;
export const CR = 0x0d;
export const LF = 0x0a;

/**
 * Bytes of canonical IPv6 text: bit 0 for a lowercase hex digit, bit 1 as well for `0` (so `0`
 * is 3), 4 for `:`, 0 for anything else.
 */
const CANONICAL_CLASS = new Uint8Array(256);
CANONICAL_CLASS[0x30] = 3;
for (let c = 0x31; c <= 0x39; c++) CANONICAL_CLASS[c] = 1;
for (let c = 0x61; c <= 0x66; c++) CANONICAL_CLASS[c] = 1;
CANONICAL_CLASS[0x3a] = 4;

/**
 * Fast path for v1 TCP6: if `bytes[pos, len)` starts with the rest of a TCP6 line after
 * `PROXY TCP6 `, that is two IPv6 addresses in the canonical RFC 5952 form that
 * `formatIPv6Words` prints, each followed by a space, then the two ports and CRLF (`scanPorts`),
 * returns the length of the line, with where the addresses end in `scannedSourceEnd` and
 * `scannedDestinationEnd` and the ports in `scannedSourcePort` and `scannedPort`. Otherwise -1,
 * and the caller must run the incremental parser (`parseIPv6At`), which decides between null,
 * an error and a non-canonical address. It never throws and reads nothing at or past `len`.
 *
 * One function for the whole line rather than one call per address and one for the ports: it is
 * too big for TurboFan to inline anyway, and as a single call it leaves `decode()`'s inlining
 * budget (Node 20: 920 bytes of bytecode) to the rest of the path, and inlines the port scans
 * within its own. With the change to `latin1SliceOf` in v1.ts, v1 TCP6 went from 1.44-1.48x to
 * 1.56-1.62x the speed of proxy-protocol-js's text API on the bench (~183 to ~169 ns, Node 20).
 *
 * Senders write v1 addresses with inet_ntop, so this is the form nearly every line carries, and
 * the text can be used as the string as it is. It accepts a subset of what `parseIPv6At`
 * accepts as canonical (a dotted tail, for one, always goes the slow way), so the fallback
 * keeps every decision and error as it was.
 *
 * Why it is shaped like this (Node 20, the bench's 1,024 random addresses): a loop over the
 * digits of each group mispredicts a branch at the end of almost every group, since group
 * lengths are random; that cost ~70 ns a line, more than all the rest of the scan. So each
 * group is classified without branching: the three bytes after its first one are looked up at
 * once (`s + 6 < len` keeps every read in bounds; a valid line always has that much left), and
 * the digits in a row give its length; a fifth digit is caught by the separator check.
 * Validation stays exact, as in canonical text a group is zero exactly when it is `0`: a bit
 * mask of the zero groups and one table look-up settle where `::` must stand.
 */
export function scanTcp6Fields(bytes: Uint8Array, pos: number, len: number): number {
  // A local alias: TurboFan (Node 20) reloads and re-checks a module-level table at every use.
  const cls = CANONICAL_CLASS;
  let s = pos; // start of the current group
  let firstEnd = -1; // where the source address ended, once it has
  // Once per address.
  for (;;) {
    const start = s;
    let groups = 0;
    let gap = -1; // groups written before `::`
    let zeros = 0; // bit k: the k-th group written is `0`
    if (((s + 2) | 0) >= len) return -1;
    if (bytes[s] === 0x3a) {
      if (bytes[(s + 1) | 0] !== 0x3a) return -1;
      gap = 0;
      s = (s + 2) | 0;
    }
    // `::` alone (all zeros) has no group; an empty address fails the checks below.
    if (bytes[s] !== SP) {
      for (;;) {
        // Every read below is at s + 6 or before: the group and the next, the separator after it.
        if (((s + 6) | 0) >= len) return -1;
        const first = cls[bytes[s] as number] as number;
        // 1 while the bytes after the first one are still hex digits.
        const d1 = (cls[bytes[(s + 1) | 0] as number] as number) & 1;
        const d2 = d1 & (cls[bytes[(s + 2) | 0] as number] as number);
        const d3 = d2 & (cls[bytes[(s + 3) | 0] as number] as number);
        const zero = first >> 1;
        // Not a hex digit first, or a leading zero. A fifth digit needs no look-up of its own: it
        // stands where the separator must, and fails the check below.
        if (((first & 1) ^ 1) | (zero & d1)) return -1;
        zeros |= zero << groups;
        groups = (groups + 1) | 0;
        s = (s + 1 + d1 + d2 + d3) | 0;
        const sep = bytes[s];
        if (sep !== 0x3a) {
          if (sep === SP) break;
          return -1;
        }
        if (bytes[(s + 1) | 0] === 0x3a) {
          if (gap >= 0) return -1;
          gap = groups;
          s = (s + 2) | 0;
          if (bytes[s] === SP) break;
        } else {
          s = (s + 1) | 0;
        }
      }
    }
    if (gap < 0) {
      if (groups !== 8 || LONGEST_ZERO_RUN[zeros] !== NO_RUN) return -1;
    } else {
      // `::` must stand for exactly the first longest run of two or more zero words; this also
      // refuses a `0` group next to it.
      const gapLength = 8 - groups;
      if (gapLength < 2) return -1;
      const before = zeros & ((1 << gap) - 1);
      const words = before | (((1 << gapLength) - 1) << gap) | ((zeros ^ before) << gapLength);
      if (LONGEST_ZERO_RUN[words] !== 16 * gap + gapLength) return -1;
      // libuv prints these two with a dotted IPv4 tail (::a.b.c.d, ::ffff:a.b.c.d).
      if (
        gap === 0 &&
        (gapLength === 6 ||
          (gapLength === 5 &&
            bytes[start + 2] === 0x66 &&
            bytes[start + 3] === 0x66 &&
            bytes[start + 4] === 0x66 &&
            bytes[start + 5] === 0x66))
      ) {
        return -1;
      }
    }
    if (firstEnd >= 0) {
      scannedSourceEnd = firstEnd;
      scannedDestinationEnd = s;
      return scanPorts(bytes, len, (s + 1) | 0);
    }
    firstEnd = s;
    s = (s + 1) | 0;
  }
}

/** Where the source address ends (at its space) in the last line `scanTcp6Fields` accepted. */
export let scannedSourceEnd = 0;
/** Where the destination address ends (at its space) in the last line `scanTcp6Fields` accepted. */
export let scannedDestinationEnd = 0;

/** The source port `scanPorts` found last (the destination port is left in `scannedPort`). */
export let scannedSourcePort = 0;

/**
 * Fast path for v1: two ports from `pos`, then CRLF. Returns the length of the line, or -1 to
 * take the incremental path.
 */
export function scanPorts(bytes: Uint8Array, len: number, pos: number): number {
  const sourcePortEnd = scanPortWide(bytes, pos, len, SP);
  if (sourcePortEnd < 0) return -1;
  scannedSourcePort = scannedPort;
  const cr = scanPort(bytes, sourcePortEnd + 1, len, CR);
  if (cr < 0 || cr + 1 >= len || bytes[cr + 1] !== LF) return -1;
  return cr + 2;
}

/**
 * Fast path for v1 TCP4: the position of `terminator` after a valid dotted-quad IPv4 address at
 * `bytes[pos]`, or -1 for anything else (invalid, or cut short), which the caller then hands to
 * `parseIPv4At` for its null or error. Never throws, so it can run before the strict parser.
 */
export function scanIPv4(bytes: Uint8Array, pos: number, len: number, terminator: number): number {
  let i = pos;
  for (let k = 0; ; k++) {
    if (i + 1 >= len) return -1; // a digit and what follows it
    let octet = (bytes[i] as number) - 0x30;
    if (octet < 0 || octet > 9) return -1;
    let c = bytes[++i] as number;
    if (c >= 0x30 && c <= 0x39) {
      if (octet === 0 || ++i >= len) return -1;
      octet = octet * 10 + c - 0x30;
      c = bytes[i] as number;
      if (c >= 0x30 && c <= 0x39) {
        octet = octet * 10 + c - 0x30;
        if (octet > 255 || ++i >= len) return -1;
        c = bytes[i] as number;
      }
    }
    if (k === 3) return c === terminator ? i : -1;
    if (c !== 0x2e) return -1;
    i++;
  }
}

/** Decimal digit values by byte, 16 for anything else. */
const DIGIT_VALUE = new Uint8Array(256).fill(16);
for (let i = 0; i < 10; i++) DIGIT_VALUE[0x30 + i] = i;

/**
 * `scanPort` without a branch on the number of digits, for the source port of a v1 line, whose
 * length is random (a client's ephemeral port), so that a digit loop mispredicts its exit often.
 * It reads the five bytes at `pos` at once, so it needs `pos + 5 < len` (a v1 line always has
 * that much after its source port); short of that it is `scanPort`. Same results as `scanPort`.
 */
export function scanPortWide(
  bytes: Uint8Array,
  pos: number,
  len: number,
  terminator: number,
): number {
  if (pos + 5 >= len) return scanPort(bytes, pos, len, terminator);
  // A local alias: TurboFan (Node 20) reloads and re-checks a module-level table at every use.
  const t = DIGIT_VALUE;
  const v0 = t[bytes[pos] as number] as number;
  const v1 = t[bytes[pos + 1] as number] as number;
  const v2 = t[bytes[pos + 2] as number] as number;
  const v3 = t[bytes[pos + 3] as number] as number;
  const v4 = t[bytes[pos + 4] as number] as number;
  // 1 while the bytes after the first one are still digits.
  const e1 = (v1 >> 4) ^ 1;
  const e2 = e1 & ((v2 >> 4) ^ 1);
  const e3 = e2 & ((v3 >> 4) ^ 1);
  const e4 = e3 & ((v4 >> 4) ^ 1);
  // value * 10 + digit while there are digits, value as it is after them.
  let value = v0;
  value += e1 * (value * 9 + v1);
  value += e2 * (value * 9 + v2);
  value += e3 * (value * 9 + v3);
  value += e4 * (value * 9 + v4);
  const end = pos + 1 + e1 + e2 + e3 + e4;
  // Not a digit first, a leading zero, or above 65535; a sixth digit is not the terminator.
  if ((v0 >> 4) | (((v0 - 1) >>> 31) & e1) | ((65535 - value) >>> 31)) return -1;
  if (bytes[end] !== terminator) return -1;
  scannedPort = value;
  return end;
}

/** The port `scanPort` found last. */
export let scannedPort = 0;

/**
 * Fast path for v1 ports: the position of `terminator` after a valid port (0..65535, no
 * leading zero) at `bytes[pos]`, with the value in `scannedPort`; -1 for anything else.
 */
export function scanPort(bytes: Uint8Array, pos: number, len: number, terminator: number): number {
  let i = pos;
  if (i + 1 >= len) return -1;
  let value = (bytes[i] as number) - 0x30;
  if (value < 0 || value > 9) return -1;
  let c = bytes[++i] as number;
  if (value !== 0) {
    while (c >= 0x30 && c <= 0x39) {
      value = value * 10 + c - 0x30;
      if (value > 65535 || ++i >= len) return -1;
      c = bytes[i] as number;
    }
  }
  if (c !== terminator) return -1;
  scannedPort = value;
  return i;
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
