import http from 'node:http';
import { decode, enableProxyProtocol } from '@proxyproto/core';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';
import { captureIo, cleanup, listen, proxyEchoServer, recorder } from './helpers.js';

afterEach(cleanup);

async function send(args: string[]) {
  const io = captureIo();
  const code = await (await run(['send', ...args], io)).exitCode;
  return { code, out: io.out(), err: io.err() };
}

describe('proxyproto send', () => {
  it('sends a v1 header with its own address, then the HTTP request', async () => {
    const port = await listen(proxyEchoServer());
    const { code, out } = await send([
      '--interface',
      '127.0.0.2',
      `http://127.0.0.1:${port}/a?b=1`,
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      method: 'GET',
      url: '/a?b=1',
      remoteAddress: '127.0.0.2',
      version: 1,
      destination: { address: '127.0.0.1', port },
    });
  });

  it('sends a v2 header with TLVs and a spoofed source', async () => {
    const port = await listen(proxyEchoServer());
    const { code, out } = await send([
      '--v2',
      '--authority',
      'example.com',
      '--source',
      '203.0.113.7:4000',
      `http://127.0.0.1:${port}/`,
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      remoteAddress: '203.0.113.7',
      remotePort: 4000,
      version: 2,
      authority: 'example.com',
    });
  });

  it('sends a body with --data and prints the status line and headers with -i', async () => {
    const port = await listen(proxyEchoServer());
    const { out } = await send(['-i', '-d', 'hello', `http://127.0.0.1:${port}/post`]);
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(out).toMatch(/content-type: application\/json\r\n/i);
    expect(out).toMatch(/"method":"POST"/);
  });

  it('in raw mode, writes the header and --data, and prints what comes back', async () => {
    const backend = recorder('bye');
    const port = await listen(backend.server);
    const { code, out } = await send([
      '--v2',
      '--unique-id',
      'abc',
      '-d',
      'raw',
      `127.0.0.1:${port}`,
    ]);
    expect(code).toBe(0);
    expect(out).toBe('bye');
    const bytes = await backend.next();
    const result = decode(bytes);
    expect(Buffer.from(result?.header.uniqueId ?? []).toString()).toBe('abc');
    expect(bytes.subarray(result?.length).toString()).toBe('raw');
  });

  it('exits 1 and says so when the server refuses the header', async () => {
    const strict = enableProxyProtocol(http.createServer(), { trusted: '10.0.0.0/8' });
    const port = await listen(strict);
    const { code, err } = await send([`http://127.0.0.1:${port}/`]);
    expect(code).toBe(1);
    expect(err).toMatch(/closed the connection without answering/);
  });

  it('exits 2 on a bad option', async () => {
    const { code, err } = await send(['--source', 'nowhere', 'http://127.0.0.1:1/']);
    expect(code).toBe(2);
    expect(err).toMatch(/--source/);
  });
});
