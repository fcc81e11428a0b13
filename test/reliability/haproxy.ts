import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { enableProxyProtocol, getProxyHeader, type ProxyHeader } from '@proxyproto/core';
import { ascii, close, exchange, hex, listen, outcome } from './helpers.js';

/**
 * What a receiver did with one byte stream: refused it (closed without serving it), or accepted
 * it and served the connection as coming from `source` to `destination` ('real' when it kept the
 * real endpoints: LOCAL, UNKNOWN, UNSPEC). `authority` is hex, absent when there was none.
 */
export type Verdict =
  | { accepted: false; code?: string }
  | { accepted: true; source: string; destination: string; authority?: string };

export const REAL = 'real';

/** `address:port` with the address in one canonical spelling (what inet_ntop prints). */
export function endpoint(address: string, port: number | undefined): string {
  const family = address.includes(':') ? 'ipv6' : 'ipv4';
  return `${new net.SocketAddress({ address, family }).address}:${port}`;
}

/** Our verdict straight from decode(), applying the rule the socket layer applies. */
export function decodeVerdict(bytes: Uint8Array): Verdict {
  const o = outcome(bytes);
  if (o.kind === 'error') return { accepted: false, code: o.code };
  if (o.kind === 'incomplete') return { accepted: false, code: 'incomplete' };
  return headerVerdict(o.result.header);
}

function headerVerdict(header: ProxyHeader): Verdict {
  const { source, destination } = header;
  const verdict: Verdict =
    header.command === 'PROXY' &&
    (header.family === 'IPv4' || header.family === 'IPv6') &&
    source &&
    destination
      ? {
          accepted: true,
          source: endpoint(source.address, source.port),
          destination: endpoint(destination.address, destination.port),
        }
      : { accepted: true, source: REAL, destination: REAL };
  if (header.authority !== undefined) {
    verdict.authority = Buffer.from(header.authority, 'utf8').toString('hex');
  }
  return verdict;
}

/** HAProxy's `send-proxy-v2` header, read by hand (it only ever writes 0x11, 0x21 and TLVs). */
function haproxyHeaderVerdict(header: Buffer, clientPort: number, frontendPort: number): Verdict {
  const fam = header[13];
  let source: string;
  let destination: string;
  let at: number;
  if (fam === 0x11) {
    source = endpoint([...header.subarray(16, 20)].join('.'), header.readUInt16BE(24));
    destination = endpoint([...header.subarray(20, 24)].join('.'), header.readUInt16BE(26));
    at = 28;
  } else if (fam === 0x21) {
    const v6 = (from: number) =>
      Array.from({ length: 8 }, (_, i) => header.readUInt16BE(from + 2 * i).toString(16)).join(':');
    source = endpoint(v6(16), header.readUInt16BE(48));
    destination = endpoint(v6(32), header.readUInt16BE(50));
    at = 52;
  } else {
    throw new Error(
      `HAProxy sent an unexpected family 0x${fam?.toString(16)}: ${header.toString('hex')}`,
    );
  }
  const verdict: Verdict = { accepted: true, source, destination };
  if (source === `127.0.0.1:${clientPort}` && destination === `127.0.0.1:${frontendPort}`) {
    verdict.source = REAL;
    verdict.destination = REAL;
  }
  while (at + 3 <= header.length) {
    const type = header[at] as number;
    const length = header.readUInt16BE(at + 1);
    if (type === 0x02) verdict.authority = header.subarray(at + 3, at + 3 + length).toString('hex');
    at += 3 + length;
  }
  return verdict;
}

/** A receiver under test: where to connect, and how to read what came back. */
export interface Receiver {
  name: string;
  port: number;
  verdict(bytes: Uint8Array, quiet?: number): Promise<Verdict>;
  stop(): Promise<void>;
}

async function run(
  port: number,
  bytes: Uint8Array,
  quiet: number,
  read: (data: Buffer, clientPort: number) => Verdict,
): Promise<Verdict> {
  const result = await exchange(port, bytes.length > 0 ? [bytes] : [], {
    quiet,
    timeout: 15_000,
    until: (data) => data.includes(0x0a),
  });
  if (result.ended === 'timeout') throw new Error(`receiver on ${port} hung on ${hex(bytes)}`);
  if (result.data.length === 0) return { accepted: false };
  return read(result.data, result.localPort as number);
}

/**
 * Our socket layer, with limits out of the way (any header size, a long timeout), so it is
 * compared with HAProxy on the protocol alone. It answers each connection with what it sees.
 */
export async function startOurs(): Promise<Receiver> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.resume(); // discard what follows the header
    const header = getProxyHeader(socket);
    const verdict: Verdict = header
      ? headerVerdict(header)
      : { accepted: true, source: REAL, destination: REAL };
    if (verdict.accepted && verdict.source !== REAL) {
      // What the server really reports, not what the header said.
      verdict.source = endpoint(socket.remoteAddress as string, socket.remotePort);
    }
    socket.end(`${JSON.stringify(verdict)}\n`);
  });
  enableProxyProtocol(server, { headerTimeout: 15_000, maxHeaderSize: 65_551 });
  const port = await listen(server);
  return {
    name: 'ours',
    port,
    verdict: (bytes, quiet = 150) =>
      run(port, bytes, quiet, (data) => JSON.parse(data.toString('utf8')) as Verdict),
    stop: () => close(server),
  };
}

/** `haproxy -v`, or undefined if it is not installed. */
export function haproxyVersion(): string | undefined {
  const result = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  if (result.error) return undefined;
  return /HAProxy version (\S+)/.exec(result.stdout)?.[1];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const holder = net.createServer();
    holder.once('error', reject);
    holder.listen(0, '127.0.0.1', () => {
      const { port } = holder.address() as net.AddressInfo;
      holder.close(() => resolve(port));
    });
  });
}

/**
 * HAProxy as a child process: a `mode tcp` frontend with `accept-proxy`, forwarding to a Node
 * backend through `send-proxy-v2` with `proxy-v2-options authority`. HAProxy writes a fresh
 * header from what it accepted, the backend sends it back to the client, so the client learns
 * exactly which source, destination and authority HAProxy took from the stream. A refused
 * stream gets the connection closed without a byte.
 */
export async function startHaproxy(): Promise<Receiver> {
  const backend = net.createServer((socket) => {
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 16) return;
      const length = 16 + buffered.readUInt16BE(14);
      if (buffered.length < length) return;
      socket.off('data', onData);
      socket.resume();
      socket.end(`PP ${buffered.subarray(0, length).toString('hex')}\n`);
    };
    socket.on('data', onData);
  });
  const backendPort = await listen(backend);
  const dir = mkdtempSync(join(os.tmpdir(), 'proxyproto-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  let child: ChildProcess | undefined;
  let output = '';
  let frontendPort = 0;
  const stopChild = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  // The frontend port is picked free and then bound by HAProxy; another process may take it in
  // between, so a failed start is retried on a new port.
  for (let attempt = 0; attempt < 5 && frontendPort === 0; attempt++) {
    const port = await freePort();
    writeFileSync(
      config,
      [
        'global',
        '  nbthread 1',
        '  maxconn 4096',
        'defaults',
        '  mode tcp',
        '  timeout connect 5s',
        '  timeout client 15s',
        '  timeout server 15s',
        'frontend fe',
        `  bind 127.0.0.1:${port} accept-proxy`,
        '  default_backend be',
        'backend be',
        `  server s 127.0.0.1:${backendPort} send-proxy-v2 proxy-v2-options authority`,
        '',
      ].join('\n'),
    );
    output = '';
    child = spawn('haproxy', ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    // Ready when a whole round trip works.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const probe = await exchange(port, [ascii('PROXY UNKNOWN\r\n')], { timeout: 2000 }).catch(
        () => undefined,
      );
      if (probe?.data.toString('latin1').startsWith('PP ')) {
        frontendPort = port;
        break;
      }
      await sleep(50);
    }
    if (frontendPort === 0) await stopChild();
  }
  if (frontendPort === 0) {
    await close(backend);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`haproxy did not start:\n${output}`);
  }
  return {
    name: 'haproxy',
    port: frontendPort,
    verdict: (bytes, quiet = 150) =>
      run(frontendPort, bytes, quiet, (data, clientPort) => {
        const text = data.toString('latin1');
        if (!text.startsWith('PP ')) throw new Error(`unexpected reply from haproxy: ${text}`);
        const header = Buffer.from(text.slice(3).trim(), 'hex');
        return haproxyHeaderVerdict(header, clientPort, frontendPort);
      }),
    stop: async () => {
      process.off('exit', killOnExit);
      await stopChild();
      await close(backend);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
