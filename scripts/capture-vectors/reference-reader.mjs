// A deliberately small, strict reader of PROXY protocol headers, written straight from
// the spec (shared/reference/proxy-protocol.txt). The fixtures it produces are used to
// test packages/core, so they must not come from that decoder or from any other library.

const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
// Section 2.1: the longest legal v1 line ("PROXY UNKNOWN" with full IPv6 addresses).
const V1_MAX_LENGTH = 107;

const V2_COMMANDS = ['LOCAL', 'PROXY'];
const V2_FAMILIES = ['UNSPEC', 'IPv4', 'IPv6', 'UNIX'];
const V2_TRANSPORTS = ['UNSPEC', 'STREAM', 'DGRAM'];
const V2_ADDRESS_LENGTHS = { UNSPEC: 0, IPv4: 12, IPv6: 36, UNIX: 216 };

const SSL_SUBTYPES = new Map([
  [0x21, 'version'],
  [0x22, 'cn'],
  [0x23, 'cipher'],
  [0x24, 'sigAlg'],
  [0x25, 'keyAlg'],
]);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function startsWithPartial(buf, prefix) {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

/**
 * How many bytes the header at the start of `buf` takes: 0 while more bytes are needed.
 * Throws as soon as the bytes cannot be the start of a PROXY header.
 */
export function headerLength(buf) {
  if (buf.length === 0) return 0;
  if (startsWithPartial(buf, V2_SIGNATURE)) {
    if (buf.length < 16) return 0;
    return 16 + buf.readUInt16BE(14);
  }
  if (startsWithPartial(buf, V1_PREFIX)) {
    const end = buf.indexOf('\r\n', 0, 'latin1');
    if (end >= 0) return end + 2;
    if (buf.length >= V1_MAX_LENGTH) throw new Error('v1 line has no CRLF within 107 bytes');
    return 0;
  }
  throw new Error(`not a PROXY header: ${buf.subarray(0, 16).toString('hex')}`);
}

// CRC32c (Castagnoli, reflected polynomial 0x82f63b78) as RFC 4960 appendix B describes.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC32C_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// The well-known check value; a wrong table would otherwise silently bless bad fixtures.
if (crc32c(Buffer.from('123456789', 'latin1')) !== 0xe3069283) {
  throw new Error('crc32c self-test failed');
}

const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4_RE = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`);
const PORT_RE = /^(0|[1-9][0-9]{0,4})$/;

function parseIPv4Text(text) {
  if (!IPV4_RE.test(text)) throw new Error(`bad IPv4 address: ${JSON.stringify(text)}`);
  return text;
}

function parseIPv6Text(text) {
  const bytes = Buffer.alloc(16);
  let head = text;
  let v4Tail = null;
  // glibc's inet_ntop writes IPv4-mapped addresses with a dotted tail, so accept one.
  const dotted = /^(.*:)([0-9.]+)$/.exec(text);
  if (dotted?.[2].includes('.')) {
    head = `${dotted[1]}0:0`;
    v4Tail = parseIPv4Text(dotted[2]).split('.').map(Number);
  }
  const halves = head.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address: ${text}`);
  const toGroups = (s) => (s === '' ? [] : s.split(':'));
  const left = toGroups(halves[0]);
  const right = halves.length === 2 ? toGroups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) {
    throw new Error(`bad IPv6 address: ${text}`);
  }
  const groups = [...left, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...right];
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`bad IPv6 address: ${text}`);
    bytes.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  if (v4Tail) Buffer.from(v4Tail).copy(bytes, 12);
  return bytes;
}

/** RFC 5952 text for 16 address bytes; IPv4-mapped as ::ffff:a.b.c.d like Node reports it. */
export function formatIPv6(bytes) {
  const isMapped =
    bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}

/** Canonical form of an address string reported by Node or written in a v1 line. */
export function canonicalAddress(text) {
  if (text.includes(':')) return formatIPv6(parseIPv6Text(text));
  return parseIPv4Text(text);
}

function parsePort(text) {
  if (!PORT_RE.test(text) || Number(text) > 65535) {
    throw new Error(`bad port: ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function readV1(buf) {
  const line = buf.subarray(0, buf.length - 2).toString('latin1');
  if (!/^[\x20-\x7e]*$/.test(line)) throw new Error('v1 line has non-printable bytes');
  const parts = line.split(' ');
  if (parts[0] !== 'PROXY') throw new Error('v1 line does not start with PROXY');
  // Section 2.1: for UNKNOWN the receiver must ignore the rest of the line.
  if (parts[1] === 'UNKNOWN') {
    return { version: 1, command: 'PROXY', family: 'UNSPEC', transport: 'UNSPEC' };
  }
  if (parts.length !== 6) throw new Error(`v1 line has ${parts.length} fields`);
  const families = {
    TCP4: ['IPv4', parseIPv4Text],
    TCP6: ['IPv6', (t) => formatIPv6(parseIPv6Text(t))],
  };
  const entry = families[parts[1]];
  if (!entry) throw new Error(`bad v1 protocol: ${parts[1]}`);
  const [family, parseAddress] = entry;
  return {
    version: 1,
    command: 'PROXY',
    family,
    transport: 'STREAM',
    source: { address: parseAddress(parts[2]), port: parsePort(parts[4]) },
    destination: { address: parseAddress(parts[3]), port: parsePort(parts[5]) },
  };
}

function readUnixPath(bytes) {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
}

function readAddresses(family, block) {
  if (family === 'IPv4') {
    return {
      source: { address: [...block.subarray(0, 4)].join('.'), port: block.readUInt16BE(8) },
      destination: { address: [...block.subarray(4, 8)].join('.'), port: block.readUInt16BE(10) },
    };
  }
  if (family === 'IPv6') {
    return {
      source: { address: formatIPv6(block.subarray(0, 16)), port: block.readUInt16BE(32) },
      destination: { address: formatIPv6(block.subarray(16, 32)), port: block.readUInt16BE(34) },
    };
  }
  if (family === 'UNIX') {
    return {
      source: { address: readUnixPath(block.subarray(0, 108)) },
      destination: { address: readUnixPath(block.subarray(108, 216)) },
    };
  }
  return {};
}

function readSsl(value) {
  if (value.length < 5) throw new Error('PP2_TYPE_SSL shorter than 5 bytes');
  const found = {};
  for (let at = 5; at < value.length; ) {
    if (at + 3 > value.length) throw new Error('truncated SSL sub-TLV');
    const type = value[at];
    const length = value.readUInt16BE(at + 1);
    if (at + 3 + length > value.length) throw new Error('SSL sub-TLV overruns PP2_TYPE_SSL');
    const key = SSL_SUBTYPES.get(type);
    if (key) found[key] = utf8.decode(value.subarray(at + 3, at + 3 + length));
    at += 3 + length;
  }
  // A fixed key order keeps the JSON diff-friendly between captures.
  const ssl = { client: value[0], verify: value.readUInt32BE(1) };
  for (const key of SSL_SUBTYPES.values()) if (key in found) ssl[key] = found[key];
  return ssl;
}

function readV2(buf) {
  const length = buf.readUInt16BE(14);
  if (buf.length !== 16 + length) throw new Error('v2 length does not match the bytes given');
  if (buf[12] >> 4 !== 2) throw new Error(`bad v2 version nibble: ${buf[12] >> 4}`);
  const command = V2_COMMANDS[buf[12] & 0x0f];
  const family = V2_FAMILIES[buf[13] >> 4];
  const transport = V2_TRANSPORTS[buf[13] & 0x0f];
  if (!command || !family || !transport) throw new Error('bad v2 command, family or transport');
  const addressLength = V2_ADDRESS_LENGTHS[family];
  if (length < addressLength) throw new Error('v2 length too short for its address family');

  const header = { version: 2, command, family, transport };
  // LOCAL and UNSPEC carry no usable endpoints: the receiver uses the real connection's.
  if (command === 'PROXY' && family !== 'UNSPEC' && transport !== 'UNSPEC') {
    Object.assign(header, readAddresses(family, buf.subarray(16, 16 + addressLength)));
  }

  const tlvTypes = [];
  const fields = {};
  for (let at = 16 + addressLength; at < buf.length; ) {
    if (at + 3 > buf.length) throw new Error('truncated TLV');
    const type = buf[at];
    const valueLength = buf.readUInt16BE(at + 1);
    const start = at + 3;
    if (start + valueLength > buf.length) throw new Error(`TLV 0x${type.toString(16)} overruns`);
    const value = buf.subarray(start, start + valueLength);
    tlvTypes.push(type);
    if (type === 0x01) fields.alpnHex = value.toString('hex');
    if (type === 0x02) fields.authority = utf8.decode(value);
    if (type === 0x03) {
      if (valueLength !== 4) throw new Error('PP2_TYPE_CRC32C is not 4 bytes');
      const zeroed = Buffer.from(buf);
      zeroed.fill(0, start, start + 4);
      const sent = value.readUInt32BE(0);
      const computed = crc32c(zeroed);
      if (sent !== computed) {
        throw new Error(
          `crc32c mismatch: sent ${sent.toString(16)}, computed ${computed.toString(16)}`,
        );
      }
      fields.crc32c = sent;
    }
    if (type === 0x05) {
      if (valueLength > 128) throw new Error('PP2_TYPE_UNIQUE_ID longer than 128 bytes');
      fields.uniqueIdHex = value.toString('hex');
    }
    if (type === 0x20) fields.ssl = readSsl(value);
    if (type === 0x30) fields.netns = utf8.decode(value);
    at = start + valueLength;
  }
  header.tlvTypes = tlvTypes;
  for (const key of ['alpnHex', 'authority', 'uniqueIdHex', 'netns', 'crc32c', 'ssl']) {
    if (key in fields) header[key] = fields[key];
  }
  return header;
}

/** What a correct decoder must return for exactly these header bytes. */
export function readHeader(buf) {
  if (headerLength(buf) !== buf.length) throw new Error('bytes are not exactly one header');
  return buf[0] === V2_SIGNATURE[0] ? readV2(buf) : readV1(buf);
}
