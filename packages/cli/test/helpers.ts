import http from 'node:http';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { enableProxyProtocol, getProxyHeader } from '@proxyproto/core';
import type { CommandIo, CommandRun } from '../src/index.js';

/** Servers and runs opened by a test; `cleanup()` in afterEach closes them. */
const servers = new Set<net.Server>();
const runs = new Set<CommandRun>();

export async function listen<S extends net.Server>(server: S): Promise<number> {
  servers.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

export function track(run: CommandRun): CommandRun {
  runs.add(run);
  return run;
}

export async function cleanup(): Promise<void> {
  await Promise.all([...runs].map((run) => run.stop()));
  runs.clear();
  await Promise.all(
    [...servers].map(
      (server) =>
        new Promise<void>((resolve) => {
          (server as Partial<http.Server>).closeAllConnections?.();
          server.close(() => resolve());
        }),
    ),
  );
  servers.clear();
}

export interface CapturedIo extends CommandIo {
  out(): string;
  err(): string;
  stdin: PassThrough;
}

/** Streams standing in for the process's, with what was written kept as text. */
export function captureIo(): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('latin1');
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('latin1');
  });
  return { stdin: new PassThrough(), stdout, stderr, out: () => out, err: () => err };
}

/** A PROXY protocol HTTP server answering with what it learned about the client, as JSON. */
export function proxyEchoServer(): http.Server {
  const server = http.createServer((req, res) => {
    const header = getProxyHeader(req.socket);
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        remoteAddress: req.socket.remoteAddress,
        remotePort: req.socket.remotePort,
        version: header?.version,
        authority: header?.authority,
        destination: header?.destination,
      }),
    );
  });
  return enableProxyProtocol(server);
}

/**
 * A TCP server that keeps the first bytes of each connection: everything up to the peer's
 * end of stream, or up to `until` bytes. It answers `reply` first when set.
 */
export function recorder(reply = ''): { server: net.Server; next: () => Promise<Buffer> } {
  const waiting: ((bytes: Buffer) => void)[] = [];
  const got: Buffer[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const waiter = waiting.shift();
      if (waiter) waiter(bytes);
      else got.push(bytes);
      socket.end(reply);
    });
  });
  return {
    server,
    next: () => {
      const bytes = got.shift();
      return bytes ? Promise.resolve(bytes) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/**
 * Connects (optionally from a given loopback address), sends `data`, ends, reads until the
 * server closes or resets the connection.
 */
export function exchange(
  port: number,
  data: string,
  localAddress?: string,
): Promise<{ reply: string; local: { address: string; port: number }; reset: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: '127.0.0.1',
      port,
      ...(localAddress ? { localAddress } : {}),
    });
    let reply = '';
    let local = { address: '', port: 0 };
    let reset = false;
    socket.on('connect', () => {
      local = { address: socket.localAddress as string, port: socket.localPort as number };
      socket.end(data);
    });
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') reset = true;
      else reject(error);
    });
    socket.on('close', () => resolve({ reply, local, reset }));
  });
}
