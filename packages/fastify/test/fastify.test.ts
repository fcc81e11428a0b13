import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { encode, isProxyProtocolEnabled } from '@proxyproto/core';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeAll,
  get,
  listening,
  response,
  send,
  tlsOptions,
  v1,
  warnings,
} from '../../core/test/net-helpers.js';
import proxyProtocolDefault, {
  ErrorCodes,
  NOT_ENABLED_WARNING,
  proxyProtocol,
} from '../src/index.js';

const instances: { close(): PromiseLike<unknown> }[] = [];
afterEach(async () => {
  await closeAll();
  await Promise.all(instances.splice(0).map((fastify) => fastify.close()));
});

function track<F extends { close(): PromiseLike<unknown> }>(fastify: F): F {
  instances.push(fastify);
  return fastify;
}

describe('@proxyproto/fastify', () => {
  it('runs the README example: fastify.register(proxyProtocol) and request.ip is the client', async () => {
    const fastify = track(Fastify());
    await fastify.register(proxyProtocol, { trusted: 'loopback' });
    fastify.get('/', async (request) => ({
      ip: request.ip,
      lb: request.proxyProtocol?.realPeer.address,
    }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const port = (fastify.server.address() as net.AddressInfo).port;
    expect(response(await send(port, v1(), get())).body).toEqual({
      ip: '203.0.113.7',
      lb: '127.0.0.1',
    });
  });

  it('keeps request.proxyProtocol for hooks that run after the connection closed', async () => {
    // The core reads the load balancer's address only when asked; the plugin asks while the
    // connection is open, so an access log in onResponse still has it after a close.
    const fastify = track(Fastify());
    await fastify.register(proxyProtocol);
    const seen = new Promise<unknown>((resolve) => {
      fastify.addHook('onResponse', async (request) => {
        const { socket } = request.raw;
        if (!socket.destroyed) await new Promise((r) => socket.once('close', r));
        resolve(request.proxyProtocol?.realPeer);
      });
    });
    fastify.get('/', async () => ({ ok: true }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const port = (fastify.server.address() as net.AddressInfo).port;
    expect(response(await send(port, v1(), get())).status).toBe(200);
    expect(await seen).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
  });

  it('enables fastify.server at registration, before listen()', async () => {
    const fastify = track(Fastify());
    await fastify.register(proxyProtocolDefault);
    expect(isProxyProtocolEnabled(fastify.server)).toBe(true);
    expect(fastify.hasPlugin('@proxyproto/fastify')).toBe(true);
  });

  it('decorates requests in every encapsulated context', async () => {
    const fastify = track(Fastify());
    await fastify.register(proxyProtocol);
    await fastify.register(async (child) => {
      child.get('/child', async (request) => ({
        source: request.proxyProtocol?.source?.address,
      }));
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const port = (fastify.server.address() as net.AddressInfo).port;
    expect(response(await send(port, v1(), get('/child'))).body).toEqual({
      source: '203.0.113.7',
    });
  });

  it('fails registration with invalid options or a second registration', async () => {
    await expect(
      track(Fastify()).register(proxyProtocol, { headerTimeout: -1 }),
    ).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTION });
    const twice = track(Fastify());
    twice.register(proxyProtocol);
    twice.register(proxyProtocol);
    await expect(twice.ready()).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTION });
  });

  it('does not warn about inject(), which has no connection', async () => {
    const { seen, stop } = warnings(NOT_ENABLED_WARNING);
    try {
      const fastify = track(Fastify());
      await fastify.register(proxyProtocol, { strict: true });
      fastify.get('/', async (request) => ({ header: request.proxyProtocol ?? null }));
      const reply = await fastify.inject('/');
      expect(reply.statusCode).toBe(200);
      expect(reply.json()).toEqual({ header: null });
      expect(seen).toHaveLength(0);
    } finally {
      stop();
    }
  });

  it('answers 500 with the error code in strict mode on a server of its own', async () => {
    const fastify = track(Fastify());
    await fastify.register(proxyProtocol, { strict: true });
    fastify.get('/', async () => 'unreachable');
    await fastify.ready();
    const port = await listening(
      http.createServer((req, res) => fastify.routing(req, res)).listen(0, '127.0.0.1'),
    );
    const { status, body } = response(await send(port, get()));
    expect(status).toBe(500);
    expect(body).toMatchObject({ code: ErrorCodes.NOT_ENABLED, statusCode: 500 });
  });

  it('reads the header before TLS on an HTTP/2 server (http2 and https options)', async () => {
    const fastify = track(Fastify({ http2: true, https: { ...tlsOptions, allowHTTP1: false } }));
    await fastify.register(proxyProtocol);
    fastify.get('/', async (request) => ({
      ip: request.ip,
      alpn: request.proxyProtocol?.alpn && Buffer.from(request.proxyProtocol.alpn).toString(),
    }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const port = (fastify.server.address() as net.AddressInfo).port;
    const header = encode({
      version: 2,
      family: 'IPv4',
      source: { address: '203.0.113.7', port: 51000 },
      destination: { address: '192.0.2.1', port: 443 },
      alpn: 'h2',
    });
    const client = http2.connect(`https://localhost:${port}`, {
      createConnection: () => {
        const raw = net.connect({ port, host: '127.0.0.1' });
        raw.write(header);
        return tls.connect({
          socket: raw,
          servername: 'localhost',
          ALPNProtocols: ['h2'],
          rejectUnauthorized: false,
        });
      },
    });
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const stream = client.request({ ':path': '/' });
        let data = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          data += chunk;
        });
        stream.on('end', () => resolve(data));
        stream.on('error', reject);
      });
      expect(JSON.parse(text)).toEqual({ ip: '203.0.113.7', alpn: 'h2' });
    } finally {
      client.close();
    }
  });
});
