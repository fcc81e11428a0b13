import http from 'node:http';
import { isProxyProtocolEnabled } from '@proxyproto/core';
import Koa from 'koa';
import Koa2 from 'koa2';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeAll,
  get,
  listening,
  response,
  send,
  v1,
  warnings,
} from '../../core/test/net-helpers.js';
import {
  ErrorCodes,
  type KoaProxyProtocolOptions,
  NOT_ENABLED_WARNING,
  proxyProtocol,
} from '../src/index.js';

afterEach(closeAll);

const CLIENT = '198.51.100.9';
const SPOOFED = '6.6.6.6';
const INNER_PROXY = '10.1.2.3';

describe.each([
  ['koa 3', Koa],
  ['koa 2', Koa2 as typeof Koa],
])('%s', (_, KoaApp) => {
  /** An app echoing ctx.ip and ctx.ips, enabled and listening. */
  async function start(options: KoaProxyProtocolOptions, configure?: (app: Koa) => void) {
    const app = new KoaApp();
    configure?.(app);
    const pp = proxyProtocol(options);
    app.use(pp);
    app.use((ctx) => {
      ctx.body = { ip: ctx.ip, ips: ctx.ips };
    });
    return listening(pp.enable(app.listen(0, '127.0.0.1')));
  }

  async function ask(port: number, source: string, forwarded?: string) {
    const headers = forwarded === undefined ? {} : { 'X-Forwarded-For': forwarded };
    return response(await send(port, v1(source), get('/', headers))).body;
  }

  it('runs the README example: app.use(pp) and pp.enable(app.listen()) make ctx.ip the client', async () => {
    const app = new KoaApp();
    const pp = proxyProtocol({ trusted: 'loopback' });
    app.use(pp);
    app.use((ctx) => {
      ctx.body = { ip: ctx.ip, lb: ctx.proxyProtocol?.realPeer.address };
    });
    const server = pp.enable(app.listen(0, '127.0.0.1'));
    const port = await listening(server);
    expect(response(await send(port, v1(), get())).body).toEqual({
      ip: '203.0.113.7',
      lb: '127.0.0.1',
    });
  });

  it('enables a server once, however often enable() is called', async () => {
    const pp = proxyProtocol();
    const server = http.createServer();
    expect(pp.enable(pp.enable(server))).toBe(server);
    expect(isProxyProtocolEnabled(server)).toBe(true);
  });

  it("with only Koa's app.proxy, trusts X-Forwarded-For the client wrote (why trustProxy exists)", async () => {
    const port = await start({}, (app) => {
      app.proxy = true;
    });
    expect(await ask(port, '203.0.113.7', SPOOFED)).toEqual({ ip: SPOOFED, ips: [SPOOFED] });
  });

  it('with trustProxy, ignores X-Forwarded-For from an untrusted PROXY source, app.proxy or not', async () => {
    const port = await start({ trustProxy: '10.0.0.0/8, loopback' }, (app) => {
      app.proxy = true;
    });
    expect(await ask(port, '203.0.113.7', SPOOFED)).toEqual({ ip: '203.0.113.7', ips: [] });
  });

  it('with trustProxy, keeps ctx.ips to the trusted hops, client first, and ctx.ip its first', async () => {
    const port = await start({ trustProxy: ['10.0.0.0/8'] });
    expect(await ask(port, INNER_PROXY, `${SPOOFED}, ${CLIENT}, 10.9.9.9`)).toEqual({
      ip: CLIENT,
      ips: [CLIENT, '10.9.9.9'],
    });
  });

  it('reads the header named by app.proxyIpHeader', async () => {
    const port = await start({ trustProxy: '10.0.0.0/8' }, (app) => {
      app.proxyIpHeader = 'X-Client-Chain';
    });
    const data = await send(port, v1(INNER_PROXY), get('/', { 'X-Client-Chain': CLIENT }));
    expect(response(data).body).toEqual({ ip: CLIENT, ips: [CLIENT] });
  });

  it('reads only the last app.maxIpsCount entries', async () => {
    const port = await start({ trustProxy: true }, (app) => {
      app.maxIpsCount = 1;
    });
    expect(await ask(port, INNER_PROXY, `${SPOOFED}, ${CLIENT}`)).toEqual({
      ip: CLIENT,
      ips: [CLIENT],
    });
  });

  it('takes a function (address, hop) and a hop count', async () => {
    const hops: [string, number][] = [];
    const port = await start({
      trustProxy: (address, hop) => {
        hops.push([address, hop]);
        return address === INNER_PROXY;
      },
    });
    expect(await ask(port, INNER_PROXY, CLIENT)).toEqual({ ip: CLIENT, ips: [CLIENT] });
    expect(hops).toEqual([[INNER_PROXY, 0]]);
    const counted = await start({ trustProxy: 1 });
    expect((await ask(counted, '203.0.113.7', `${SPOOFED}, ${CLIENT}`)).ip).toBe(CLIENT);
  });

  it("takes the core's address forms, 0.0.0.0/0 included, and refuses a bad one with a code", async () => {
    const port = await start({ trustProxy: '0.0.0.0/0' });
    expect(await ask(port, INNER_PROXY, `${SPOOFED}, ${CLIENT}`)).toEqual({
      ip: SPOOFED,
      ips: [SPOOFED, CLIENT],
    });
    expect(() => proxyProtocol({ trustProxy: '10.0.0.0/33' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
  });

  it('leaves Koa alone without trustProxy: app.proxy off ignores X-Forwarded-For', async () => {
    const port = await start({});
    expect(await ask(port, '203.0.113.7', SPOOFED)).toEqual({ ip: '203.0.113.7', ips: [] });
  });

  it('warns once when the server was never enabled, with the enable() fix', async () => {
    const { seen, stop } = warnings(NOT_ENABLED_WARNING);
    try {
      const app = new KoaApp();
      app.use(proxyProtocol());
      app.use((ctx) => {
        ctx.body = { ip: ctx.ip };
      });
      await request(app.callback()).get('/').expect(200);
      await request(app.callback()).get('/').expect(200);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.message).toContain('pp.enable(app.listen(3000))');
    } finally {
      stop();
    }
  });

  it("throws strict mode's error through Koa's error handling", async () => {
    const app = new KoaApp();
    const errors: unknown[] = [];
    app.on('error', (error) => errors.push(error));
    app.use(proxyProtocol({ strict: true }));
    app.use((ctx) => {
      ctx.body = 'unreachable';
    });
    const { text } = await request(app.callback()).get('/').expect(500);
    expect(text).toBe('Internal Server Error');
    expect(errors).toMatchObject([{ code: ErrorCodes.NOT_ENABLED, status: 500, expose: false }]);
  });
});
