import http from 'node:http';
import net from 'node:net';
import { decode } from '@proxyproto/core';
import { afterEach, describe, expect, it } from 'vitest';
import { compileHeader, run, startLoadBalancer } from '../src/index.js';
import {
  captureIo,
  cleanup,
  exchange,
  listen,
  proxyEchoServer,
  recorder,
  track,
} from './helpers.js';

afterEach(cleanup);

async function lbInFront(targetPort: number, args: string[] = []) {
  const io = captureIo();
  const command = track(
    await run(
      ['lb', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${targetPort}`, ...args],
      io,
    ),
  );
  const port = command.loadBalancer?.address.port as number;
  return { io, command, port };
}

function get(port: number, localAddress: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/hello', localAddress, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

describe('proxyproto lb', () => {
  it('prepends a v1 header naming the client and the address it connected to', async () => {
    const backend = recorder('pong');
    const { port } = await lbInFront(await listen(backend.server));
    const { reply, local } = await exchange(port, 'ping', '127.0.0.2');
    const bytes = await backend.next();
    expect(bytes.toString('latin1')).toBe(
      `PROXY TCP4 127.0.0.2 127.0.0.1 ${local.port} ${port}\r\nping`,
    );
    expect(reply).toBe('pong');
  });

  it('prepends a v2 header with the requested TLVs and a valid CRC32C', async () => {
    const backend = recorder();
    const { port } = await lbInFront(await listen(backend.server), [
      '--v2',
      '--authority',
      'example.com',
      '--alpn',
      'h2',
      '--unique-id',
      'req-1',
      '--ssl-version',
      'TLSv1.3',
      '--ssl-cn',
      'client.example',
      '--aws-vpce-id',
      'vpce-0123',
      '--tlv',
      '0xE5=c0ffee',
      '--crc32c',
    ]);
    const { local } = await exchange(port, 'x', '127.0.0.3');
    const bytes = await backend.next();
    const result = decode(bytes);
    expect(result?.header).toMatchObject({
      version: 2,
      command: 'PROXY',
      family: 'IPv4',
      source: { address: '127.0.0.3', port: local.port },
      destination: { address: '127.0.0.1', port },
      authority: 'example.com',
      ssl: { version: 'TLSv1.3', cn: 'client.example', verify: 0, client: 0x07 },
    });
    expect(Buffer.from(result?.header.alpn ?? []).toString()).toBe('h2');
    expect(Buffer.from(result?.header.uniqueId ?? []).toString()).toBe('req-1');
    expect(typeof result?.header.crc32c).toBe('number');
    const custom = result?.header.tlvs.find((tlv) => tlv.type === 0xe5);
    expect(Buffer.from(custom?.value ?? []).toString('hex')).toBe('c0ffee');
    expect(bytes.subarray(result?.length).toString()).toBe('x');
  });

  it('gives a PROXY protocol HTTP server the real client address', async () => {
    const { port } = await lbInFront(await listen(proxyEchoServer()), ['--v2']);
    const body = await get(port, '127.0.0.4');
    expect(body).toMatchObject({ remoteAddress: '127.0.0.4', version: 2, url: '/hello' });
  });

  it('serves many connections, each with its own client in the header', async () => {
    const { port } = await lbInFront(await listen(proxyEchoServer()));
    const bodies = await Promise.all(
      [5, 6, 7, 8].map((n) => get(port, `127.0.0.${n}`) as Promise<{ remoteAddress: string }>),
    );
    expect(bodies.map((b) => b.remoteAddress)).toEqual([
      '127.0.0.5',
      '127.0.0.6',
      '127.0.0.7',
      '127.0.0.8',
    ]);
  });

  it('closes the client connection when the target is unreachable, and says why', async () => {
    const closed = net.createServer();
    const deadPort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { io, port } = await lbInFront(deadPort);
    const { reply } = await exchange(port, 'ping');
    expect(reply).toBe('');
    expect(io.err()).toMatch(/ECONNREFUSED/);
  });

  it('prints where it listens, and stops with exit code 0', async () => {
    const { io, command, port } = await lbInFront(1234, ['--v2', '--authority', 'a']);
    expect(io.out()).toBe(
      `proxyproto lb: listening on 127.0.0.1:${port}, forwarding to 127.0.0.1:1234 with a PROXY v2 header (1 TLV)\n`,
    );
    await command.stop();
    await expect(command.exitCode).resolves.toBe(0);
  });

  it('with --plain, relays the bytes without a header', async () => {
    const backend = recorder('pong');
    const { io, port } = await lbInFront(await listen(backend.server), ['--plain']);
    const { reply } = await exchange(port, 'ping', '127.0.0.2');
    expect((await backend.next()).toString()).toBe('ping');
    expect(reply).toBe('pong');
    expect(io.out()).toMatch(/forwarding to 127\.0\.0\.1:\d+ without a header\n$/);
  });

  it('refuses header options with --plain', async () => {
    const io = captureIo();
    const command = await run(
      ['lb', '--plain', '--v2', '--listen', '0', '--target', '127.0.0.1:1'],
      io,
    );
    await expect(command.exitCode).resolves.toBe(2);
    expect(io.err()).toMatch(/--plain sends no header: drop --v2/);
  });

  it('exits 2 on a usage error', async () => {
    const io = captureIo();
    const command = await run(['lb', '--listen', '8000'], io);
    await expect(command.exitCode).resolves.toBe(2);
    expect(io.err()).toMatch(/needs --listen and --target/);
  });

  it('can be started from code', async () => {
    const backend = recorder();
    const balancer = await startLoadBalancer({
      listen: { host: '127.0.0.1', port: 0 },
      target: { host: '127.0.0.1', port: await listen(backend.server) },
      header: compileHeader({ v1: true }),
    });
    try {
      await exchange(balancer.address.port, 'hi', '127.0.0.9');
      expect((await backend.next()).toString()).toMatch(/^PROXY TCP4 127\.0\.0\.9 /);
    } finally {
      await balancer.close();
    }
  });
});
