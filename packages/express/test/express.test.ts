import { isProxyProtocolEnabled } from '@proxyproto/core';
import express from 'express';
import express4 from 'express4';
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
  NOT_ENABLED_WARNING,
  type ProxyProtocolMiddleware,
  proxyProtocol,
} from '../src/index.js';

afterEach(closeAll);

describe.each([
  ['express 5', express],
  ['express 4', express4 as typeof express],
])('%s', (_, createApp) => {
  it('runs the README example: app.use(proxyProtocol()) and req.ip is the client', async () => {
    const app = createApp();
    app.use(proxyProtocol({ trusted: 'loopback' }));
    app.get('/', (req, res) => {
      res.json({ ip: req.ip, lb: req.proxyProtocol?.realPeer.address });
    });
    const port = await listening(app.listen(0, '127.0.0.1'));
    expect(response(await send(port, v1(), get())).body).toEqual({
      ip: '203.0.113.7',
      lb: '127.0.0.1',
    });
  });

  it('enables the server app.listen() creates, also when mounted on a path', async () => {
    const app = createApp();
    app.use('/api', proxyProtocol());
    const server = app.listen(0, '127.0.0.1');
    await listening(server);
    expect(isProxyProtocolEnabled(server)).toBe(true);
  });

  it('enables a server once, however often enable() is called', async () => {
    const app = createApp();
    const pp = proxyProtocol();
    app.use(pp);
    const server = app.listen(0, '127.0.0.1');
    await listening(server);
    expect(pp.enable(server)).toBe(server);
    expect(isProxyProtocolEnabled(server)).toBe(true);
  });

  it('throws from app.listen() when two middlewares would enable the same server', () => {
    const app = createApp();
    app.use(proxyProtocol());
    app.use(proxyProtocol());
    let thrown: unknown;
    try {
      app.listen(0, '127.0.0.1');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: ErrorCodes.INVALID_OPTION });
  });

  it('throws invalid options when the middleware is made, before any server exists', () => {
    expect(() => proxyProtocol({ untrusted: 'drop' as 'reject' })).toThrowError(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
  });

  it('cannot reach the server from router.use(), and the warning says so', async () => {
    const { seen, stop } = warnings(NOT_ENABLED_WARNING);
    try {
      const app = createApp();
      const router = createApp.Router();
      router.use(proxyProtocol() as ProxyProtocolMiddleware & express.RequestHandler);
      app.use(router);
      app.get('/', (req, res) => {
        res.json({ ip: req.ip });
      });
      const server = app.listen(0, '127.0.0.1');
      await listening(server);
      expect(isProxyProtocolEnabled(server)).toBe(false);
      await request(server).get('/').expect(200);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.message).toContain('app.use(proxyProtocol(options)) before app.listen()');
    } finally {
      stop();
    }
  });

  it("passes strict mode's error to the app's error handler", async () => {
    const app = createApp();
    app.use(proxyProtocol({ strict: true }));
    app.get('/', (_req, res) => {
      res.send('unreachable');
    });
    app.use(
      (
        error: { code?: string; status?: number },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(error.status ?? 0).json({ code: error.code });
      },
    );
    // supertest(app) creates a server of its own, never passed to the core.
    const { body } = await request(app).get('/').expect(500);
    expect(body).toEqual({ code: ErrorCodes.NOT_ENABLED });
  });
});
