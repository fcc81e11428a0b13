// What the three echo examples share, so that they differ only in framework wiring: the
// settings read from the environment, the echoserver-style response body, the JSON access log.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * @typedef {object} EchoConfig
 * @property {string} host
 * @property {number} port plain HTTP
 * @property {number} proxyPort HTTP behind a PROXY protocol load balancer
 * @property {true | string[]} trusted TRUSTED_CIDRS: peers allowed to send a PROXY header
 * @property {number} headerTimeout HEADER_TIMEOUT, converted to milliseconds
 * @property {number} bodyLimit BODY_LIMIT in bytes
 * @property {string[]} trustProxy TRUST_PROXY: peers whose X-Forwarded-For is believed
 */

function integer(env, name, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(text)}`,
    );
  }
  return value;
}

const list = (text) =>
  (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** @returns {EchoConfig} */
export function readConfig(env = process.env) {
  const timeout = Number(env.HEADER_TIMEOUT ?? '5');
  if (!(timeout >= 0)) throw new Error(`HEADER_TIMEOUT must be seconds (0 disables it)`);
  const trusted = list(env.TRUSTED_CIDRS);
  return {
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 8080, { max: 65535 }),
    proxyPort: integer(env, 'PROXY_PORT', 9080, { max: 65535 }),
    trusted: trusted.length === 0 ? true : trusted,
    headerTimeout: Math.round(timeout * 1000),
    bodyLimit: integer(env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT),
    trustProxy: list(env.TRUST_PROXY),
  };
}

/** `express/5.3.0 - node/20.20.2` */
export function serverVersion(framework, version) {
  return `${framework}/${version} - node/${process.versions.node}`;
}

/** The request ID: the one an ingress passed on, or a new one in ingress-nginx's format. */
export function requestId(req) {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given)
    ? given
    : randomBytes(16).toString('hex');
}

/** The Host header without its port (nginx's `$host`), or this machine's name. */
export function hostOf(req) {
  const host = req.headers.host ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return (name || hostname()).toLowerCase();
}

const printable = (bytes) => {
  const text = Buffer.from(bytes).toString('latin1');
  return /^[\x20-\x7e]*$/.test(text) ? text : `0x${Buffer.from(bytes).toString('hex')}`;
};

const endpoint = (address) =>
  address.port === undefined
    ? address.address
    : `${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

// TLVs shown by name below; any other is shown as tlv_0xNN=hex.
const NAMED_TLVS = new Set([0x01, 0x02, 0x03, 0x05, 0x20, 0x30]);

/**
 * The `Proxy Protocol:` lines for a header as the adapters expose it (the core's ProxyHeader
 * plus `realPeer`), or the plain-port line when there is none.
 */
export function proxyProtocolLines(info) {
  if (!info) return ['\t-no proxy protocol header-'];
  const lines = [`\tversion=${info.version}`, `\tcommand=${info.command}`];
  if (info.source) lines.push(`\tsource=${endpoint(info.source)}`);
  if (info.destination) lines.push(`\tdestination=${endpoint(info.destination)}`);
  if (info.realPeer) lines.push(`\tpeer=${info.realPeer.address}`);
  if (info.authority !== undefined) lines.push(`\tauthority=${info.authority}`);
  if (info.alpn !== undefined) lines.push(`\talpn=${printable(info.alpn)}`);
  if (info.uniqueId !== undefined) lines.push(`\tunique_id=${printable(info.uniqueId)}`);
  if (info.crc32c !== undefined) {
    lines.push(`\tcrc32c=0x${info.crc32c.toString(16).padStart(8, '0')}`);
  }
  if (info.netns !== undefined) lines.push(`\tnetns=${info.netns}`);
  const ssl = info.ssl;
  if (ssl) {
    lines.push(`\tssl_client=0x${ssl.client.toString(16).padStart(2, '0')}`);
    lines.push(`\tssl_verify=${ssl.verify}`);
    if (ssl.version !== undefined) lines.push(`\tssl_version=${ssl.version}`);
    if (ssl.cn !== undefined) lines.push(`\tssl_cn=${ssl.cn}`);
    if (ssl.cipher !== undefined) lines.push(`\tssl_cipher=${ssl.cipher}`);
    if (ssl.sigAlg !== undefined) lines.push(`\tssl_sig_alg=${ssl.sigAlg}`);
    if (ssl.keyAlg !== undefined) lines.push(`\tssl_key_alg=${ssl.keyAlg}`);
  }
  for (const tlv of info.tlvs ?? []) {
    if (NAMED_TLVS.has(tlv.type)) continue;
    const type = `0x${tlv.type.toString(16).padStart(2, '0')}`;
    lines.push(`\ttlv_${type}=${Buffer.from(tlv.value).toString('hex')}`);
  }
  return lines;
}

function podLines(env) {
  if (!env.POD_NAME) return ['\t-no pod information available-'];
  const value = (name) => env[name] || 'N/A';
  return [
    `\tnode name:\t${value('NODE_NAME')}`,
    `\tpod name:\t${value('POD_NAME')}`,
    `\tpod namespace:\t${value('POD_NAMESPACE')}`,
    `\tpod IP:\t${value('POD_IP')}`,
  ];
}

/**
 * The echoserver response body.
 *
 * @param {object} request
 * @param {string} request.serverVersion from `serverVersion()`
 * @param {string} request.clientAddress the framework's req.ip / ctx.ip / request.ip
 * @param {import('node:http').IncomingMessage} request.req the Node request underneath
 * @param {Buffer | undefined} request.body
 * @param {object | undefined} request.proxyProtocol the adapter's header info, if any
 */
export function renderEcho(
  { serverVersion, clientAddress, req, body, proxyProtocol },
  env = process.env,
) {
  const url = req.url ?? '/';
  const question = url.indexOf('?');
  const rawPath = question < 0 ? url : url.slice(0, question);
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // Not valid percent-encoding: shown as sent.
  }
  const scheme = req.socket.encrypted ? 'https' : 'http';
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
  }
  // Array sort is stable: several values of one header keep the order they came in.
  headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [
    `Hostname: ${hostname()}`,
    '',
    'Pod Information:',
    ...podLines(env),
    '',
    'Server values:',
    `\tserver_version=${serverVersion}`,
    '',
    'Request Information:',
    `\tclient_address=${clientAddress}`,
    `\tmethod=${req.method}`,
    `\treal path=${path}`,
    `\tquery=${question < 0 ? '' : url.slice(question + 1)}`,
    `\trequest_version=${req.httpVersion}`,
    `\trequest_scheme=${scheme}`,
    `\trequest_uri=${scheme}://${hostOf(req)}:${req.socket.localPort}${url}`,
    '',
    'Request Headers:',
    ...headers.map(([name, value]) => `\t${name}=${value}`),
    '',
    'Request Body:',
    body && body.length > 0 ? body.toString('utf8') : '\t-no body in request-',
    '',
    'Proxy Protocol:',
    ...proxyProtocolLines(proxyProtocol),
    '',
  ];
  return lines.join('\n');
}

/** Response headers every echo answer carries. */
export const RESPONSE_HEADERS = {
  server: 'echoserver',
  'content-type': 'text/plain; charset=utf-8',
};

/**
 * Writes one JSON access-log line to stdout when the response is done (or the client went away),
 * in the field names of ingress-nginx's JSON log format. `client()` is read then, so it sees
 * what the framework's middleware made of the request.
 */
export function logAccess(req, res, { id, client, extra }) {
  const start = process.hrtime.bigint();
  const time = new Date();
  // Read now: by 'close' the socket may be detached from the request.
  const host = hostOf(req);
  const scheme = req.socket.encrypted ? 'https' : 'http';
  let logged = false;
  const log = () => {
    if (logged) return;
    logged = true;
    const line = {
      time_date: time.toISOString(),
      client: client(),
      host,
      scheme,
      request_method: req.method,
      request_uri: req.url,
      request_id: id,
      status: res.statusCode,
      request_time: Number(process.hrtime.bigint() - start) / 1e9,
      ...extra?.(),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  // 'finish' while the socket is still there to ask; 'close' alone when the client went away.
  res.once('finish', log);
  res.once('close', log);
}

/**
 * Reads a request body up to `limit` bytes, for frameworks without a raw body reader of their
 * own. Rejects with an error whose `status` is 413 past the limit.
 */
export function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      reject(Object.assign(new Error('request entity too large'), { status: 413 }));
      req.resume();
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(Object.assign(new Error('request entity too large'), { status: 413 }));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The body of an error answer, in the same text/plain style. */
export function errorText(status, message) {
  return `${status} ${message}\n`;
}

/** The `onError` the examples give the adapter: one stderr line per refused connection. */
export function logRefused(error, connection) {
  const from = connection.remoteAddress?.includes(':')
    ? `[${connection.remoteAddress}]:${connection.remotePort}`
    : `${connection.remoteAddress}:${connection.remotePort}`;
  process.stderr.write(`refused PROXY connection from ${from}: ${error.code}: ${error.message}\n`);
}

/** Prints where an example listens, on stderr (stdout carries the access log only). */
export function announce(name, plain, proxy) {
  const at = (server) => {
    const { address, port } = server.address();
    return `${address.includes(':') ? `[${address}]` : address}:${port}`;
  };
  process.stderr.write(`${name} listening: plain=${at(plain)} proxy=${at(proxy)}\n`);
}

/** Closes the servers on SIGINT / SIGTERM, then lets the process exit. */
export function closeOnSignal(close) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      Promise.resolve(close()).finally(() => process.exit(0));
    });
  }
}
