import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';

export const tlsOptions = {
  key: readFileSync(new URL('./fixtures/key.pem', import.meta.url)),
  cert: readFileSync(new URL('./fixtures/cert.pem', import.meta.url)),
};

const open = new Set<net.Server>();

/** Resolves with the port once `server` listens; `closeAll()` in afterEach closes it. */
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

export async function closeAll(): Promise<void> {
  const servers = [...open];
  open.clear();
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          (server as Partial<Server>).closeAllConnections?.();
          server.close(() => resolve());
        }),
    ),
  );
}

export const v1 = (source = '203.0.113.7', port = 51000) =>
  `PROXY TCP4 ${source} 192.0.2.1 ${port} 443\r\n`;

export function get(path = '/', headers: Record<string, string> = {}): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: app.example', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Writes `chunks` on a raw connection and resolves with the reply once the server closes. */
export function send(port: number, ...chunks: (Uint8Array | string)[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(data));
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
  });
}

/** Status and JSON body of the response in `data`. */
export function response(data: string): { status: number; body: Record<string, unknown> } {
  const start = data.indexOf('\r\n\r\n');
  const length = Number(/content-length: *(\d+)/i.exec(data.slice(0, start))?.[1]);
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]),
    body: JSON.parse(data.slice(start + 4, start + 4 + length)),
  };
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
