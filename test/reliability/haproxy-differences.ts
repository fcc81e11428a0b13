import type { Verdict } from './haproxy.js';
import { ascii, tlv, v2raw } from './helpers.js';

/** One stream both receivers were given, and what each made of it. */
export interface Disagreement {
  bytes: Uint8Array;
  ours: Verdict;
  haproxy: Verdict;
}

/**
 * A place where we deliberately part with HAProxy 2.6 (Debian 12 package, 2.6.12). Each one is
 * backed by a line of the spec (/work/shared/reference/proxy-protocol.txt, 2020/03/05), and
 * `matches` recognises exactly the disagreements it explains, from the bytes, so an entry
 * cannot hide a disagreement of another kind.
 */
export interface Difference {
  id: string;
  /** A stream that shows it; the test replays it against both receivers. */
  example: Uint8Array;
  haproxy: string;
  ours: string;
  /** The line of the spec we follow, quoted. */
  spec: string;
  matches(d: Disagreement): boolean;
}

const V4 = '0102030405060708' + '04d2' + '01bb';

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

/** The v1 line up to its CRLF, split on single spaces. */
function v1Fields(bytes: Uint8Array): string[] | undefined {
  const text = latin1(bytes);
  const end = text.indexOf('\r\n');
  if (!text.startsWith('PROXY ') || end < 0) return undefined;
  return text.slice(0, end).split(' ');
}

const STRICT_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const STRICT_PORT = /^(0|[1-9]\d{0,4})$/;
const strictPort = (text: string) => STRICT_PORT.test(text) && Number(text) <= 65535;

function isV2(bytes: Uint8Array): boolean {
  const sig = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  return bytes.length >= 16 && sig.every((b, i) => bytes[i] === b);
}

const v2Length = (bytes: Uint8Array) => 16 + (((bytes[14] as number) << 8) | (bytes[15] as number));

/** Top-level TLVs of a v2 PROXY TCP header, if they are well formed (what HAProxy checks). */
function v2Tlvs(bytes: Uint8Array): { type: number; value: Uint8Array }[] | undefined {
  if (!isV2(bytes) || bytes.length < v2Length(bytes)) return undefined;
  const start = bytes[13] === 0x11 ? 28 : bytes[13] === 0x21 ? 52 : -1;
  const end = v2Length(bytes);
  if (start < 0 || end < start) return undefined;
  const tlvs: { type: number; value: Uint8Array }[] = [];
  for (let i = start; i < end; ) {
    if (i + 3 > end) return undefined;
    const length = ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    if (i + 3 + length > end) return undefined;
    tlvs.push({ type: bytes[i] as number, value: bytes.subarray(i + 3, i + 3 + length) });
    i += 3 + length;
  }
  return tlvs;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Why we refuse a TLV whose frame HAProxy accepts, or undefined if there is no such reason. */
function tlvContentProblem(bytes: Uint8Array): string | undefined {
  const tlvs = v2Tlvs(bytes);
  if (!tlvs) return undefined;
  const seen = new Set<number>();
  for (const { type, value } of tlvs) {
    // Registered singletons we refuse to see twice; HAProxy keeps the last one.
    if ([0x01, 0x02, 0x03, 0x05, 0x20, 0x30].includes(type) && seen.has(type)) return 'duplicate';
    seen.add(type);
    if ((type === 0x02 || type === 0x30) && !isUtf8(value)) return 'not UTF-8';
    if (type === 0x20) {
      if (value.length < 5) return 'SSL TLV shorter than 5 bytes';
      const seenSub = new Set<number>();
      for (let i = 5; i < value.length; ) {
        if (i + 3 > value.length) return 'SSL sub-TLV frame';
        const length = ((value[i + 1] as number) << 8) | (value[i + 2] as number);
        if (i + 3 + length > value.length) return 'SSL sub-TLV overruns';
        const subtype = value[i] as number;
        if (subtype >= 0x21 && subtype <= 0x25) {
          if (seenSub.has(subtype)) return 'duplicate SSL sub-TLV';
          seenSub.add(subtype);
          if (!isUtf8(value.subarray(i + 3, i + 3 + length))) return 'SSL sub-TLV not UTF-8';
        }
        i += 3 + length;
      }
    }
  }
  return undefined;
}

export const differences: Difference[] = [
  {
    id: 'v1-ipv4-not-canonical',
    example: ascii('PROXY TCP4 192.168.0.256 10.0.0.01 1234 443\r\n'),
    haproxy:
      'accepts IPv4 text that is not a dotted quad of 0..255 without leading zeros: leading ' +
      'zeros (01.2.3.4), fewer parts (1.2.3 reads as 1.2.3.0), overflowing parts ' +
      '(192.168.0.256 reads as 192.168.1.0)',
    ours: 'refuses the connection (ERR_PROXY_PROTOCOL_INVALID_ADDRESS)',
    spec:
      'IPv4 addresses must be indicated as a series of exactly 4 integers in the range ' +
      '[0..255] inclusive written in decimal representation separated by exactly one dot ' +
      'between each other. Heading zeroes are not permitted in front of numbers in order to ' +
      'avoid any possible confusion with octal numbers.',
    matches: ({ bytes, ours, haproxy }) => {
      const f = v1Fields(bytes);
      return (
        f?.[1] === 'TCP4' &&
        haproxy.accepted &&
        !ours.accepted &&
        ours.code === 'ERR_PROXY_PROTOCOL_INVALID_ADDRESS' &&
        (!STRICT_IPV4.test(f[2] ?? '') || !STRICT_IPV4.test(f[3] ?? ''))
      );
    },
  },
  {
    id: 'v1-port-not-canonical',
    example: ascii('PROXY TCP4 1.2.3.4 5.6.7.8 01234 4294967739\r\n'),
    haproxy:
      'accepts ports with leading zeros, ports above 65535 that wrap around 2^32 into range ' +
      '(4294967739 reads as 443), and in TCP6 lines an empty port between two spaces (read as 0)',
    ours: 'refuses the connection (ERR_PROXY_PROTOCOL_INVALID_PORT)',
    spec:
      'the TCP source port represented as a decimal integer in the range [0..65535] inclusive. ' +
      'Heading zeroes are not permitted in front of numbers in order to avoid any possible ' +
      'confusion with octal numbers.',
    matches: ({ bytes, ours, haproxy }) => {
      const f = v1Fields(bytes);
      return (
        (f?.[1] === 'TCP4' || f?.[1] === 'TCP6') &&
        haproxy.accepted &&
        !ours.accepted &&
        ours.code === 'ERR_PROXY_PROTOCOL_INVALID_PORT' &&
        (f.length !== 6 || !strictPort(f[4] ?? '') || !strictPort(f[5] ?? ''))
      );
    },
  },
  {
    id: 'v1-ipv6-nul-truncated',
    example: ascii('PROXY TCP6 ::1\0garbage ::1 1234 443\r\n'),
    haproxy:
      'reads a TCP6 address as a C string: a NUL byte ends it, and what follows up to the ' +
      'space is ignored (::1\\0garbage reads as ::1)',
    ours: 'refuses the connection (ERR_PROXY_PROTOCOL_INVALID_ADDRESS)',
    spec:
      'IPv6 addresses must be indicated as series of sets of 4 hexadecimal digits (upper or ' +
      'lower case) delimited by colons between each other [...] Any sequence which does not ' +
      'exactly match the protocol must be discarded and cause the receiver to abort the ' +
      'connection.',
    matches: ({ bytes, ours, haproxy }) => {
      const f = v1Fields(bytes);
      return (
        f?.[1] === 'TCP6' &&
        haproxy.accepted &&
        !ours.accepted &&
        ours.code === 'ERR_PROXY_PROTOCOL_INVALID_ADDRESS' &&
        ((f[2] ?? '').includes('\0') || (f[3] ?? '').includes('\0'))
      );
    },
  },
  {
    id: 'v1-unknown-with-fields',
    example: ascii('PROXY UNKNOWN ffff::1 ffff::2 1234 443\r\n'),
    haproxy: 'refuses "PROXY UNKNOWN" followed by anything but CRLF',
    ours: 'accepts the line and keeps the real connection endpoints',
    spec:
      'For "UNKNOWN", the rest of the line before the CRLF may be omitted by the sender, and ' +
      'the receiver must ignore anything presented before the CRLF is found.',
    matches: ({ bytes, ours, haproxy }) =>
      latin1(bytes).startsWith('PROXY UNKNOWN ') &&
      !haproxy.accepted &&
      ours.accepted &&
      ours.source === 'real',
  },
  {
    id: 'v2-local-block-checked',
    example: v2raw(0x20, 0x00, tlv(0x03, 'deadbeef')),
    haproxy:
      'accepts a LOCAL header without looking at what follows its length field: invalid ' +
      'family/transport nibbles, TLVs that overrun the header, a wrong CRC32C',
    ours:
      'refuses it (INVALID_FAMILY, INVALID_TRANSPORT, INVALID_TLV, CRC_MISMATCH), as it does ' +
      'for a PROXY header',
    spec:
      'If the checksum is provided as part of the PROXY header and the checksum functionality ' +
      'is supported by the receiver, the receiver MUST: [...] If it is not, the receiver MUST ' +
      'treat the TCP connection providing the header as invalid. / other values are ' +
      'unspecified and must not be emitted in version 2 of this protocol and must be rejected ' +
      'as invalid by receivers.',
    matches: ({ bytes, ours, haproxy }) =>
      isV2(bytes) &&
      bytes[12] === 0x20 &&
      haproxy.accepted &&
      haproxy.source === 'real' &&
      !ours.accepted &&
      [
        'ERR_PROXY_PROTOCOL_INVALID_FAMILY',
        'ERR_PROXY_PROTOCOL_INVALID_TRANSPORT',
        'ERR_PROXY_PROTOCOL_INVALID_TLV',
        'ERR_PROXY_PROTOCOL_CRC_MISMATCH',
      ].includes(ours.code ?? ''),
  },
  {
    id: 'v2-local-tlvs-reported',
    example: v2raw(0x20, 0x00, tlv(0x02, ascii('health.example'))),
    haproxy: 'accepts a LOCAL header and ignores its TLVs: no authority is passed on',
    ours:
      'accepts it with the real endpoints, and reports its TLVs (authority, ALPN, ...) in ' +
      'getProxyHeader()',
    spec:
      'The receiver must accept this connection as valid and must use the real connection ' +
      'endpoints [...] / If the length specified in the PROXY protocol header indicates that ' +
      'additional bytes are part of the header beyond the address information, a receiver may ' +
      'choose to skip over and ignore those bytes, or attempt to interpret those bytes.',
    matches: ({ bytes, ours, haproxy }) =>
      isV2(bytes) &&
      bytes[12] === 0x20 &&
      ours.accepted &&
      haproxy.accepted &&
      ours.source === 'real' &&
      haproxy.source === 'real' &&
      ours.destination === 'real' &&
      haproxy.destination === 'real' &&
      haproxy.authority === undefined &&
      ours.authority !== undefined,
  },
  {
    id: 'v2-proxy-other-than-tcp',
    example: v2raw(0x21, 0x12, V4),
    haproxy:
      'refuses a PROXY command whose family/transport byte is a valid combination other than ' +
      'TCP over IPv4/IPv6 (0x00, 0x01, 0x02, 0x10, 0x12, 0x20, 0x22, 0x30, 0x31, 0x32): it ' +
      'starts reading TLVs at the signature and finds them overrunning',
    ours:
      'accepts it: UDP over IPv4/IPv6 reports the header addresses, UNSPEC and UNIX keep the ' +
      'real endpoints',
    spec:
      'Only the UNSPEC protocol byte (\\x00) is mandatory to implement on the receiver. A ' +
      'receiver is not required to implement other ones, provided that it automatically falls ' +
      'back to the UNSPEC mode for the valid combinations above that it does not support.',
    matches: ({ bytes, ours, haproxy }) =>
      isV2(bytes) &&
      bytes[12] === 0x21 &&
      bytes[13] !== 0x11 &&
      bytes[13] !== 0x21 &&
      (bytes[13] as number) >>> 4 <= 3 &&
      ((bytes[13] as number) & 0x0f) <= 2 &&
      !haproxy.accepted &&
      ours.accepted,
  },
  {
    id: 'v2-tlv-content-checked',
    example: v2raw(0x21, 0x11, V4 + tlv(0x02, 'c3') + tlv(0x20, '01')),
    haproxy:
      'accepts TLVs whose frame is sound but whose content is not: an AUTHORITY or NETNS that ' +
      'is not UTF-8, a PP2_TYPE_SSL shorter than its 5 fixed bytes or with overrunning or ' +
      'non-UTF-8 sub-TLVs, a second ALPN, AUTHORITY, CRC32C, SSL or NETNS, or a second SSL ' +
      'sub-TLV of a known type (it keeps the last)',
    ours: 'refuses the connection (ERR_PROXY_PROTOCOL_INVALID_TLV)',
    spec:
      'Contains the host name value passed by the client, as an UTF8-encoded string. / For the ' +
      'type PP2_TYPE_SSL, the value is itself a defined like this : struct pp2_tlv_ssl { ' +
      'uint8_t client; uint32_t verify; struct pp2_tlv sub_tlv[0]; };',
    matches: ({ bytes, ours, haproxy }) =>
      haproxy.accepted &&
      !ours.accepted &&
      ours.code === 'ERR_PROXY_PROTOCOL_INVALID_TLV' &&
      tlvContentProblem(bytes) !== undefined,
  },
  {
    id: 'v2-authority-over-255-bytes',
    example: v2raw(0x21, 0x11, V4 + tlv(0x02, ascii('a'.repeat(256)))),
    haproxy: 'refuses an AUTHORITY TLV longer than 255 bytes (its HA_PP2_AUTHORITY_MAX)',
    ours: 'accepts it: the spec sets no limit',
    spec:
      'Contains the host name value passed by the client, as an UTF8-encoded string. In case ' +
      'of TLS being used on the client connection, this is the exact copy of the ' +
      '"server_name" extension',
    matches: ({ bytes, ours, haproxy }) =>
      !haproxy.accepted &&
      ours.accepted &&
      (v2Tlvs(bytes) ?? []).some((t) => t.type === 0x02 && t.value.length > 255),
  },
  {
    id: 'v2-header-beyond-haproxy-buffer',
    example: v2raw(0x21, 0x11, V4 + tlv(0x04, new Uint8Array(20_000))),
    haproxy:
      'never completes a header that does not fit its buffer (tune.bufsize, 16384 bytes), ' +
      'and drops the connection',
    ours:
      'reads the whole length field (up to 65551 bytes); the socket layer refuses anything ' +
      'above maxHeaderSize (default 4096, at most 65551)',
    spec: 'Thus the length of the protocol header in bytes is always exactly 16 + this value.',
    matches: ({ bytes, ours, haproxy }) =>
      isV2(bytes) && v2Length(bytes) > 15_000 && !haproxy.accepted && ours.accepted,
  },
];

/** The entry that explains a disagreement, if any. */
export function explain(d: Disagreement): Difference | undefined {
  return differences.find((entry) => entry.matches(d));
}
