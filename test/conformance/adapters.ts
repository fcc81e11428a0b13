import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { enableProxyProtocol, getProxyHeader, getRealPeer, type RealPeer } from '@proxyproto/core';
import { proxyProtocol as expressProxyProtocol } from '@proxyproto/express';
import { proxyProtocol as fastifyProxyProtocol } from '@proxyproto/fastify';
import { proxyProtocol as koaProxyProtocol } from '@proxyproto/koa';
import type express from 'express';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type Koa from 'koa';
import proxyAddr from 'proxy-addr';
import type { Adapter, Started, StartOptions, TrustProxy } from './adapter.js';
import { echo } from './echo.js';
import { closeServer, listening, tlsOptions } from './net.js';

const HOST = '127.0.0.1';

async function started(server: net.Server): Promise<Started> {
  const port = await listening(server);
  return { port, close: () => closeServer(server) };
}

/** Express's own compilation of `trust proxy` (express/lib/utils.js), for the bare core. */
function compileTrust(value: TrustProxy): (address: string, hop: number) => boolean {
  if (value === true) return () => true;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  if (typeof value === 'string') return proxyAddr.compile(value.split(',').map((v) => v.trim()));
  return proxyAddr.compile(value || []);
}

/** The bare core: `enableProxyProtocol(server)`, and proxy-addr for X-Forwarded-For. */
export const coreAdapter: Adapter = {
  name: 'core',
  misconfigurationFix: undefined,
  countsHops: true,
  async start({ server, proxyProtocol: { strict: _, ...options } = {}, trustProxy }) {
    const trust = trustProxy === undefined ? undefined : compileTrust(trustProxy);
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const addresses = trust ? proxyAddr.all(req, trust) : [req.socket.remoteAddress as string];
      const header = getProxyHeader(req.socket);
      const body = echo({
        ip: addresses[addresses.length - 1],
        ips: addresses.slice(1).reverse(),
        socket: req.socket,
        secure: 'encrypted' in req.socket,
        proxyProtocol: header && { ...header, realPeer: getRealPeer(req.socket) as RealPeer },
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    const created =
      server === 'https' ? https.createServer(tlsOptions, handler) : http.createServer(handler);
    if (server !== 'not-enabled') enableProxyProtocol(created, options);
    return started(created.listen(0, HOST));
  },
};

export function expressAdapter(name: string, createApp: typeof express): Adapter {
  return {
    name,
    misconfigurationFix: /app\.use\(proxyProtocol\(options\)\) before app\.listen\(\)/,
    countsHops: true,
    async start({ server, proxyProtocol: options, trustProxy }: StartOptions) {
      const app = createApp();
      if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
      const pp = expressProxyProtocol(options);
      app.use(pp);
      app.get('/', (req, res) => {
        res.json(
          echo({
            ip: req.ip,
            ips: req.ips,
            socket: req.socket,
            secure: req.secure,
            proxyProtocol: req.proxyProtocol,
          }),
        );
      });
      switch (server) {
        case 'framework':
          return started(app.listen(0, HOST));
        case 'user':
          return started(pp.enable(http.createServer(app)).listen(0, HOST));
        case 'https':
          return started(pp.enable(https.createServer(tlsOptions, app)).listen(0, HOST));
        case 'not-enabled':
          return started(http.createServer(app).listen(0, HOST));
      }
    },
  };
}

export function koaAdapter(name: string, KoaApp: typeof Koa): Adapter {
  return {
    name,
    misconfigurationFix: /pp\.enable\(app\.listen\(3000\)\)/,
    countsHops: true,
    async start({ server, proxyProtocol: options = {}, trustProxy }: StartOptions) {
      const app = new KoaApp();
      app.silent = true; // strict mode's 500s are expected here, not worth a stack trace
      const pp = koaProxyProtocol({
        ...options,
        ...(trustProxy === undefined ? {} : { trustProxy }),
      });
      app.use(pp);
      app.use((ctx) => {
        ctx.body = echo({
          ip: ctx.ip,
          ips: ctx.ips,
          socket: ctx.req.socket,
          secure: ctx.secure,
          proxyProtocol: ctx.proxyProtocol,
        });
      });
      switch (server) {
        case 'framework':
          return started(pp.enable(app.listen(0, HOST)));
        case 'user':
          return started(pp.enable(http.createServer(app.callback())).listen(0, HOST));
        case 'https':
          return started(pp.enable(https.createServer(tlsOptions, app.callback())).listen(0, HOST));
        case 'not-enabled':
          return started(app.listen(0, HOST));
      }
    },
  };
}

export const fastifyAdapter: Adapter = {
  name: 'fastify',
  misconfigurationFix: /fastify\.register\(proxyProtocol, options\)/,
  countsHops: false,
  async start({ server, proxyProtocol: options = {}, trustProxy }: StartOptions) {
    // Fastify's types leave out the numeric trustProxy it accepts, and type each server option
    // as a different instance: one plain instance type is what these tests need.
    const serverOptions: Record<string, unknown> = trustProxy === undefined ? {} : { trustProxy };
    if (server === 'https') serverOptions.https = tlsOptions;
    if (server === 'user') {
      serverOptions.serverFactory = (handler: http.RequestListener) => http.createServer(handler);
    }
    const fastify = Fastify(serverOptions as FastifyServerOptions) as unknown as FastifyInstance;
    await fastify.register(fastifyProxyProtocol, options);
    fastify.get('/', async (request) =>
      echo({
        ip: request.ip,
        ips: request.ips,
        socket: request.raw.socket,
        secure: request.protocol === 'https',
        proxyProtocol: request.proxyProtocol,
      }),
    );
    if (server === 'not-enabled') {
      // The misconfiguration Fastify can have: a server of the user's own routed to fastify.
      await fastify.ready();
      const other = http.createServer((req, res) => fastify.routing(req, res));
      const port = await listening(other.listen(0, HOST));
      return {
        port,
        close: async () => {
          await closeServer(other);
          await fastify.close();
        },
      };
    }
    await fastify.listen({ port: 0, host: HOST });
    return {
      port: (fastify.server.address() as net.AddressInfo).port,
      close: async () => {
        fastify.server.closeAllConnections?.();
        await fastify.close();
      },
    };
  },
};
