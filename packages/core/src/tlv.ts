import { ASCII_STRING_MAX, asciiString } from './ascii.js';
import { crc32cFinish, crc32cUpdate, crc32cZeros } from './crc32c.js';
import { ErrorCodes, ProxyProtocolError, protocolError } from './errors.js';
import type { ProxyHeader, ProxySslInfo, ProxyTlv } from './types.js';

/** TLV types registered by the spec (section 2.2). */
export const TlvType = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
  /** Custom range used by the cloud load balancers, see `getAwsVpceId` and friends. */
  GCP: 0xe0,
  AWS: 0xea,
  AZURE: 0xee,
} as const;

/** Sub-TLV types inside PP2_TYPE_SSL. */
export const SslTlvType = {
  VERSION: 0x21,
  CN: 0x22,
  CIPHER: 0x23,
  SIG_ALG: 0x24,
  KEY_ALG: 0x25,
} as const;

/** PP2_CLIENT_* bits of `ssl.client`. */
export const SslClient = {
  SSL: 0x01,
  CERT_CONN: 0x02,
  CERT_SESS: 0x04,
} as const;

/** The spec caps PP2_TYPE_UNIQUE_ID at 128 bytes. */
export const UNIQUE_ID_MAX_LENGTH = 128;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalidTlv(message: string): never {
  throw protocolError(ErrorCodes.INVALID_TLV, `Invalid TLV in PROXY v2 header: ${message}`);
}

/**
 * The UTF-8 text of a TLV value. Header fields are short ASCII nearly always (host names, TLS
 * versions, cipher names), and for those `asciiString` gives the same string as the fatal
 * TextDecoder, which costs ~150 ns a call on Node 20 even for a few bytes. Any byte of 0x80 or
 * above, or a value too long for `asciiString`, goes through the decoder, which keeps the strict
 * UTF-8 check (and the BOM handling) exactly as before.
 */
function text(bytes: Uint8Array, what: string): string {
  const length = bytes.length;
  if (length <= ASCII_STRING_MAX) {
    let high = 0;
    for (let k = 0; k < length; k++) high |= bytes[k] as number;
    if (high < 0x80) return asciiString(bytes, 0, length);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    invalidTlv(`${what} is not valid UTF-8`);
  }
}

/**
 * A copy of `bytes[start, end)` in a fresh Uint8Array, so that a header kept for the life of a
 * connection does not pin the socket's read buffer. Made without using `bytes` as the receiver:
 * `slice` or `subarray` on a Buffer look up `constructor[Symbol.species]` and run Buffer's JS
 * constructor, which cost about half of a TLV-rich decode (Node 20).
 */
function copyOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const copy = new Uint8Array(end - start);
  copy.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start));
  return copy;
}

/**
 * Walks well-formed TLVs in `bytes[start, end)`; throws if one overruns `end`. The values are
 * views into `bytes`, which the caller has made a private copy.
 */
function readTlvs(bytes: Uint8Array, start: number, end: number, what: string): ProxyTlv[] {
  const tlvs: ProxyTlv[] = [];
  let i = start;
  while (i < end) {
    if (end - i < 3) invalidTlv(`${what} has ${end - i} trailing byte(s), too few for a TLV`);
    const type = bytes[i] as number;
    const length = ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    const valueStart = i + 3;
    const valueEnd = valueStart + length;
    if (valueEnd > end) {
      invalidTlv(`${what} type 0x${type.toString(16)} declares ${length} bytes past the end`);
    }
    tlvs.push({ type, value: bytes.subarray(valueStart, valueEnd) });
    i = valueEnd;
  }
  return tlvs;
}

function decodeSsl(value: Uint8Array): ProxySslInfo {
  if (value.length < 5) invalidTlv('PP2_TYPE_SSL is shorter than its 5-byte client/verify fields');
  const client = value[0] as number;
  const verify =
    (((value[1] as number) << 24) |
      ((value[2] as number) << 16) |
      ((value[3] as number) << 8) |
      (value[4] as number)) >>>
    0;
  const tlvs = readTlvs(value, 5, value.length, 'PP2_TYPE_SSL');
  const ssl: ProxySslInfo = { client, verify, tlvs };
  let seen = 0; // as for the top-level TLVs: a repeated known sub-TLV is refused, not guessed
  for (const sub of tlvs) {
    const { type } = sub;
    if (type >= SslTlvType.VERSION && type <= SslTlvType.KEY_ALG) {
      const bit = 1 << (type - SslTlvType.VERSION);
      if (seen & bit)
        invalidTlv(`PP2_TYPE_SSL sub-type 0x${type.toString(16)} appears more than once`);
      seen |= bit;
    }
    switch (type) {
      case SslTlvType.VERSION:
        ssl.version = text(sub.value, 'PP2_SUBTYPE_SSL_VERSION');
        break;
      case SslTlvType.CN:
        ssl.cn = text(sub.value, 'PP2_SUBTYPE_SSL_CN');
        break;
      case SslTlvType.CIPHER:
        ssl.cipher = text(sub.value, 'PP2_SUBTYPE_SSL_CIPHER');
        break;
      case SslTlvType.SIG_ALG:
        ssl.sigAlg = text(sub.value, 'PP2_SUBTYPE_SSL_SIG_ALG');
        break;
      case SslTlvType.KEY_ALG:
        ssl.keyAlg = text(sub.value, 'PP2_SUBTYPE_SSL_KEY_ALG');
        break;
    }
  }
  return ssl;
}

/**
 * Reads the TLVs of a complete v2 header (`bytes[0, end)`, TLVs from `start`) into `header`,
 * and verifies the CRC32C if one is present.
 */
export function decodeTlvs(
  bytes: Uint8Array,
  start: number,
  end: number,
  header: ProxyHeader,
): void {
  // One copy of the whole TLV region, the values (SSL sub-TLVs included) views into it. Copying
  // each value on its own measured no faster: any value above 64 bytes needs an off-heap store
  // (~300 ns on Node 20), and the region needs just one.
  const region = copyOf(bytes, start, end);
  const tlvs = readTlvs(region, 0, end - start, 'the header');
  header.tlvs = tlvs;
  let seen = 0; // bit per known singleton type, so a repeated one is refused rather than guessed
  let offset = start;
  for (const tlv of tlvs) {
    const { type, value } = tlv;
    const valueStart = offset + 3;
    offset = valueStart + value.length;
    let bit = 0;
    switch (type) {
      case TlvType.ALPN:
        bit = 1;
        header.alpn = value;
        break;
      case TlvType.AUTHORITY:
        bit = 2;
        header.authority = text(value, 'PP2_TYPE_AUTHORITY');
        break;
      case TlvType.CRC32C: {
        bit = 4;
        if (value.length !== 4) invalidTlv('PP2_TYPE_CRC32C must be 4 bytes');
        const expected =
          (((value[0] as number) << 24) |
            ((value[1] as number) << 16) |
            ((value[2] as number) << 8) |
            (value[3] as number)) >>>
          0;
        let crc = crc32cUpdate(0xffffffff, bytes, 0, valueStart);
        crc = crc32cZeros(crc, 4);
        crc = crc32cFinish(crc32cUpdate(crc, bytes, valueStart + 4, end));
        if (crc !== expected) {
          throw new ProxyProtocolError(
            ErrorCodes.CRC_MISMATCH,
            `PROXY v2 header CRC32C mismatch: header says 0x${expected.toString(16)}, bytes give 0x${crc.toString(16)}`,
          );
        }
        header.crc32c = expected;
        break;
      }
      case TlvType.UNIQUE_ID:
        bit = 8;
        if (value.length > UNIQUE_ID_MAX_LENGTH) {
          invalidTlv(`PP2_TYPE_UNIQUE_ID is ${value.length} bytes, more than 128`);
        }
        header.uniqueId = value;
        break;
      case TlvType.SSL:
        bit = 16;
        header.ssl = decodeSsl(value);
        break;
      case TlvType.NETNS:
        bit = 32;
        header.netns = text(value, 'PP2_TYPE_NETNS');
        break;
    }
    if (bit !== 0) {
      if (seen & bit) invalidTlv(`type 0x${type.toString(16)} appears more than once`);
      seen |= bit;
    }
  }
}

function findTlv(header: ProxyHeader, type: number): Uint8Array | undefined {
  for (const tlv of header.tlvs) if (tlv.type === type) return tlv.value;
  return undefined;
}

/**
 * AWS: the VPC endpoint ID (`vpce-...`) a PrivateLink connection came through
 * (TLV 0xEA, subtype 0x01), or undefined when absent.
 */
export function getAwsVpceId(header: ProxyHeader): string | undefined {
  const value = findTlv(header, TlvType.AWS);
  if (value === undefined || value[0] !== 0x01) return undefined;
  return text(value.subarray(1), 'AWS VPC endpoint ID');
}

/**
 * Azure: the Private Link service LINKID (TLV 0xEE, subtype 0x01, 32-bit little-endian),
 * or undefined when absent.
 */
export function getAzurePrivateLinkId(header: ProxyHeader): number | undefined {
  const value = findTlv(header, TlvType.AZURE);
  if (value === undefined || value[0] !== 0x01) return undefined;
  if (value.length !== 5) invalidTlv('Azure LINKID must be 1 + 4 bytes');
  return (
    ((value[1] as number) |
      ((value[2] as number) << 8) |
      ((value[3] as number) << 16) |
      ((value[4] as number) << 24)) >>>
    0
  );
}

/**
 * Google Cloud: the Private Service Connect connection ID (TLV 0xE0, 64-bit big-endian),
 * or undefined when absent.
 */
export function getGcpPscConnectionId(header: ProxyHeader): bigint | undefined {
  const value = findTlv(header, TlvType.GCP);
  if (value === undefined) return undefined;
  if (value.length !== 8) invalidTlv('GCP PSC connection ID must be 8 bytes');
  let id = 0n;
  for (const byte of value) id = (id << 8n) | BigInt(byte);
  return id;
}
