import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  enableProxyProtocol,
  encode,
  getProxyHeader,
  getProxyProtocolStats,
  getRealPeer,
  type ProxyProtocolError,
  type RefusedConnection,
} from '../src/index.js';
import {
  body,
  closeAll,
  concat,
  echoServer,
  GET,
  GET_KEEPALIVE,
  listen,
  rawExchange,
  splitAt,
  tlsOptions,
} from './net-helpers.js';

afterEach(closeAll);

const v1 = (src = '203.0.113.7', port = 51000) => `PROXY TCP4 ${src} 192.0.2.1 ${port} 443\r\n`;
const v2 = (src = '2001:db8::7', port = 51000) =>
  encode(
    {
      version: 2,
      family: src.includes(':') ? 'IPv6' : 'IPv4',
      source: { address: src, port },
      destination: { address: src.includes(':') ? '2001:db8::1' : '192.0.2.1', port: 443 },
      authority: 'app.example',
      uniqueId: 'conn-42',
    },
    { crc32c: true },
  );

/** A v2 header from 203.0.113.7 whose authority TLV makes it over `authority` bytes long. */
const bigV2 = (authority: number) =>
  encode(
    {
      version: 2,
      family: 'IPv4',
      source: { address: '203.0.113.7', port: 1 },
      destination: { address: '192.0.2.1', port: 443 },
      authority: 'a'.repeat(authority),
    },
    { crc32c: true },
  );

function corrupt(bytes: Uint8Array): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0xff;
  return copy;
}

function refusals(server: net.Server): { error: ProxyProtocolError; info: RefusedConnection }[] {
  const seen: { error: ProxyProtocolError; info: RefusedConnection }[] = [];
  server.on('proxyProtocolError', (error, info) => seen.push({ error, info }));
  return seen;
}

describe('enableProxyProtocol on http.Server', () => {
  it('reports the v1 source as req.socket.remoteAddress and remotePort', async () => {
    const port = await listen(enableProxyProtocol(echoServer()));
    const { data } = await rawExchange(port, [v1() + GET]);
    expect(body(data)).toMatchObject({
      remoteAddress: '203.0.113.7',
      remotePort: 51000,
      remoteFamily: 'IPv4',
    });
  });

  it('reports the v2 IPv6 source, with TLVs and CRC32C', async () => {
    const port = await listen(enableProxyProtocol(echoServer()));
    const { data } = await rawExchange(port, [concat(v2(), GET)]);
    expect(body(data)).toMatchObject({ remoteAddress: '2001:db8::7', remoteFamily: 'IPv6' });
  });

  it('works when enabled after listen()', async () => {
    const server = echoServer();
    const port = await listen(server);
    enableProxyProtocol(server);
    const { data } = await rawExchange(port, [v1() + GET]);
    expect(body(data).remoteAddress).toBe('203.0.113.7');
  });

  it('hands bytes that follow the header in the same write to the server: pipelined requests', async () => {
    const port = await listen(enableProxyProtocol(echoServer()));
    const { data } = await rawExchange(port, [concat(v2('192.0.2.50', 1234), GET_KEEPALIVE, GET)]);
    const responses = data.split('HTTP/1.1 200 OK').slice(1);
    expect(responses).toHaveLength(2);
    for (const response of responses) expect(response).toContain('"remoteAddress":"192.0.2.50"');
    expect(data).toContain('"url":"/1"');
  });

  // On an http.Server the bytes after the header are put back after the hand-over (onData):
  // a connection listener of the app's that pauses the socket or closes it must still work.
  it('keeps the request for an http connection listener that pauses the socket a while', async () => {
    const server = enableProxyProtocol(echoServer());
    server.on('connection', (socket: net.Socket) => {
      socket.pause();
      setTimeout(() => socket.resume(), 50);
    });
    const port = await listen(server);
    const { data } = await rawExchange(port, [v1() + GET]);
    expect(body(data).remoteAddress).toBe('203.0.113.7');
  });

  it('lets an http connection listener close the socket before its request is read', async () => {
    const server = enableProxyProtocol(echoServer());
    let requests = 0;
    server.on('request', () => requests++);
    server.on('connection', (socket: net.Socket) => socket.destroy());
    const port = await listen(server);
    const { data, closed } = await rawExchange(port, [v1() + GET]);
    expect({ data, closed, requests }).toEqual({ data: '', closed: true, requests: 0 });
    expect(getProxyProtocolStats(server)?.accepted).toBe(1);
  });

  it.each([
    ['v1', () => concat(v1(), GET)],
    ['v2 with TLVs', () => concat(v2(), GET)],
  ])('gives the same answer for a %s header split at every byte', async (_, make) => {
    const port = await listen(enableProxyProtocol(echoServer()));
    const bytes = make();
    const headerLength = bytes.length - GET.length;
    for (let cut = 1; cut <= headerLength; cut++) {
      const { data } = await rawExchange(port, splitAt(bytes, cut), { delay: 2 });
      expect(data, `split at ${cut}`).toContain('200 OK');
      expect(body(data).remotePort).toBe(51000);
    }
  });

  it('accepts a header sent one byte per write', async () => {
    const port = await listen(enableProxyProtocol(echoServer()));
    const header = concat(v2());
    const bytes = [...header].map((b) => Uint8Array.of(b));
    const { data } = await rawExchange(port, [...bytes, GET], { delay: 1 });
    expect(body(data).remoteAddress).toBe('2001:db8::7');
  });

  it('keeps the real peer for LOCAL, v1 UNKNOWN and v2 UNSPEC, and exposes the header', async () => {
    const headers: unknown[] = [];
    const server = enableProxyProtocol(
      http.createServer((req, res) => {
        headers.push(getProxyHeader(req.socket)?.command);
        res.end(JSON.stringify({ remoteAddress: req.socket.remoteAddress }));
      }),
    );
    const port = await listen(server);
    for (const header of [
      encode({ version: 2, command: 'LOCAL' }),
      'PROXY UNKNOWN\r\n',
      encode({ version: 2, command: 'PROXY', family: 'UNSPEC' }),
    ]) {
      const { data } = await rawExchange(port, [concat(header, GET)]);
      expect(body(data).remoteAddress).toBe('127.0.0.1');
    }
    expect(headers).toEqual(['LOCAL', 'PROXY', 'PROXY']);
    expect(getProxyProtocolStats(server)).toMatchObject({ accepted: 0, local: 3 });
  });

  it('gives getProxyHeader and getRealPeer to the request handler', async () => {
    let seen: unknown;
    const server = enableProxyProtocol(
      http.createServer((req, res) => {
        seen = { header: getProxyHeader(req.socket), peer: getRealPeer(req.socket) };
        res.end('{}');
      }),
    );
    const port = await listen(server);
    await rawExchange(port, [concat(v2(), GET)]);
    expect(seen).toMatchObject({
      header: { version: 2, authority: 'app.example', source: { address: '2001:db8::7' } },
      peer: { address: '127.0.0.1', family: 'IPv4' },
    });
  });

  describe('refuses, reports, and keeps serving', () => {
    it.each([
      ['a plain HTTP request', GET, ErrorCodes.INVALID_SIGNATURE],
      [
        'a TLS ClientHello',
        Buffer.from('16030100f4010000f00303', 'hex'),
        ErrorCodes.INVALID_SIGNATURE,
      ],
      [
        'a v1 header with a leading zero',
        `PROXY TCP4 10.0.0.01 10.0.0.2 1 2\r\n${GET}`,
        ErrorCodes.INVALID_ADDRESS,
      ],
      [
        'a v1 line with no CRLF in 107 bytes',
        `PROXY UNKNOWN ${'x'.repeat(120)}`,
        ErrorCodes.HEADER_TOO_LONG,
      ],
      ['a v2 header with a bad CRC32C', corrupt(v2()), ErrorCodes.CRC_MISMATCH],
    ])('%s', async (_, bytes, code) => {
      const server = enableProxyProtocol(echoServer());
      const seen = refusals(server);
      const port = await listen(server);
      const { data, closed } = await rawExchange(port, [bytes]);
      expect(closed).toBe(true);
      expect(data).toBe('');
      expect(seen.map((s) => s.error.code)).toEqual([code]);
      expect(seen[0]?.info.remoteAddress).toBe('127.0.0.1');
      // The next client is served as usual.
      const ok = await rawExchange(port, [v1() + GET]);
      expect(body(ok.data).remoteAddress).toBe('203.0.113.7');
      expect(getProxyProtocolStats(server)?.refused).toEqual({ [code]: 1 });
    });

    it('refuses a v2 header announcing more than maxHeaderSize before it arrives', async () => {
      const server = enableProxyProtocol(echoServer(), { maxHeaderSize: 512 });
      const seen = refusals(server);
      const port = await listen(server);
      const start = Buffer.from(v2()).subarray(0, 16);
      start.writeUInt16BE(4000, 14);
      const { closed } = await rawExchange(port, [start]);
      expect(closed).toBe(true);
      expect(seen[0]?.error.code).toBe(ErrorCodes.HEADER_TOO_LONG);
    });

    it('refuses a whole oversized v2 header without decoding it (no CRC check first)', async () => {
      const server = enableProxyProtocol(echoServer(), { maxHeaderSize: 512 });
      const seen = refusals(server);
      const port = await listen(server);
      const big = bigV2(1000);
      const { closed } = await rawExchange(port, [concat(corrupt(big), GET)]);
      expect(closed).toBe(true);
      expect(seen.map((s) => s.error.code)).toEqual([ErrorCodes.HEADER_TOO_LONG]);
    });

    it('joins a large v2 header sent in many pieces', async () => {
      const server = enableProxyProtocol(echoServer());
      const port = await listen(server);
      const big = bigV2(3000);
      const cuts = Array.from({ length: 40 }, (_, i) => 10 + i * 75);
      const { data } = await rawExchange(port, splitAt(concat(big, GET), ...cuts), { delay: 2 });
      expect(body(data).remoteAddress).toBe('203.0.113.7');
    });

    it('calls onError with the code and the peer', async () => {
      const errors: string[] = [];
      const server = enableProxyProtocol(echoServer(), {
        onError: (error, info) => errors.push(`${error.code} ${info.remoteAddress}`),
      });
      const port = await listen(server);
      await rawExchange(port, [GET]);
      expect(errors).toEqual(['ERR_PROXY_PROTOCOL_INVALID_SIGNATURE 127.0.0.1']);
    });

    it('reports a peer that closes before the header is complete', async () => {
      const server = enableProxyProtocol(echoServer());
      const seen = refusals(server);
      const port = await listen(server);
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end('PROXY TCP4 1.2'));
        socket.on('close', () => resolve());
      });
      await new Promise((r) => setTimeout(r, 20));
      expect(seen.map((s) => s.error.code)).toEqual([ErrorCodes.INCOMPLETE_HEADER]);
    });
  });

  describe('headerTimeout', () => {
    it('closes a silent connection at the deadline', async () => {
      const server = enableProxyProtocol(echoServer(), { headerTimeout: 150 });
      const seen = refusals(server);
      const port = await listen(server);
      const started = Date.now();
      const { closed } = await rawExchange(port, []);
      expect(closed).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(seen[0]?.error.code).toBe(ErrorCodes.HEADER_TIMEOUT);
    });

    it('closes a client trickling a valid header slower than the deadline', async () => {
      const server = enableProxyProtocol(echoServer(), { headerTimeout: 200 });
      const seen = refusals(server);
      const port = await listen(server);
      const bytes = [...Buffer.from(v1())].map((b) => Uint8Array.of(b));
      const { closed, data } = await rawExchange(port, bytes, { delay: 20 });
      expect(closed).toBe(true);
      expect(data).toBe('');
      expect(seen[0]?.error.code).toBe(ErrorCodes.HEADER_TIMEOUT);
    });

    it('is off with 0', async () => {
      const server = enableProxyProtocol(echoServer(), { headerTimeout: 0 });
      const port = await listen(server);
      const { data } = await rawExchange(port, [v1(), GET], { delay: 100 });
      expect(body(data).remoteAddress).toBe('203.0.113.7');
    });

    it('many connections waiting for a header do not keep others from being served', async () => {
      const server = enableProxyProtocol(echoServer(), { headerTimeout: 10_000 });
      const port = await listen(server);
      const idle: net.Socket[] = [];
      for (let i = 0; i < 300; i++) idle.push(net.connect(port, '127.0.0.1'));
      await Promise.all(idle.map((s) => new Promise((r) => s.once('connect', r))));
      await new Promise((r) => setTimeout(r, 50));
      expect(getProxyProtocolStats(server)?.pending).toBe(300);
      const { data } = await rawExchange(port, [v1() + GET], { timeout: 2000 });
      expect(body(data).remoteAddress).toBe('203.0.113.7');
      for (const s of idle) s.destroy();
    });
  });

  describe('trusted sources (a client bound to 127.0.0.2)', () => {
    it('refuses an untrusted peer at once with untrusted: reject', async () => {
      const server = enableProxyProtocol(echoServer(), { trusted: '127.0.0.1' });
      const seen = refusals(server);
      const port = await listen(server);
      const { closed, data } = await rawExchange(port, [v1() + GET], { localAddress: '127.0.0.2' });
      expect(closed).toBe(true);
      expect(data).toBe('');
      expect(seen[0]?.error.code).toBe(ErrorCodes.UNTRUSTED_SOURCE);
      expect(seen[0]?.info.remoteAddress).toBe('127.0.0.2');
    });

    it('accepts a trusted peer given as a CIDR list string', async () => {
      const server = enableProxyProtocol(echoServer(), { trusted: '10.0.0.0/8, 127.0.0.2/32' });
      const port = await listen(server);
      const { data } = await rawExchange(port, [v1() + GET], { localAddress: '127.0.0.2' });
      expect(body(data).remoteAddress).toBe('203.0.113.7');
    });

    it('serves an untrusted peer directly with its real address, and a spoofed header is not read', async () => {
      const server = enableProxyProtocol(echoServer(), {
        trusted: ['127.0.0.1'],
        untrusted: 'direct',
      });
      const port = await listen(server);
      const plain = await rawExchange(port, [GET], { localAddress: '127.0.0.2' });
      expect(body(plain.data).remoteAddress).toBe('127.0.0.2');
      // The spoof attempt: the header goes to the HTTP parser as bytes, which rejects them.
      const spoof = await rawExchange(port, [v1('8.8.8.8') + GET], { localAddress: '127.0.0.2' });
      expect(spoof.data).toMatch(/^HTTP\/1.1 400/);
      expect(spoof.data).not.toContain('8.8.8.8');
      expect(getProxyProtocolStats(server)?.direct).toBe(2);
    });

    it('matches IPv4 peers on a dual-stack listener (::ffff:127.0.0.1) against IPv4 ranges', async () => {
      const server = enableProxyProtocol(echoServer(), { trusted: '127.0.0.1/32' });
      let port: number;
      try {
        port = await listen(server, '::');
      } catch {
        return; // no IPv6 on this machine
      }
      const { data } = await rawExchange(port, [v1() + GET]);
      expect(body(data).remoteAddress).toBe('203.0.113.7');
    });

    it('takes a function', async () => {
      const server = enableProxyProtocol(echoServer(), { trusted: (a) => a.endsWith('.2') });
      const port = await listen(server);
      const ok = await rawExchange(port, [v1() + GET], { localAddress: '127.0.0.2' });
      expect(body(ok.data).remoteAddress).toBe('203.0.113.7');
      const refused = await rawExchange(port, [v1() + GET], { localAddress: '127.0.0.3' });
      expect(refused.closed).toBe(true);
    });
  });

  describe('options are checked', () => {
    it.each([
      [{ untrusted: 'allow' }],
      [{ headerTimeout: -1 }],
      [{ headerTimeout: '5s' }],
      [{ maxHeaderSize: 50 }],
      [{ maxHeaderSize: 70000 }],
      [{ trusted: 42 }],
      [{ trusted: ['10.0.0.0/33'] }],
      [{ onError: 'log' }],
    ])('%j', (options) => {
      expect(() => enableProxyProtocol(http.createServer(), options as never)).toThrowError(
        expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
      );
    });
    it('refuses to enable twice', () => {
      const server = enableProxyProtocol(http.createServer());
      expect(() => enableProxyProtocol(server)).toThrowError(/already enabled/);
    });
  });
});

describe('with TLS: https, http2 and tls servers', () => {
  function tlsThroughHeader(port: number, header: Uint8Array | string, alpn?: string[]) {
    const raw = net.connect(port, '127.0.0.1');
    raw.write(header);
    return tls.connect({
      socket: raw,
      rejectUnauthorized: false,
      servername: 'localhost',
      ...(alpn ? { ALPNProtocols: alpn } : {}),
    });
  }

  it('https: req.socket (the TLS socket) and its raw socket report the client', async () => {
    let raw: unknown;
    const server = enableProxyProtocol(
      https.createServer(tlsOptions, (req, res) => {
        raw = (req.socket as tls.TLSSocket & { _parent?: net.Socket })._parent?.remoteAddress;
        res.end(
          JSON.stringify({
            remoteAddress: req.socket.remoteAddress,
            peer: getRealPeer(req.socket),
          }),
        );
      }),
    );
    const port = await listen(server);
    const socket = tlsThroughHeader(port, v1('198.51.100.9'));
    const data = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('secureConnect', () => socket.write(GET));
      socket.on('data', (d) => {
        text += d;
      });
      socket.on('close', () => resolve(text));
    });
    expect(body(data)).toMatchObject({
      remoteAddress: '198.51.100.9',
      peer: { address: '127.0.0.1' },
    });
    expect(raw).toBe('198.51.100.9');
  });

  it('tls: the ClientHello sent in the same write as the header is handed on', async () => {
    const server = enableProxyProtocol(
      tls.createServer(tlsOptions, (socket) => socket.end(`${socket.remoteAddress}`)),
    );
    const port = await listen(server);
    // Write header and ClientHello in one segment: hold the raw socket's writes until TLS queues.
    const raw = net.connect(port, '127.0.0.1');
    raw.cork();
    raw.write(v2('192.0.2.77'));
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    process.nextTick(() => raw.uncork());
    const text = await new Promise<string>((resolve) => {
      let t = '';
      secure.on('data', (d) => {
        t += d;
      });
      secure.on('close', () => resolve(t));
    });
    expect(text).toBe('192.0.2.77');
  });

  it('http2 over TLS (h2): the stream sees the client', async () => {
    const server = enableProxyProtocol(
      http2.createSecureServer(tlsOptions, (req, res) => {
        res.end(
          JSON.stringify({
            remoteAddress: req.socket.remoteAddress,
            header: getProxyHeader(req.socket)?.version,
          }),
        );
      }),
    );
    const port = await listen(server);
    const client = http2.connect(`https://localhost:${port}`, {
      createConnection: () => tlsThroughHeader(port, v2('2001:db8::99'), ['h2']),
    });
    const text = await new Promise<string>((resolve, reject) => {
      const req = client.request({ ':path': '/' });
      let t = '';
      req.on('data', (d) => {
        t += d;
      });
      req.on('end', () => resolve(t));
      req.on('error', reject);
    });
    client.close();
    expect(JSON.parse(text)).toEqual({ remoteAddress: '2001:db8::99', header: 2 });
  });

  it('http2 cleartext (h2c): the stream sees the client', async () => {
    const server = enableProxyProtocol(
      http2.createServer((req, res) => res.end(String(req.socket.remoteAddress))),
    );
    const port = await listen(server);
    const client = http2.connect(`http://127.0.0.1:${port}`, {
      createConnection: () => {
        const raw = net.connect(port, '127.0.0.1');
        raw.write(v1('203.0.113.200'));
        return raw;
      },
    });
    const text = await new Promise<string>((resolve, reject) => {
      const req = client.request({ ':path': '/' });
      let t = '';
      req.on('data', (d) => {
        t += d;
      });
      req.on('end', () => resolve(t));
      req.on('error', reject);
    });
    client.close();
    expect(text).toBe('203.0.113.200');
  });
});

describe('net.Server and server lifecycle', () => {
  it('moves connection listeners added after enableProxyProtocol behind the header', async () => {
    const server = enableProxyProtocol(new net.Server());
    server.on('connection', (socket) => {
      socket.once('data', (d) => socket.end(`${socket.remoteAddress}:${socket.remotePort} ${d}`));
    });
    const port = await listen(server);
    const { data } = await rawExchange(port, [`${v1()}hello`]);
    expect(data).toBe('203.0.113.7:51000 hello');
  });

  it('keeps once() and prependListener() connection listeners as they were added', async () => {
    const calls: string[] = [];
    const plain = net.createServer((socket) => {
      calls.push('created');
      socket.end();
    });
    plain.once('connection', () => calls.push('once before'));
    const server = enableProxyProtocol(plain);
    server.once('connection', () => calls.push('once'));
    server.prependListener('connection', () => calls.push('prepended'));
    const port = await listen(server);
    await rawExchange(port, [v1()]);
    await rawExchange(port, [v1()]);
    expect(calls).toEqual(['prepended', 'created', 'once before', 'once', 'prepended', 'created']);
  });

  it('keeps timing out the other waiting connections when an onError hook throws', async () => {
    // In a child process: the hook's exception is an uncaught one there, as it would be in an app.
    const script = `
      const net = require('node:net');
      const { enableProxyProtocol, getProxyProtocolStats } = require(${JSON.stringify(new URL('../dist/index.cjs', import.meta.url).pathname)});
      process.on('uncaughtException', () => {});
      let calls = 0;
      const server = enableProxyProtocol(net.createServer(), {
        headerTimeout: 100,
        onError: () => { if (++calls === 1) throw new Error('hook failed'); },
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        for (let i = 0; i < 3; i++) net.connect(port, '127.0.0.1').on('error', () => {});
        setTimeout(() => {
          console.log(JSON.stringify(getProxyProtocolStats(server)));
          process.exit(0);
        }, 600);
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    await once(child, 'exit');
    expect(JSON.parse(out)).toMatchObject({
      pending: 0,
      refused: { [ErrorCodes.HEADER_TIMEOUT]: 3 },
    });
  });

  it('holds a peer on a UNIX socket to the header, whatever the trust list', async () => {
    const path = `/tmp/proxyproto-test-${process.pid}.sock`;
    const server = enableProxyProtocol(echoServer(), { trusted: '10.0.0.0/8' });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const { data } = await rawExchange(path, [v1() + GET]);
      expect(body(data).remoteAddress).toBe('203.0.113.7');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('names the peer of a connection reset part-way through its header, with the default trust', async () => {
    const server = enableProxyProtocol(net.createServer());
    const seen = refusals(server);
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const { localPort } = client;
    client.write('PROXY ');
    while (getProxyProtocolStats(server)?.pending !== 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50)); // the server has read "PROXY "
    client.resetAndDestroy();
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(seen[0]?.error.code).toBe(ErrorCodes.SOCKET_ERROR);
    expect(seen[0]?.info).toMatchObject({
      remoteAddress: '127.0.0.1',
      remotePort: localPort,
    });
  });

  it('names the peer of a connection reset before any byte, with a trust list', async () => {
    // The default trust reads the peer on the first incomplete read; a trust list reads it at
    // accept, so even a connection that sent nothing is named after the kernel forgot it.
    const server = enableProxyProtocol(net.createServer(), { trusted: 'loopback' });
    const seen = refusals(server);
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const { localPort } = client;
    while (getProxyProtocolStats(server)?.pending !== 1) await new Promise((r) => setTimeout(r, 5));
    client.resetAndDestroy();
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(seen[0]?.error.code).toBe(ErrorCodes.SOCKET_ERROR);
    expect(seen[0]?.info).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: localPort });
  });

  it('leaves the flow to the connection listener: a socket it resumes sees the peer close', async () => {
    // Found by the reliability suite: the core once undid a listener's resume() after handing
    // the socket on, so such a socket never read the FIN and stayed open forever.
    const closed = new Promise<string>((resolve) => {
      const server = enableProxyProtocol(
        net.createServer((socket) => {
          socket.resume(); // discard whatever the client sends
          socket.on('close', () => resolve(`closed ${socket.remoteAddress}`));
        }),
      );
      listen(server).then((port) => {
        const client = net.connect(port, '127.0.0.1', () => client.end(`${v1()}bye`));
      });
    });
    expect(await closed).toBe('closed 203.0.113.7');
  });

  it('leaves the flow to the connection listener: a socket it pauses gets no data', async () => {
    let received = 0;
    let accepted: net.Socket | undefined;
    const server = enableProxyProtocol(
      net.createServer((socket) => {
        accepted = socket;
        socket.on('data', (d) => {
          received += d.length;
        });
        socket.pause();
        setTimeout(() => socket.end(`paused, ${received} bytes`), 100);
      }),
    );
    const port = await listen(server);
    const { data } = await rawExchange(port, [`${v1()}hello`], { until: /bytes/ });
    accepted?.destroy();
    expect(data).toBe('paused, 0 bytes');
  });

  it('respects pauseOnConnect: the socket is handed on paused', async () => {
    const server = enableProxyProtocol(
      net.createServer({ pauseOnConnect: true }, (socket) => {
        expect(socket.isPaused()).toBe(true);
        socket.once('data', (d) => socket.end(`${socket.remoteAddress} ${d}`));
        socket.resume();
      }),
    );
    const port = await listen(server);
    const { data } = await rawExchange(port, [`${v1()}hi`]);
    expect(data).toBe('203.0.113.7 hi');
  });

  it('reads a socket handed in by a sniffer that read the header and put it back', async () => {
    const server = enableProxyProtocol(echoServer(), { headerTimeout: 1000 });
    await listen(server);
    // A front server that looks at the first bytes, then hands the connection on with them
    // unread (`server.emit('connection')`, as Node documents for sockets accepted elsewhere).
    const sniffer = net.createServer((socket) => {
      socket.once('data', (chunk) => {
        socket.unshift(chunk);
        server.emit('connection', socket);
      });
    });
    const { data } = await rawExchange(await listen(sniffer), [v1('192.0.2.44') + GET]);
    expect(body(data).remoteAddress).toBe('192.0.2.44');
  });

  it('refuses, and does not crash on, a handed-in socket whose previous owner writes into a reset', async () => {
    const refused: string[] = [];
    const server = enableProxyProtocol(
      net.createServer((socket) => socket.end('served')),
      { headerTimeout: 1000, onError: (error) => refused.push(error.code) },
    );
    await listen(server);
    // The front reads a preamble, hands the socket on and answers it; the client has reset the
    // connection by then, so the write fails before a read reports the reset.
    const front = net.createServer((socket) => {
      socket.once('data', () => {
        server.emit('connection', socket);
        socket.write('ok\n');
      });
    });
    const port = await listen(front);
    for (let i = 0; i < 10; i++) {
      const client = net.connect(port, '127.0.0.1', () => {
        client.write('HELLO\n', () => client.resetAndDestroy());
      });
      client.on('error', () => {});
      await once(client, 'close');
    }
    for (let i = 0; i < 50 && refused.length < 10; i++) await new Promise((r) => setTimeout(r, 20));
    expect(refused).toHaveLength(10);
    expect(
      refused.filter(
        (code) => code !== ErrorCodes.SOCKET_ERROR && code !== ErrorCodes.INCOMPLETE_HEADER,
      ),
    ).toEqual([]);
  });

  it('keeps the idle timeout of a handed-in socket running while its header trickles in', async () => {
    const server = enableProxyProtocol(
      net.createServer((socket) => socket.end(`served ${socket.remoteAddress}`)),
    );
    await listen(server);
    let timedOut = false;
    const front = net.createServer((socket) => {
      socket.setTimeout(150, () => {
        timedOut = true;
        socket.destroy();
      });
      server.emit('connection', socket);
    });
    const header = v1('192.0.2.47');
    const parts = Array.from({ length: 6 }, (_, i) => header.slice(i * 8, i * 8 + 8));
    const { data } = await rawExchange(await listen(front), parts, { delay: 80 });
    expect({ timedOut, data }).toEqual({ timedOut: false, data: 'served 192.0.2.47' });
  });

  it('reads a socket handed in paused, once its owner resumes it', async () => {
    const server = enableProxyProtocol(echoServer(), { headerTimeout: 1000 });
    await listen(server);
    const front = net.createServer({ pauseOnConnect: true }, (socket) => {
      server.emit('connection', socket);
      setTimeout(() => socket.resume(), 30);
    });
    const { data } = await rawExchange(await listen(front), [v1('192.0.2.46') + GET]);
    expect(body(data).remoteAddress).toBe('192.0.2.46');
  });

  // Last of these: on a build that read handed-in sockets from the handle, its consumed preamble
  // would make the first read not add up and switch the rest of this file over to the stream.
  it('reads a socket handed in after another server consumed a preamble of it', async () => {
    const server = enableProxyProtocol(echoServer(), { headerTimeout: 1000 });
    await listen(server);
    const front = net.createServer((socket) => {
      socket.once('data', (chunk) => {
        // `HELLO\n` consumed, nothing put back; the header follows in a later write.
        expect(chunk.toString()).toBe('HELLO\n');
        server.emit('connection', socket);
        socket.write('ok\n');
      });
    });
    const port = await listen(front);
    const { data } = await rawExchange(port, ['HELLO\n', v1('192.0.2.45') + GET], { delay: 30 });
    expect(data.startsWith('ok\n')).toBe(true);
    expect(body(data.slice(3)).remoteAddress).toBe('192.0.2.45');
  });

  it('closeIdleConnections() and server.close() also close connections awaiting a header', async () => {
    const server = enableProxyProtocol(echoServer(), { headerTimeout: 60_000 });
    const port = await listen(server);
    const waiting = net.connect(port, '127.0.0.1');
    await new Promise((r) => waiting.once('connect', r));
    await new Promise((r) => setTimeout(r, 20));
    expect(getProxyProtocolStats(server)?.pending).toBe(1);
    const closed = new Promise((r) => waiting.once('close', r));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closed;
    expect(getProxyProtocolStats(server)?.pending).toBe(0);
  });

  it('honours maxConnections', async () => {
    const server = enableProxyProtocol(echoServer());
    server.maxConnections = 1;
    const port = await listen(server);
    const first = net.connect(port, '127.0.0.1');
    await new Promise((r) => first.once('connect', r));
    await new Promise((r) => setTimeout(r, 20));
    const second = await rawExchange(port, [v1() + GET]);
    expect(second).toEqual({ data: '', closed: true });
    first.destroy();
  });

  it('leaves no timers, listeners or sockets behind after 2,000 connections', async () => {
    const server = enableProxyProtocol(echoServer(), { headerTimeout: 30_000 });
    const port = await listen(server);
    const count = (kind: string) =>
      process.getActiveResourcesInfo().filter((r) => r === kind).length;
    await rawExchange(port, [v1() + GET]);
    const timersBefore = count('Timeout');
    const kinds = [
      () => v1() + GET,
      () => concat(v2(), GET),
      () => 'GET / HTTP/1.1\r\n\r\n',
      () => 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGARBAGE\r\n\r\n',
    ];
    for (let round = 0; round < 50; round++) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          rawExchange(port, [(kinds[i % kinds.length] as () => string)()]),
        ),
      );
    }
    // Server-side sockets finish closing a little after the clients see the close.
    for (let i = 0; i < 100 && count('TCPSocketWrap') > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const stats = getProxyProtocolStats(server);
    expect(stats?.pending).toBe(0);
    expect((stats?.accepted ?? 0) + (stats?.refused[ErrorCodes.INVALID_SIGNATURE] ?? 0)).toBe(2001);
    expect(count('Timeout')).toBeLessThanOrEqual(timersBefore);
    expect(count('TCPSocketWrap')).toBe(0);
    expect(server.listenerCount('connection')).toBe(1);
  });
});

describe('with the rest of Node', () => {
  it('keep-alive: later requests on the connection keep the client address', async () => {
    const port = await listen(enableProxyProtocol(echoServer()));
    const { data } = await rawExchange(port, [concat(v2('192.0.2.9'), GET_KEEPALIVE), GET], {
      delay: 30,
    });
    const responses = data.split('HTTP/1.1 200 OK').slice(1);
    expect(responses).toHaveLength(2);
    for (const response of responses) expect(response).toContain('"remoteAddress":"192.0.2.9"');
  });

  it("Node's headersTimeout still closes a slow request once the header is in", async () => {
    const server = http.createServer({ connectionsCheckingInterval: 20 }, (_, res) => res.end());
    server.headersTimeout = 100;
    server.requestTimeout = 100;
    const port = await listen(enableProxyProtocol(server));
    const { data } = await rawExchange(port, [v1(), 'GET / HTTP/1.1\r\nHost: x\r\n'], {
      delay: 10,
    });
    expect(data).toMatch(/^HTTP\/1.1 408/);
  });

  it('works in cluster workers sharing one port', async () => {
    const child = spawn(
      process.execPath,
      [new URL('./fixtures/cluster-server.mjs', import.meta.url).pathname],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const { port } = JSON.parse(line.toString());
      const pids = new Set<number>();
      for (let i = 0; i < 12; i++) {
        const { data } = await rawExchange(port, [v1(`198.51.100.${i + 1}`) + GET]);
        const reply = body(data);
        expect(reply.remoteAddress).toBe(`198.51.100.${i + 1}`);
        pids.add(reply.pid as number);
      }
      // Both workers served (the primary hands connections out round-robin on Linux).
      expect(pids.size).toBe(2);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});

describe('compileTrust', () => {
  it('accepts 0.0.0.0/0 and ::/0, which proxy-addr alone refuses', async () => {
    const { compileTrust } = await import('../src/index.js');
    const v4 = compileTrust('0.0.0.0/0');
    expect([v4('10.1.2.3'), v4('::ffff:10.1.2.3'), v4('2001:db8::1')]).toEqual([true, true, false]);
    expect(v4('::ffff:0:10.1.2.3')).toBe(false); // IPv4-translated, not mapped
    // As proxy-addr matches an IPv4 address against an IPv6 range: in mapped form.
    const v6 = compileTrust(['::/0']);
    expect([v6('10.1.2.3'), v6('::ffff:10.1.2.3'), v6('2001:db8::1')]).toEqual([true, true, true]);
    expect(v6('/run/app.sock')).toBe(false);
    expect(() => compileTrust('::/0, 10.0.0.0/33')).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    const both = compileTrust('0.0.0.0/0, ::/0, 10.0.0.0/8');
    expect([both('10.1.2.3'), both('2001:db8::1')]).toEqual([true, true]);
    const mixed = compileTrust('0.0.0.0/0, fd00::/8');
    expect([mixed('192.0.2.1'), mixed('fd00::1'), mixed('2001:db8::1')]).toEqual([
      true,
      true,
      false,
    ]);
  });
  it('compileHopTrust: hop counts, hop functions and the same address forms as trusted', async () => {
    const { compileHopTrust } = await import('../src/index.js');
    const two = compileHopTrust(2);
    expect([two('10.0.0.1', 0), two('10.0.0.1', 1), two('10.0.0.1', 2)]).toEqual([
      true,
      true,
      false,
    ]);
    const secondHop = compileHopTrust((_address, hop) => hop === 1);
    expect([secondHop('10.0.0.1', 0), secondHop('10.0.0.1', 1)]).toEqual([false, true]);
    const any = compileHopTrust('0.0.0.0/0');
    expect([any('10.0.0.1', 5), any('2001:db8::1', 0)]).toEqual([true, false]);
    for (const bad of [-1, 1.5, '10.0.0.0/33', [7]] as never[]) {
      expect(() => compileHopTrust(bad)).toThrow(
        expect.objectContaining({
          code: ErrorCodes.INVALID_OPTION,
          message: expect.stringMatching(/^trustProxy/),
        }),
      );
    }
  });
  it('treats a non-IP peer as untrusted rather than throwing', async () => {
    const { compileTrust } = await import('../src/index.js');
    expect(compileTrust('10.0.0.0/8')('/run/app.sock')).toBe(false);
  });
  it('answers the same for an address it remembers, also past the bound of its memory', async () => {
    const { compileTrust } = await import('../src/index.js');
    const { TRUST_MEMORY_SIZE } = await import('../src/trust.js');
    const trust = compileTrust('10.0.0.0/9, loopback');
    // 10.0.0.0/9: a second octet under 128. Three times as many addresses as it remembers, in
    // plain and IPv4-mapped form, each asked twice: once new, once (where still kept) remembered.
    const addresses: [string, boolean][] = [];
    for (let i = 0; i < 3 * TRUST_MEMORY_SIZE; i++) {
      const v4 = `10.${i % 256}.${i >> 8}.1`;
      addresses.push([v4, i % 256 < 128], [`::ffff:${v4}`, i % 256 < 128]);
    }
    addresses.push(['127.0.0.1', true], ['::1', true], ['/run/app.sock', false]);
    for (const pass of [1, 2]) {
      const wrong = addresses.filter(([address, expected]) => trust(address) !== expected);
      expect({ pass, wrong: wrong.slice(0, 3) }).toEqual({ pass, wrong: [] });
    }
    // The last ones asked are remembered: asked in the other order, they answer the same.
    const recent = addresses.slice(-TRUST_MEMORY_SIZE / 2).reverse();
    expect(recent.filter(([address, expected]) => trust(address) !== expected)).toEqual([]);
  });
  it('asks a trusted function every time: its answer may change', async () => {
    const { compileTrust } = await import('../src/index.js');
    let allow = true;
    const trust = compileTrust(() => allow);
    expect(trust('10.0.0.1')).toBe(true);
    allow = false;
    expect(trust('10.0.0.1')).toBe(false);
  });
});
