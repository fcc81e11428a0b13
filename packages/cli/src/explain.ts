import {
  type DecodeResult,
  decode,
  getAwsVpceId,
  getAzurePrivateLinkId,
  getGcpPscConnectionId,
  isProxyProtocolError,
  type ProxyHeader,
  type ProxyTlv,
  SslTlvType,
  TlvType,
} from '@proxyproto/core';
import { formatEndpoint } from './endpoint.js';

const TLV_NAMES: Record<number, string> = {
  [TlvType.ALPN]: 'ALPN',
  [TlvType.AUTHORITY]: 'AUTHORITY',
  [TlvType.CRC32C]: 'CRC32C',
  [TlvType.NOOP]: 'NOOP',
  [TlvType.UNIQUE_ID]: 'UNIQUE_ID',
  [TlvType.SSL]: 'SSL',
  [TlvType.NETNS]: 'NETNS',
  [TlvType.GCP]: 'GCP (custom)',
  [TlvType.AWS]: 'AWS (custom)',
  [TlvType.AZURE]: 'AZURE (custom)',
};

const SSL_NAMES: Record<number, string> = {
  [SslTlvType.VERSION]: 'VERSION',
  [SslTlvType.CN]: 'CN',
  [SslTlvType.CIPHER]: 'CIPHER',
  [SslTlvType.SIG_ALG]: 'SIG_ALG',
  [SslTlvType.KEY_ALG]: 'KEY_ALG',
};

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function tlvName(type: number): string {
  return TLV_NAMES[type] ?? (type >= 0xe0 && type <= 0xef ? 'custom' : 'unassigned');
}

/** Printable ASCII as a quoted string, anything else as hex. */
function readable(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1');
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${hex(bytes)}`;
}

/**
 * Reads what the user pasted or captured: hex in any common spelling (`0d0a...`, `0d 0a`,
 * `0d:0a`, `\x0d\x0a`, `0x0d 0x0a`), or a v1 line as text, or raw bytes.
 */
export function parseInput(input: Buffer): { bytes: Buffer; note?: string } {
  const text = input.toString('latin1');
  if (text.startsWith('PROXY ')) {
    // A v1 line typed on the command line has no CRLF; a captured one keeps its own.
    if (text.includes('\n')) return { bytes: input };
    return { bytes: Buffer.from(`${text}\r\n`, 'latin1'), note: 'CRLF added after the line' };
  }
  const digits = text.replace(/0x|\\x|[\s:,]/gi, '');
  if (digits.length > 0 && /^(?:[0-9a-f]{2})+$/i.test(digits)) {
    return { bytes: Buffer.from(digits, 'hex') };
  }
  return { bytes: input };
}

export type Explanation =
  | { ok: true; result: DecodeResult; trailing: Buffer }
  | { ok: false; code: string; message: string };

export function explain(bytes: Buffer): Explanation {
  let result: DecodeResult | null;
  try {
    result = decode(bytes);
  } catch (error) {
    if (!isProxyProtocolError(error)) throw error;
    return { ok: false, code: error.code, message: error.message };
  }
  if (result === null) {
    return {
      ok: false,
      code: 'INCOMPLETE',
      message: `${bytes.length} byte(s) are a valid start of a PROXY header, but it is not complete`,
    };
  }
  return { ok: true, result, trailing: bytes.subarray(result.length) };
}

function sslLines(header: ProxyHeader): string[] {
  const ssl = header.ssl;
  if (!ssl) return [];
  const bits = [
    ssl.client & 0x01 ? 'TLS' : '',
    ssl.client & 0x02 ? 'certificate on this connection' : '',
    ssl.client & 0x04 ? 'certificate in this session' : '',
  ].filter(Boolean);
  const verified = ssl.verify === 0 ? 'verified' : 'NOT verified';
  const lines = [
    `      client 0x${ssl.client.toString(16).padStart(2, '0')} (${bits.join(', ') || 'no TLS'}), verify ${ssl.verify} (${verified})`,
  ];
  for (const sub of ssl.tlvs) {
    const name = SSL_NAMES[sub.type] ?? 'unknown';
    lines.push(
      `      0x${sub.type.toString(16).padStart(2, '0')} ${name.padEnd(9)} ${readable(sub.value)}`,
    );
  }
  return lines;
}

function tlvValue(header: ProxyHeader, tlv: ProxyTlv): string {
  switch (tlv.type) {
    case TlvType.CRC32C:
      return `0x${hex(tlv.value)} (matches the header)`;
    case TlvType.SSL:
      return `${tlv.value.length} bytes`;
    case TlvType.AWS: {
      const vpce = getAwsVpceId(header);
      return vpce === undefined ? `0x${hex(tlv.value)}` : `VPC endpoint ${vpce}`;
    }
    case TlvType.AZURE: {
      const link = getAzurePrivateLinkId(header);
      return link === undefined ? `0x${hex(tlv.value)}` : `Private Link LINKID ${link}`;
    }
    case TlvType.GCP:
      return `PSC connection ID ${getGcpPscConnectionId(header)}`;
    default:
      return readable(tlv.value);
  }
}

/** The human-readable explanation `proxyproto decode` prints. */
export function formatExplanation(bytes: Buffer, explanation: Explanation): string {
  if (!explanation.ok)
    return `Not a valid PROXY header: ${explanation.code}\n  ${explanation.message}\n`;
  const { result, trailing } = explanation;
  const { header, length } = result;
  const out: string[] = [`PROXY protocol v${header.version} header, ${length} bytes`];
  const field = (name: string, value: string) => out.push(`  ${name.padEnd(12)} ${value}`);
  if (header.version === 1) {
    const line = bytes.subarray(0, length).toString('latin1');
    field('line', JSON.stringify(line));
    field('command', 'PROXY');
  } else {
    field('signature', `0x${hex(bytes.subarray(0, 12))}`);
    const b12 = `0x${(bytes[12] as number).toString(16)}`;
    const b13 = `0x${(bytes[13] as number).toString(16).padStart(2, '0')}`;
    field('command', `${header.command} (${b12}: version 2, command ${header.command})`);
    field('family', `${header.family} over ${header.transport} (${b13})`);
    field('length', `${length - 16} bytes after the 16-byte fixed part`);
  }
  if (header.version === 1) field('family', header.family === 'UNSPEC' ? 'UNKNOWN' : header.family);
  if (header.source !== undefined && header.destination !== undefined) {
    field('source', formatEndpoint(header.source.address, header.source.port));
    field('destination', formatEndpoint(header.destination.address, header.destination.port));
  } else if (header.command === 'LOCAL') {
    field('addresses', 'none: LOCAL (a health check); use the real connection endpoints');
  } else {
    field('addresses', 'none: the server keeps the real connection endpoints');
  }
  if (header.version === 2) {
    field('TLVs', header.tlvs.length === 0 ? 'none' : String(header.tlvs.length));
    for (const tlv of header.tlvs) {
      const type = `0x${tlv.type.toString(16).padStart(2, '0')}`;
      let value: string;
      try {
        value = tlvValue(header, tlv);
      } catch (error) {
        value = `0x${hex(tlv.value)} (malformed: ${(error as Error).message})`;
      }
      out.push(`    ${type} ${tlvName(tlv.type).padEnd(15)} ${value}`);
      if (tlv.type === TlvType.SSL) out.push(...sslLines(header));
    }
  }
  if (trailing.length > 0) {
    const preview = trailing.subarray(0, 40).toString('latin1');
    const more = trailing.length > 40 ? '...' : '';
    field(
      'after it',
      `${trailing.length} bytes for the application: ${JSON.stringify(preview)}${more}`,
    );
  }
  return `${out.join('\n')}\n`;
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The `--json` form: everything decoded, byte values as hex. */
export function explanationJson(explanation: Explanation): unknown {
  if (!explanation.ok) return { error: { code: explanation.code, message: explanation.message } };
  const { header, length } = explanation.result;
  return {
    version: header.version,
    length,
    command: header.command,
    family: header.family,
    transport: header.transport,
    source: header.source,
    destination: header.destination,
    authority: header.authority,
    alpn: header.alpn && Buffer.from(header.alpn).toString('latin1'),
    uniqueIdHex: header.uniqueId && hex(header.uniqueId),
    crc32c: header.crc32c,
    netns: header.netns,
    ssl: header.ssl && {
      client: header.ssl.client,
      verify: header.ssl.verify,
      version: header.ssl.version,
      cn: header.ssl.cn,
      cipher: header.ssl.cipher,
      sigAlg: header.ssl.sigAlg,
      keyAlg: header.ssl.keyAlg,
    },
    awsVpceId: safely(() => getAwsVpceId(header)),
    tlvs: header.tlvs.map((tlv) => ({
      type: tlv.type,
      name: tlvName(tlv.type),
      hex: hex(tlv.value),
    })),
    trailingBytes: explanation.trailing.length,
  };
}
