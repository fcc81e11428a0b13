import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { encode } from '@proxyproto/core';

export const tlsOptions = {
  key: readFileSync(new URL('../../packages/core/test/fixtures/tls/key.pem', import.meta.url)),
  cert: readFileSync(new URL('../../packages/core/test/fixtures/tls/cert.pem', import.meta.url)),
};

/** Resolves with the port once `server` listens (it was told to listen on 127.0.0.1:0). */
export function listening(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = () => resolve((server.address() as net.AddressInfo).port);
    if (server.listening) done();
    else {
      server.once('listening', done);
      server.once('error', reject);
    }
  });
}

/** Closes an http(s) server and every connection on it. */
export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    (server as Partial<Server>).closeAllConnections?.();
    server.close(() => resolve());
  });
}

export const SOURCE = '203.0.113.7';

/** A v1 line: the client `source`:`port` connected to 192.0.2.1:443 on the load balancer. */
export const v1 = (source = SOURCE, port = 51000) =>
  `PROXY TCP4 ${source} 192.0.2.1 ${port} 443\r\n`;

/** A v2 header with TLVs as HAProxy sends them for a TLS client, and a CRC32C. */
export const v2 = (source = '2001:db8::7', port = 51000) =>
  encode(
    {
      version: 2,
      family: source.includes(':') ? 'IPv6' : 'IPv4',
      source: { address: source, port },
      destination: { address: source.includes(':') ? '2001:db8::1' : '192.0.2.1', port: 443 },
      authority: 'app.example',
      uniqueId: 'conn-42',
      ssl: { client: 0x01, verify: 0, version: 'TLSv1.3', cn: 'client.example' },
    },
    { crc32c: true },
  );

export const v2Local = () => encode({ version: 2, command: 'LOCAL' });

/** An HTTP/1.1 GET, closing the connection unless `keepAlive`. */
export function get(path = '/', headers: Record<string, string> = {}, keepAlive = false): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: app.example'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (!keepAlive) lines.push('Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface Exchange {
  /** Everything the server sent before it closed the connection. */
  data: string;
  /** The connection ended without a byte from the server. */
  refused: boolean;
}

/** Writes `chunks` on a raw TCP connection and collects the reply until the server closes. */
export function exchange(
  port: number,
  chunks: (Uint8Array | string)[],
  options: { localAddress?: string } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', ...options });
    socket.setNoDelay(true);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => {}); // a reset is a close here; `refused` tells the test
    socket.on('close', () => resolve({ data, refused: data === '' }));
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
  });
}

/** Sends `header` in clear, then `request` over TLS, as a load balancer passing TLS through does. */
export function tlsExchange(port: number, header: Uint8Array | string, request: string) {
  return new Promise<string>((resolve, reject) => {
    const raw = net.connect({ port, host: '127.0.0.1' });
    raw.on('error', reject);
    raw.on('connect', () => {
      raw.write(header);
      const secure = tls.connect({
        socket: raw,
        servername: 'localhost',
        rejectUnauthorized: false,
      });
      let data = '';
      secure.on('data', (chunk) => {
        data += chunk.toString('latin1');
      });
      secure.on('error', reject);
      secure.on('close', () => resolve(data));
      secure.write(request);
    });
  });
}

/** The JSON bodies of every HTTP response in `data`, in order (each sent with Content-Length). */
export function bodies(data: string): unknown[] {
  const found: unknown[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const head = data.slice(at, end);
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
    if (Number.isNaN(length)) throw new Error(`no Content-Length in ${JSON.stringify(head)}`);
    found.push(JSON.parse(data.slice(end + 4, end + 4 + length)));
    at = end + 4 + length;
  }
  return found;
}

export function body(data: string): unknown {
  const [first] = bodies(data);
  if (first === undefined) throw new Error(`no response in ${JSON.stringify(data)}`);
  return first;
}

/** The status code of the first response in `data`. */
export function status(data: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]);
}
