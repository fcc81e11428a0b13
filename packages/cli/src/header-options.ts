import net from 'node:net';
import {
  decode,
  encode,
  type ProxyAddress,
  type ProxyHeaderInit,
  type ProxyTlv,
  SslClient,
  TlvType,
} from '@proxyproto/core';
import { UsageError } from './endpoint.js';

/** The `util.parseArgs` options shared by `lb` and `send` that shape the header. */
export const headerOptions = {
  v1: { type: 'boolean' },
  v2: { type: 'boolean' },
  authority: { type: 'string' },
  alpn: { type: 'string' },
  'unique-id': { type: 'string' },
  crc32c: { type: 'boolean' },
  netns: { type: 'string' },
  'ssl-version': { type: 'string' },
  'ssl-cn': { type: 'string' },
  'ssl-cipher': { type: 'string' },
  'ssl-sig-alg': { type: 'string' },
  'ssl-key-alg': { type: 'string' },
  'aws-vpce-id': { type: 'string' },
  tlv: { type: 'string', multiple: true },
} as const;

export const headerOptionsHelp = `Header options:
  --v1                    PROXY v1 text header (the default without TLV options)
  --v2                    PROXY v2 binary header (implied by any TLV option)
  --authority NAME        PP2_TYPE_AUTHORITY (the TLS SNI the client sent)
  --alpn PROTO            PP2_TYPE_ALPN (e.g. h2, http/1.1)
  --unique-id ID          PP2_TYPE_UNIQUE_ID (up to 128 bytes)
  --crc32c                add a PP2_TYPE_CRC32C checksum
  --netns NAME            PP2_TYPE_NETNS
  --ssl-version V         PP2_TYPE_SSL with PP2_SUBTYPE_SSL_VERSION (e.g. TLSv1.3)
  --ssl-cn CN             ... and the client certificate's CN (marks a verified certificate)
  --ssl-cipher NAME       ... and the cipher
  --ssl-sig-alg ALG       ... and the certificate's signature algorithm
  --ssl-key-alg ALG       ... and the certificate's key algorithm
  --aws-vpce-id ID        AWS PrivateLink VPC endpoint ID (TLV 0xEA, subtype 0x01)
  --tlv TYPE=HEX          any TLV, verbatim (TYPE 0..255, e.g. 0xE0=0000000000000001); repeatable`;

export interface HeaderValues {
  v1?: boolean | undefined;
  v2?: boolean | undefined;
  authority?: string | undefined;
  alpn?: string | undefined;
  'unique-id'?: string | undefined;
  crc32c?: boolean | undefined;
  netns?: string | undefined;
  'ssl-version'?: string | undefined;
  'ssl-cn'?: string | undefined;
  'ssl-cipher'?: string | undefined;
  'ssl-sig-alg'?: string | undefined;
  'ssl-key-alg'?: string | undefined;
  'aws-vpce-id'?: string | undefined;
  tlv?: string[] | undefined;
}

/** A header shape fixed at startup; only the addresses change per connection. */
export interface HeaderTemplate {
  version: 1 | 2;
  /** TLVs written after the addresses (v2), CRC32C excluded: it is computed per header. */
  tlvs: readonly ProxyTlv[];
  crc32c: boolean;
  /** The header for one connection. */
  encode(source: ProxyAddress, destination: ProxyAddress): Uint8Array;
}

function parseTlv(text: string): ProxyTlv {
  const match = /^(0x[0-9a-f]{1,2}|\d{1,3})=((?:[0-9a-f]{2})*)$/i.exec(text);
  const type = match ? Number(match[1]) : Number.NaN;
  if (!match || !(type >= 0 && type <= 255)) {
    throw new UsageError(`--tlv ${text}: expected TYPE=HEX, e.g. 0xE0=0102 (TYPE 0..255)`);
  }
  return { type, value: Buffer.from(match[2] as string, 'hex') };
}

/** The convenience TLVs, encoded by the core so they come out exactly as `encode` writes them. */
function convenienceTlvs(values: HeaderValues): ProxyTlv[] {
  const init: ProxyHeaderInit = { version: 2, command: 'LOCAL' };
  if (values.authority !== undefined) init.authority = values.authority;
  if (values.alpn !== undefined) init.alpn = values.alpn;
  if (values['unique-id'] !== undefined) init.uniqueId = values['unique-id'];
  if (values.netns !== undefined) init.netns = values.netns;
  const ssl: NonNullable<ProxyHeaderInit['ssl']> = {};
  if (values['ssl-version'] !== undefined) ssl.version = values['ssl-version'];
  if (values['ssl-cn'] !== undefined) ssl.cn = values['ssl-cn'];
  if (values['ssl-cipher'] !== undefined) ssl.cipher = values['ssl-cipher'];
  if (values['ssl-sig-alg'] !== undefined) ssl.sigAlg = values['ssl-sig-alg'];
  if (values['ssl-key-alg'] !== undefined) ssl.keyAlg = values['ssl-key-alg'];
  if (Object.keys(ssl).length > 0) {
    // What HAProxy sends for a TLS client that presented a verified certificate (or none).
    ssl.client =
      SslClient.SSL | (ssl.cn !== undefined ? SslClient.CERT_CONN | SslClient.CERT_SESS : 0);
    ssl.verify = 0;
    init.ssl = ssl;
  }
  const tlvs = (decode(encode(init))?.header.tlvs ?? []).slice();
  if (values['aws-vpce-id'] !== undefined) {
    const id = Buffer.from(values['aws-vpce-id'], 'utf8');
    tlvs.push({ type: TlvType.AWS, value: Buffer.concat([Buffer.from([0x01]), id]) });
  }
  return tlvs;
}

const unmapped = (address: string) =>
  address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;

/**
 * The header family for a pair of addresses. IPv4-mapped IPv6 addresses (a dual-stack listener)
 * are sent as IPv4, as cloud load balancers do; a pair of different families as IPv6.
 */
export function headerAddresses(
  source: ProxyAddress,
  destination: ProxyAddress,
): Pick<ProxyHeaderInit, 'family' | 'source' | 'destination'> {
  const src = unmapped(source.address);
  const dst = unmapped(destination.address);
  const v4 = net.isIPv4(src) && net.isIPv4(dst);
  const as6 = (address: string) => (net.isIPv4(address) ? `::ffff:${address}` : address);
  return {
    family: v4 ? 'IPv4' : 'IPv6',
    source: { address: v4 ? src : as6(src), port: source.port as number },
    destination: { address: v4 ? dst : as6(dst), port: destination.port as number },
  };
}

/** Turns the command-line header options into a template; throws UsageError on a bad option. */
export function compileHeader(values: HeaderValues): HeaderTemplate {
  if (values.v1 && values.v2) throw new UsageError('--v1 and --v2 exclude each other');
  let tlvs: ProxyTlv[];
  try {
    tlvs = [...convenienceTlvs(values), ...(values.tlv ?? []).map(parseTlv)];
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
  const crc32c = values.crc32c === true;
  const wantsV2 = tlvs.length > 0 || crc32c;
  if (values.v1 && wantsV2) throw new UsageError('TLV options need a v2 header (drop --v1)');
  const version = values.v2 || wantsV2 ? 2 : 1;
  const options = { crc32c };
  return {
    version,
    tlvs,
    crc32c,
    encode(source, destination) {
      return encode({ version, ...headerAddresses(source, destination), tlvs }, options);
    },
  };
}
