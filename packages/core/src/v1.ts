import {
  CR,
  formatLastIPv6,
  LF,
  lastIPv6Text,
  NEED_MORE,
  parsedPort,
  parseIPv4,
  parseIPv6,
  parsePort,
  SP,
  scanIPv4,
  scannedDestinationEnd,
  scannedPort,
  scannedSourceEnd,
  scannedSourcePort,
  scanPorts,
  scanTcp6Fields,
  writeIPv4,
  writeIPv6,
} from './address.js';
import { asciiString } from './ascii.js';
import { ErrorCodes, protocolError } from './errors.js';
import type { DecodeResult, ProxyHeader, ProxyHeaderInit, ProxyTlv } from './types.js';

/** Longest v1 line the spec allows, CRLF included. */
export const V1_MAX_LENGTH = 107;

// "PROXY " then "TCP4 " / "TCP6 " / "UNKNOWN"
const PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, SP];
const UNKNOWN = [0x55, 0x4e, 0x4b, 0x4e, 0x4f, 0x57, 0x4e];

export const NO_TLVS: readonly ProxyTlv[] = Object.freeze([]);

function invalid(message: string): never {
  throw protocolError(ErrorCodes.INVALID_V1, `Invalid PROXY v1 header: ${message}`);
}

/**
 * Decodes a v1 line at the start of `bytes`, whose first byte is known to be `P`.
 * Returns null while the bytes so far are a valid prefix of a line.
 */
export function decodeV1(bytes: Uint8Array): DecodeResult | null {
  const len = bytes.length;
  // Fast path: a complete TCP4 or TCP6 line with canonical addresses, as senders write it. It
  // scans without building anything and gives up on the first surprise: a byte it does not
  // expect, the end of the input, or an address in another spelling. The incremental parser
  // below then starts over and makes every decision (null, which error, at which byte), so the
  // fast path can only ever agree with it. On the bench inputs (Node 20) it took v1 TCP6 from
  // ~610 to ~275 ns and v1 TCP4 from ~195 to ~185 ns.
  if (
    len > 16 &&
    (((bytes[1] as number) ^ 0x52) |
      ((bytes[2] as number) ^ 0x4f) |
      ((bytes[3] as number) ^ 0x58) |
      ((bytes[4] as number) ^ 0x59) |
      ((bytes[5] as number) ^ SP) |
      ((bytes[6] as number) ^ 0x54) |
      ((bytes[7] as number) ^ 0x43) |
      ((bytes[8] as number) ^ 0x50) |
      ((bytes[10] as number) ^ SP)) ===
      0
  ) {
    // Separate calls per family rather than a function-valued variable: with both families
    // seen, such a call site stays polymorphic and TurboFan neither inlines nor specialises it.
    const v = bytes[9];
    if (v === 0x36) {
      const result = decodeTcp6Line(bytes, len);
      if (result !== null) return result;
    } else if (v === 0x34) {
      const result = decodeTcp4Line(bytes, len);
      if (result !== null) return result;
    }
  }
  return decodeV1Incremental(bytes, len);
}

/**
 * Fast path for a complete TCP4 line, from the address on; null to take the incremental path.
 */
function decodeTcp4Line(bytes: Uint8Array, len: number): DecodeResult | null {
  const sourceEnd = scanIPv4(bytes, 11, len, SP);
  const destinationEnd = sourceEnd < 0 ? -1 : scanIPv4(bytes, sourceEnd + 1, len, SP);
  const length = destinationEnd < 0 ? -1 : scanPorts(bytes, len, destinationEnd + 1);
  if (length < 0) return null;
  // The grammar admits one spelling per IPv4 address: the text is the string.
  return tcpResult(
    'IPv4',
    asciiString(bytes, 11, sourceEnd - 11),
    scannedSourcePort,
    asciiString(bytes, sourceEnd + 1, destinationEnd - sourceEnd - 1),
    scannedPort,
    length,
  );
}

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;

/**
 * Node's Buffer#latin1Slice (what `buffer.toString('latin1')` calls), which works on any
 * Uint8Array. Not part of Node's documented API, so it is looked up rather than assumed; where
 * it is missing, `asciiString` gives the same strings.
 */
const latin1Slice = (globalThis as { Buffer?: { prototype: { latin1Slice?: Latin1Slice } } }).Buffer
  ?.prototype.latin1Slice;

/**
 * `latin1Slice.call(bytes, start, end)` as a function of its own. Calling it, TurboFan (Node 20)
 * sees through the bound function to the native one and calls it directly (CallApiCallback).
 * The alternatives measured worse where the fast path is inlined into `decode()`, as in the
 * bench: `bytes.latin1Slice(...)` then compiles to a generic LoadIC call for the method (two,
 * with the `=== latin1Slice` check that guarded it), and `latin1Slice.call(...)` and
 * `Reflect.apply(...)` to a generic call through HandleApiCall.
 */
const latin1SliceOf =
  latin1Slice &&
  (Function.prototype.call.bind(latin1Slice) as (
    bytes: Uint8Array,
    start: number,
    end: number,
  ) => string);

/**
 * Fast path for a complete TCP6 line with two canonical addresses, from the address on; null to
 * take the incremental path.
 */
function decodeTcp6Line(bytes: Uint8Array, len: number): DecodeResult | null {
  const length = scanTcp6Fields(bytes, 11, len);
  // Within 107 bytes: two canonical addresses (no dotted tail; the scan leaves those to the
  // incremental parser) make a line of 104 bytes at most.
  if (length < 0) return null;
  const sourceEnd = scannedSourceEnd;
  const destinationStart = sourceEnd + 1;
  const destinationEnd = scannedDestinationEnd;
  let source: string;
  let destination: string;
  // Canonical text is the string as it is. One native call for both addresses, then two
  // substrings (from 13 chars on, slices that share it), measured ~30 ns a line faster than
  // two asciiString calls for the 20..40-char addresses of the bench (Node 20): the length of
  // these varies so much that asciiString's dispatch and copy loop mispredict on every call.
  if (latin1SliceOf !== undefined) {
    const both = latin1SliceOf(bytes, 11, destinationEnd);
    source = both.substring(0, sourceEnd - 11);
    destination = both.substring(destinationStart - 11);
  } else {
    source = asciiString(bytes, 11, sourceEnd - 11);
    destination = asciiString(bytes, destinationStart, destinationEnd - destinationStart);
  }
  return tcpResult('IPv6', source, scannedSourcePort, destination, scannedPort, length);
}

function tcpResult(
  family: 'IPv4' | 'IPv6',
  source: string,
  sourcePort: number,
  destination: string,
  destinationPort: number,
  length: number,
): DecodeResult {
  const header: ProxyHeader = {
    version: 1,
    command: 'PROXY',
    family,
    transport: 'STREAM',
    source: { address: source, port: sourcePort },
    destination: { address: destination, port: destinationPort },
    tlvs: NO_TLVS,
  };
  return { header, length };
}

/** The byte-at-a-time parser: null for a valid prefix, the first wrong byte throws. */
export function decodeV1Incremental(bytes: Uint8Array, len: number): DecodeResult | null {
  const prefixEnd = Math.min(len, 6);
  for (let i = 1; i < prefixEnd; i++) {
    if (bytes[i] !== PREFIX[i]) {
      if (i < 5) {
        throw protocolError(
          ErrorCodes.INVALID_SIGNATURE,
          'Not a PROXY protocol header: the first bytes are neither "PROXY " nor the v2 signature',
        );
      }
      invalid('expected a single space after "PROXY"');
    }
  }
  if (len < 8) {
    if (len > 6 && bytes[6] !== 0x54 && bytes[6] !== 0x55) invalid('unknown protocol');
    return null;
  }
  const p0 = bytes[6];
  if (p0 === 0x54) {
    // TCP4 / TCP6
    if (bytes[7] !== 0x43) invalid('unknown protocol');
    if (len < 9) return null;
    if (bytes[8] !== 0x50) invalid('unknown protocol');
    if (len < 10) return null;
    const v = bytes[9];
    if (v !== 0x34 && v !== 0x36) invalid('unknown protocol');
    if (len < 11) return null;
    if (bytes[10] !== SP) invalid('expected a single space after the protocol');
    // Only the first 107 bytes can belong to the line. If the CR is not at index 105 or before,
    // the line cannot end in time, whatever the bytes after it are.
    const limit = Math.min(len, V1_MAX_LENGTH);
    const result = v === 0x34 ? decodeTcp4(bytes, limit) : decodeTcp6(bytes, limit);
    if (result === null && limit >= V1_MAX_LENGTH - 1 && bytes[V1_MAX_LENGTH - 2] !== CR) {
      tooLong();
    }
    return result;
  }
  if (p0 === 0x55) return decodeUnknown(bytes, len);
  invalid('unknown protocol');
}

function decodeTcp4(bytes: Uint8Array, len: number): DecodeResult | null {
  // The grammar admits one spelling per IPv4 address, so the text on the wire is the string.
  const end = parseIPv4(bytes, 11, len, SP);
  if (end === NEED_MORE) return null;
  const source = asciiString(bytes, 11, end - 12);
  const i = parseIPv4(bytes, end, len, SP);
  if (i === NEED_MORE) return null;
  const destination = asciiString(bytes, end, i - end - 1);
  return finishTcp(bytes, len, i, 'IPv4', source, destination);
}

function decodeTcp6(bytes: Uint8Array, len: number): DecodeResult | null {
  const end = parseIPv6(bytes, 11, len, SP);
  if (end === NEED_MORE) return null;
  const source = lastIPv6Text(bytes, 11, end - 1);
  const i = parseIPv6(bytes, end, len, SP);
  if (i === NEED_MORE) return null;
  const destination = lastIPv6Text(bytes, end, i - 1);
  return finishTcp(bytes, len, i, 'IPv6', source, destination);
}

function finishTcp(
  bytes: Uint8Array,
  len: number,
  start: number,
  family: 'IPv4' | 'IPv6',
  source: string,
  destination: string,
): DecodeResult | null {
  let i = parsePort(bytes, start, len, SP);
  if (i === NEED_MORE) return null;
  const sourcePort = parsedPort;
  i = parsePort(bytes, i, len, CR);
  if (i === NEED_MORE) return null;
  if (i >= len) return null;
  if (bytes[i] !== LF) invalid('a CR not followed by LF');
  return tcpResult(family, source, sourcePort, destination, parsedPort, i + 1);
}

function decodeUnknown(bytes: Uint8Array, len: number): DecodeResult | null {
  const end = Math.min(len, 13);
  for (let i = 7; i < end; i++) if (bytes[i] !== UNKNOWN[i - 6]) invalid('unknown protocol');
  if (len < 14) return null;
  const next = bytes[13];
  if (next !== SP && next !== CR) invalid('expected a space or CRLF after "UNKNOWN"');
  // The spec says to ignore what follows UNKNOWN up to the CRLF; a lone CR or LF is still an error.
  // The CR must stand at index 105 or before, so that the line with its CRLF fits in 107 bytes.
  const lastCr = V1_MAX_LENGTH - 2;
  const limit = len <= lastCr ? len : lastCr + 1;
  for (let i = 13; i < limit; i++) {
    const c = bytes[i];
    if (c === LF) invalid('a LF not preceded by CR');
    if (c === CR) {
      if (i + 1 >= len) return null;
      if (bytes[i + 1] !== LF) invalid('a CR not followed by LF');
      const header: ProxyHeader = {
        version: 1,
        command: 'PROXY',
        family: 'UNSPEC',
        transport: 'UNSPEC',
        tlvs: NO_TLVS,
      };
      return { header, length: i + 2 };
    }
  }
  if (len <= lastCr) return null;
  tooLong();
}

function tooLong(): never {
  throw protocolError(
    ErrorCodes.HEADER_TOO_LONG,
    `Invalid PROXY v1 header: no CRLF within ${V1_MAX_LENGTH} bytes`,
  );
}

function invalidInit(message: string): never {
  throw protocolError(ErrorCodes.INVALID_HEADER, `Cannot encode PROXY v1 header: ${message}`);
}

function portText(port: number | undefined, which: string): string {
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    invalidInit(`${which} port must be an integer 0..65535`);
  }
  return String(port);
}

const scratch = new Uint8Array(16);

export function encodeV1(init: ProxyHeaderInit): Uint8Array {
  if (init.command !== undefined && init.command !== 'PROXY') {
    invalidInit('v1 has no LOCAL command; use UNSPEC family (PROXY UNKNOWN) or v2');
  }
  if (init.transport !== undefined && init.transport !== 'STREAM' && init.family !== 'UNSPEC') {
    invalidInit('v1 carries TCP (STREAM) only');
  }
  const family = init.family ?? 'UNSPEC';
  if (family === 'UNSPEC') return new TextEncoder().encode('PROXY UNKNOWN\r\n');
  const { source, destination } = init;
  if (!source || !destination) invalidInit('source and destination are required');
  let src: string;
  let dst: string;
  if (family === 'IPv4') {
    if (!writeIPv4(source.address, scratch, 0))
      invalidInit(`not an IPv4 address: ${source.address}`);
    src = source.address;
    if (!writeIPv4(destination.address, scratch, 0)) {
      invalidInit(`not an IPv4 address: ${destination.address}`);
    }
    dst = destination.address;
  } else if (family === 'IPv6') {
    // Written in canonical form, whatever form it was given in.
    if (!writeIPv6(source.address, scratch, 0))
      invalidInit(`not an IPv6 address: ${source.address}`);
    src = formatLastIPv6();
    if (!writeIPv6(destination.address, scratch, 0)) {
      invalidInit(`not an IPv6 address: ${destination.address}`);
    }
    dst = formatLastIPv6();
  } else {
    invalidInit(`v1 cannot carry the ${family} family`);
  }
  const line = `PROXY ${family === 'IPv4' ? 'TCP4' : 'TCP6'} ${src} ${dst} ${portText(source.port, 'source')} ${portText(destination.port, 'destination')}\r\n`;
  return new TextEncoder().encode(line);
}
