import { formatIPv4, formatIPv6, writeIPv4, writeIPv6 } from './address.js';
import { crc32c } from './crc32c.js';
import { ErrorCodes, protocolError } from './errors.js';
import { decodeTlvs, SslTlvType, TlvType, UNIQUE_ID_MAX_LENGTH } from './tlv.js';
import type {
  DecodeResult,
  EncodeOptions,
  ProxyAddress,
  ProxyFamily,
  ProxyHeader,
  ProxyHeaderInit,
  ProxyTlv,
  ProxyTransport,
} from './types.js';
import { NO_TLVS } from './v1.js';

/** The 12-byte v2 signature. */
export const V2_SIGNATURE = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);
/** Fixed part of a v2 header: signature, version/command, family/transport, length. */
export const V2_FIXED_LENGTH = 16;
/** Longest v2 header the 16-bit length field can describe. */
export const V2_MAX_LENGTH = V2_FIXED_LENGTH + 0xffff;

const FAMILIES: readonly ProxyFamily[] = ['UNSPEC', 'IPv4', 'IPv6', 'UNIX'];
const TRANSPORTS: readonly ProxyTransport[] = ['UNSPEC', 'STREAM', 'DGRAM'];
/** Address block size by family nibble: two addresses, plus two ports for IP families. */
const ADDRESS_SIZE = [0, 12, 36, 216];
const UNIX_PATH_SIZE = 108;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function notSignature(): never {
  throw protocolError(
    ErrorCodes.INVALID_SIGNATURE,
    'Not a PROXY protocol header: the first bytes are neither "PROXY " nor the v2 signature',
  );
}

/** Checks byte 12 (version, command) and 13 (family, transport) as far as they have arrived. */
function checkVersionAndFamily(bytes: Uint8Array, len: number): void {
  if (len > 12) {
    const verCmd = bytes[12] as number;
    if (verCmd >>> 4 !== 2) {
      throw protocolError(
        ErrorCodes.UNSUPPORTED_VERSION,
        `PROXY v2 header has version ${verCmd >>> 4}; only 2 is defined`,
      );
    }
    if ((verCmd & 0x0f) > 1) {
      throw protocolError(
        ErrorCodes.INVALID_COMMAND,
        `PROXY v2 header has command ${verCmd & 0x0f}; only LOCAL (0) and PROXY (1) are defined`,
      );
    }
  }
  if (len > 13) {
    const famTr = bytes[13] as number;
    if (famTr >>> 4 > 3) {
      throw protocolError(
        ErrorCodes.INVALID_FAMILY,
        `PROXY v2 header has address family ${famTr >>> 4}; only 0..3 are defined`,
      );
    }
    if ((famTr & 0x0f) > 2) {
      throw protocolError(
        ErrorCodes.INVALID_TRANSPORT,
        `PROXY v2 header has transport ${famTr & 0x0f}; only 0..2 are defined`,
      );
    }
  }
}

function unixPath(bytes: Uint8Array, offset: number): string {
  // Abstract socket names start with NUL; like Node, keep that NUL at the front.
  let start = offset;
  let prefix = '';
  if (bytes[offset] === 0) {
    start++;
    prefix = '\0';
  }
  let end = start;
  const limit = offset + UNIX_PATH_SIZE;
  while (end < limit && bytes[end] !== 0) end++;
  try {
    return prefix + utf8.decode(bytes.subarray(start, end));
  } catch {
    throw protocolError(ErrorCodes.INVALID_ADDRESS, 'UNIX path in PROXY v2 header is not UTF-8');
  }
}

/**
 * Decodes a v2 header at the start of `bytes`, whose first byte is known to be `\r`.
 * Returns null while the bytes so far are a valid prefix of a header.
 */
export function decodeV2(bytes: Uint8Array): DecodeResult | null {
  const len = bytes.length;
  if (len < V2_FIXED_LENGTH) {
    const end = Math.min(len, 12);
    for (let i = 1; i < end; i++) if (bytes[i] !== V2_SIGNATURE[i]) notSignature();
    checkVersionAndFamily(bytes, len);
    return null;
  }
  if (
    bytes[1] !== 0x0a ||
    bytes[2] !== 0x0d ||
    bytes[3] !== 0x0a ||
    bytes[4] !== 0x00 ||
    bytes[5] !== 0x0d ||
    bytes[6] !== 0x0a ||
    bytes[7] !== 0x51 ||
    bytes[8] !== 0x55 ||
    bytes[9] !== 0x49 ||
    bytes[10] !== 0x54 ||
    bytes[11] !== 0x0a
  ) {
    notSignature();
  }
  const verCmd = bytes[12] as number;
  const famTr = bytes[13] as number;
  if (verCmd !== 0x21 || (famTr !== 0x11 && famTr !== 0x21)) checkVersionAndFamily(bytes, len);
  const blockLength = ((bytes[14] as number) << 8) | (bytes[15] as number);
  const total = V2_FIXED_LENGTH + blockLength;
  const isProxy = verCmd === 0x21;
  const familyNibble = famTr >>> 4;
  const transportNibble = famTr & 0x0f;
  // An address family with an UNSPEC transport (0x10, 0x20, 0x30) is no combination the spec
  // lists: whether ports follow the addresses is not said, so neither is where TLVs would start.
  // Its address information is ignored (as the spec asks for UNSPEC) and no TLVs are read.
  const layoutKnown = familyNibble === 0 || transportNibble !== 0;
  const addressSize = layoutKnown ? (ADDRESS_SIZE[familyNibble] as number) : 0;
  if (blockLength < addressSize && isProxy) {
    throw protocolError(
      ErrorCodes.ADDRESS_TOO_SHORT,
      `PROXY v2 header length ${blockLength} is too short for a ${FAMILIES[familyNibble]} address block of ${addressSize} bytes`,
    );
  }
  if (len < total) return null;

  const family = FAMILIES[familyNibble] as ProxyFamily;
  const transport = TRANSPORTS[transportNibble] as ProxyTransport;
  let header: ProxyHeader;
  if (isProxy && addressSize !== 0) {
    let source: ProxyAddress;
    let destination: ProxyAddress;
    if (familyNibble === 1) {
      source = {
        address: formatIPv4(bytes, 16),
        port: ((bytes[24] as number) << 8) | (bytes[25] as number),
      };
      destination = {
        address: formatIPv4(bytes, 20),
        port: ((bytes[26] as number) << 8) | (bytes[27] as number),
      };
    } else if (familyNibble === 2) {
      source = {
        address: formatIPv6(bytes, 16),
        port: ((bytes[48] as number) << 8) | (bytes[49] as number),
      };
      destination = {
        address: formatIPv6(bytes, 32),
        port: ((bytes[50] as number) << 8) | (bytes[51] as number),
      };
    } else {
      source = { address: unixPath(bytes, 16) };
      destination = { address: unixPath(bytes, 16 + UNIX_PATH_SIZE) };
    }
    header = {
      version: 2,
      command: 'PROXY',
      family,
      transport,
      source,
      destination,
      tlvs: NO_TLVS,
    };
  } else {
    header = {
      version: 2,
      command: isProxy ? 'PROXY' : 'LOCAL',
      family,
      transport,
      tlvs: NO_TLVS,
    };
  }
  // A LOCAL header may announce a family yet carry a shorter block: the spec says to ignore the
  // block then, and without the addresses there is no knowing where TLVs would start.
  const tlvStart = V2_FIXED_LENGTH + addressSize;
  if (layoutKnown && tlvStart < total && blockLength >= addressSize) {
    decodeTlvs(bytes, tlvStart, total, header);
  }
  return { header, length: total };
}

// ---------------------------------------------------------------------------------------------
// Encoding

const textEncoder = new TextEncoder();

function invalidInit(message: string): never {
  throw protocolError(ErrorCodes.INVALID_HEADER, `Cannot encode PROXY v2 header: ${message}`);
}

function bytesOf(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? textEncoder.encode(value) : value;
}

function tlvsFromFields(init: ProxyHeaderInit): ProxyTlv[] {
  const tlvs: ProxyTlv[] = [];
  if (init.alpn !== undefined) tlvs.push({ type: TlvType.ALPN, value: bytesOf(init.alpn) });
  if (init.authority !== undefined) {
    tlvs.push({ type: TlvType.AUTHORITY, value: textEncoder.encode(init.authority) });
  }
  if (init.uniqueId !== undefined) {
    const value = bytesOf(init.uniqueId);
    if (value.length > UNIQUE_ID_MAX_LENGTH) invalidInit('uniqueId is longer than 128 bytes');
    tlvs.push({ type: TlvType.UNIQUE_ID, value });
  }
  if (init.ssl !== undefined) {
    const { ssl } = init;
    const subs: ProxyTlv[] = [];
    const add = (type: number, value: string | undefined) => {
      if (value !== undefined) subs.push({ type, value: textEncoder.encode(value) });
    };
    add(SslTlvType.VERSION, ssl.version);
    add(SslTlvType.CN, ssl.cn);
    add(SslTlvType.CIPHER, ssl.cipher);
    add(SslTlvType.SIG_ALG, ssl.sigAlg);
    add(SslTlvType.KEY_ALG, ssl.keyAlg);
    // Sub-TLVs of other types ride along; the decoded ones above are not written twice.
    for (const sub of ssl.tlvs ?? []) {
      if (sub.type < SslTlvType.VERSION || sub.type > SslTlvType.KEY_ALG) subs.push(sub);
    }
    const body = new Uint8Array(5 + tlvLength(subs));
    body[0] = ssl.client ?? (ssl.version !== undefined ? 0x01 : 0);
    const verify = ssl.verify ?? 0;
    body[1] = verify >>> 24;
    body[2] = (verify >>> 16) & 0xff;
    body[3] = (verify >>> 8) & 0xff;
    body[4] = verify & 0xff;
    writeTlvs(subs, body, 5);
    tlvs.push({ type: TlvType.SSL, value: body });
  }
  if (init.netns !== undefined) {
    tlvs.push({ type: TlvType.NETNS, value: textEncoder.encode(init.netns) });
  }
  return tlvs;
}

function tlvLength(tlvs: readonly ProxyTlv[]): number {
  let n = 0;
  for (const tlv of tlvs) {
    if (!Number.isInteger(tlv.type) || tlv.type < 0 || tlv.type > 0xff) {
      invalidInit(`TLV type ${tlv.type} is not a byte`);
    }
    if (tlv.value.length > 0xffff)
      invalidInit(`TLV 0x${tlv.type.toString(16)} is over 65535 bytes`);
    n += 3 + tlv.value.length;
  }
  return n;
}

function writeTlvs(tlvs: readonly ProxyTlv[], out: Uint8Array, offset: number): number {
  let i = offset;
  for (const { type, value } of tlvs) {
    out[i] = type;
    out[i + 1] = value.length >>> 8;
    out[i + 2] = value.length & 0xff;
    out.set(value, i + 3);
    i += 3 + value.length;
  }
  return i;
}

function port(address: ProxyAddress, which: string): number {
  const { port } = address;
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    invalidInit(`${which} port must be an integer 0..65535`);
  }
  return port;
}

function writeUnixPath(path: string, out: Uint8Array, offset: number): void {
  const bytes = textEncoder.encode(path);
  if (bytes.length > UNIX_PATH_SIZE) invalidInit(`UNIX path longer than ${UNIX_PATH_SIZE} bytes`);
  out.set(bytes, offset);
}

export function encodeV2(init: ProxyHeaderInit, options: EncodeOptions = {}): Uint8Array {
  const command = init.command ?? 'PROXY';
  if (command !== 'PROXY' && command !== 'LOCAL') invalidInit(`unknown command ${String(command)}`);
  const family = init.family ?? 'UNSPEC';
  const familyNibble = FAMILIES.indexOf(family);
  if (familyNibble < 0) invalidInit(`unknown family ${String(family)}`);
  const transport = init.transport ?? (family === 'UNSPEC' ? 'UNSPEC' : 'STREAM');
  const transportNibble = TRANSPORTS.indexOf(transport);
  if (transportNibble < 0) invalidInit(`unknown transport ${String(transport)}`);
  const { source, destination } = init;
  const withAddresses = familyNibble !== 0 && transportNibble !== 0 && source && destination;
  if (command === 'PROXY' && familyNibble !== 0 && transportNibble !== 0 && !withAddresses) {
    invalidInit(`a PROXY header of family ${family} needs source and destination`);
  }
  const addressSize = withAddresses ? (ADDRESS_SIZE[familyNibble] as number) : 0;

  let tlvs = init.tlvs && init.tlvs.length > 0 ? [...init.tlvs] : tlvsFromFields(init);
  let crcIndex = tlvs.findIndex((tlv) => tlv.type === TlvType.CRC32C);
  if (crcIndex < 0 && options.crc32c) {
    tlvs = [...tlvs, { type: TlvType.CRC32C, value: new Uint8Array(4) }];
    crcIndex = tlvs.length - 1;
  }
  const blockLength = addressSize + tlvLength(tlvs);
  if (blockLength > 0xffff) invalidInit('header is longer than 65535 + 16 bytes');

  const out = new Uint8Array(V2_FIXED_LENGTH + blockLength);
  out.set(V2_SIGNATURE, 0);
  out[12] = 0x20 | (command === 'PROXY' ? 1 : 0);
  out[13] = (familyNibble << 4) | transportNibble;
  out[14] = blockLength >>> 8;
  out[15] = blockLength & 0xff;
  if (withAddresses) {
    if (familyNibble === 1 || familyNibble === 2) {
      const write = familyNibble === 1 ? writeIPv4 : writeIPv6;
      const size = familyNibble === 1 ? 4 : 16;
      if (!write(source.address, out, 16))
        invalidInit(`not an ${family} address: ${source.address}`);
      if (!write(destination.address, out, 16 + size)) {
        invalidInit(`not an ${family} address: ${destination.address}`);
      }
      const sp = port(source, 'source');
      const dp = port(destination, 'destination');
      const p = 16 + 2 * size;
      out[p] = sp >>> 8;
      out[p + 1] = sp & 0xff;
      out[p + 2] = dp >>> 8;
      out[p + 3] = dp & 0xff;
    } else {
      writeUnixPath(source.address, out, 16);
      writeUnixPath(destination.address, out, 16 + UNIX_PATH_SIZE);
    }
  }
  const tlvStart = V2_FIXED_LENGTH + addressSize;
  writeTlvs(tlvs, out, tlvStart);
  if (crcIndex >= 0) {
    let valueStart = tlvStart;
    for (let k = 0; k < crcIndex; k++) valueStart += 3 + (tlvs[k] as ProxyTlv).value.length;
    valueStart += 3;
    if ((tlvs[crcIndex] as ProxyTlv).value.length !== 4) invalidInit('CRC32C TLV must be 4 bytes');
    out.fill(0, valueStart, valueStart + 4);
    const crc = crc32c(out);
    out[valueStart] = crc >>> 24;
    out[valueStart + 1] = (crc >>> 16) & 0xff;
    out[valueStart + 2] = (crc >>> 8) & 0xff;
    out[valueStart + 3] = crc & 0xff;
  }
  return out;
}
