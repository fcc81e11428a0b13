import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const tlsOptions = {
  key: readFileSync(new URL('./fixtures/tls/key.pem', import.meta.url)),
  cert: readFileSync(new URL('./fixtures/tls/cert.pem', import.meta.url)),
};

/** Servers opened by a test; closed by `closeAll()` in afterEach so the runner exits by itself. */
const open = new Set<net.Server>();

export async function listen<S extends net.Server>(server: S, host = '127.0.0.1'): Promise<number> {
  open.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

export async function closeAll(): Promise<void> {
  const servers = [...open];
  open.clear();
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          (server as Partial<http.Server>).closeAllConnections?.();
          server.close(() => resolve());
        }),
    ),
  );
}

/** An HTTP server answering with what the socket says about the client. */
export function echoServer(): http.Server {
  return http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        url: req.url,
        remoteAddress: req.socket.remoteAddress,
        remotePort: req.socket.remotePort,
        remoteFamily: req.socket.remoteFamily,
      }),
    );
  });
}

export interface RawResult {
  /** Everything the server sent before closing (or before `until` matched). */
  data: string;
  /** True if the server closed (or reset) the connection. */
  closed: boolean;
}

/**
 * Opens a raw TCP (or UNIX socket) connection, writes `chunks` one by one (with `delay` ms between them and
 * Nagle off, so each is its own segment), and collects the reply until the server closes, or
 * until `until` matches the data so far.
 */
export function rawExchange(
  port: number | string,
  chunks: (Uint8Array | string)[],
  options: { delay?: number; localAddress?: string; until?: RegExp; timeout?: number } = {},
): Promise<RawResult> {
  const { delay = 0, localAddress, until, timeout = 5000 } = options;
  return new Promise((resolve, reject) => {
    // A string is a UNIX socket path.
    const socket = net.connect(
      typeof port === 'string'
        ? { path: port }
        : { port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) },
    );
    socket.setNoDelay(true);
    let data = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new Error(`no reply within ${timeout} ms; got ${JSON.stringify(data)}`));
    }, timeout);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (until?.test(data)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (socket.destroyed) return;
        socket.write(chunks[i] as Uint8Array | string);
        if (delay > 0 && i < chunks.length - 1) await sleep(delay);
      }
    });
  });
}

/** Splits `bytes` at `at` (any number of cut points). */
export function splitAt(bytes: Uint8Array, ...at: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const cut of at) {
    parts.push(bytes.subarray(from, cut));
    from = cut;
  }
  parts.push(bytes.subarray(from));
  return parts.filter((p) => p.length > 0);
}

export function concat(...parts: (Uint8Array | string)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}

/** The JSON body of the first HTTP response in `data` (sent with a Content-Length). */
export function body(data: string): Record<string, unknown> {
  const start = data.indexOf('\r\n\r\n');
  const length = Number(/content-length: (\d+)/i.exec(data.slice(0, start))?.[1]);
  return JSON.parse(data.slice(start + 4, start + 4 + length));
}

export const GET = 'GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n';
export const GET_KEEPALIVE = 'GET /1 HTTP/1.1\r\nHost: test\r\n\r\n';

// For the adapter packages' tests, which import this file too.

/** Resolves with the port once `server` (listening already, or about to) listens. */
export function listening(server: net.Server): Promise<number> {
  open.add(server);
  return new Promise((resolve, reject) => {
    const done = () => resolve((server.address() as net.AddressInfo).port);
    if (server.listening) done();
    else {
      server.once('listening', done);
      server.once('error', reject);
    }
  });
}

export const v1 = (source = '203.0.113.7', port = 51000) =>
  `PROXY TCP4 ${source} 192.0.2.1 ${port} 443\r\n`;

export function get(path = '/', headers: Record<string, string> = {}): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: app.example', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Writes `chunks` on a raw connection and resolves with the reply once the server closes. */
export async function send(port: number, ...chunks: (Uint8Array | string)[]): Promise<string> {
  return (await rawExchange(port, chunks)).data;
}

/** Status and JSON body of the response in `data`. */
export function response(data: string): { status: number; body: Record<string, unknown> } {
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]), body: body(data) };
}

/** `process.emitWarning` calls with `code` from now on; `stop()` detaches. */
export function warnings(code: string): { seen: Error[]; stop: () => void } {
  const seen: Error[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === code) seen.push(warning);
  };
  process.on('warning', listener);
  return { seen, stop: () => process.off('warning', listener) };
}
