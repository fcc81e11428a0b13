import http from 'node:http';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { type Endpoint, UsageError } from './endpoint.js';
import type { HeaderTemplate } from './header-options.js';

export interface SendOptions {
  target: Endpoint;
  header: HeaderTemplate;
  /** Bind the client socket to this local address (like `curl --interface`). */
  localAddress?: string | undefined;
  /** Header source instead of this connection's own address (a spoofed client). */
  source?: { address: string; port: number } | undefined;
  /** Header destination instead of the address connected to. */
  destination?: { address: string; port: number } | undefined;
  /** Milliseconds the connection may stay silent before `send` gives up. */
  timeout: number;
}

export interface HttpRequest {
  method: string;
  path: string;
  hostHeader: string;
  headers: [string, string][];
  body?: string | undefined;
}

/** Connects, writes the PROXY header, and resolves with the socket once the header is queued. */
export function connectWithHeader(options: SendOptions): Promise<net.Socket> {
  const { target, header, localAddress } = options;
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: target.host,
      port: target.port,
      ...(localAddress !== undefined ? { localAddress } : {}),
    });
    socket.setTimeout(options.timeout, () =>
      socket.destroy(new Error(`no answer within ${options.timeout} ms`)),
    );
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      const source = options.source ?? {
        address: socket.localAddress as string,
        port: socket.localPort as number,
      };
      const destination = options.destination ?? {
        address: socket.remoteAddress as string,
        port: socket.remotePort as number,
      };
      try {
        socket.write(header.encode(source, destination));
      } catch (error) {
        socket.destroy();
        reject(new UsageError((error as Error).message));
        return;
      }
      resolve(socket);
    });
  });
}

export interface HttpResult {
  status: number;
  /** Status line and headers as received. */
  head: string;
  body: Buffer;
}

/** Sends one HTTP/1.1 request after the header, on the same connection, and reads the reply. */
export async function sendHttp(options: SendOptions, request: HttpRequest): Promise<HttpResult> {
  const socket = await connectWithHeader(options);
  return new Promise((resolve, reject) => {
    const headers: [string, string][] = [
      ['Host', request.hostHeader],
      ['User-Agent', 'proxyproto-send'],
      ['Accept', '*/*'],
      ...request.headers,
      ['Connection', 'close'],
    ];
    if (request.body !== undefined) {
      headers.push(['Content-Length', String(Buffer.byteLength(request.body))]);
    }
    const req = http.request({
      method: request.method,
      path: request.path,
      headers: headers.flat(),
      setHost: false,
      createConnection: () => socket,
    });
    req.once('error', (error: NodeJS.ErrnoException) => {
      // What a PROXY server that refuses the header (untrusted peer, bad header) looks like.
      const closed = ['ECONNRESET', 'EPIPE'].includes(error.code as string);
      reject(
        closed || error.message === 'socket hang up'
          ? new Error('the server closed the connection without answering (header refused?)')
          : error,
      );
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const lines = [`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}`];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({
          status: res.statusCode as number,
          head: `${lines.join('\r\n')}\r\n\r\n`,
          body: Buffer.concat(chunks),
        });
      });
    });
    req.end(request.body);
  });
}

/**
 * Raw mode: after the header, relays `input` to the server and the server's bytes to `output`
 * until the server closes. Resolves with the number of bytes received.
 */
export async function sendRaw(
  options: SendOptions,
  input: Readable | string,
  output: Writable,
): Promise<number> {
  const socket = await connectWithHeader(options);
  return new Promise((resolve, reject) => {
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      output.write(chunk);
    });
    socket.once('error', reject);
    socket.once('close', (hadError) => {
      if (!hadError) resolve(received);
    });
    if (typeof input === 'string') socket.end(input);
    else input.pipe(socket);
  });
}
