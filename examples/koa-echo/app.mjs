import { once } from 'node:events';
import { createRequire } from 'node:module';
import {
  errorText,
  logAccess,
  logRefused,
  RESPONSE_HEADERS,
  readBody,
  readConfig,
  renderEcho,
  requestId,
  serverVersion,
} from '@proxyproto/example-echo-common';
import { proxyProtocol } from '@proxyproto/koa';
import Koa from 'koa';

// The installed koa's own version, as the fastify example reads app.version.
const VERSION = serverVersion('koa', createRequire(import.meta.url)('koa/package.json').version);

/**
 * One Koa app per port, sharing the echo middleware: the PROXY app gets the proxyProtocol()
 * middleware, the plain app does not (it has no header to read).
 */
function createApp(config, pp) {
  const app = new Koa();
  // Koa's own X-Forwarded-For support trusts every hop; the PROXY app uses the adapter's
  // trustProxy instead, which takes a list like Express's `trust proxy`.
  if (!pp && config.trustProxy.length > 0) app.proxy = true;
  app.use(async (ctx, next) => {
    const id = requestId(ctx.req);
    logAccess(ctx.req, ctx.res, { id, client: () => ctx.ip });
    ctx.set('x-request-id', id);
    try {
      await next();
    } catch (error) {
      ctx.status = error.status ?? 500;
      ctx.set(RESPONSE_HEADERS);
      ctx.body = errorText(ctx.status, error.message);
    }
  });
  if (pp) app.use(pp);
  app.use(async (ctx) => {
    const body = await readBody(ctx.req, config.bodyLimit);
    ctx.set(RESPONSE_HEADERS);
    ctx.body = renderEcho({
      serverVersion: VERSION,
      clientAddress: ctx.ip,
      req: ctx.req,
      body,
      proxyProtocol: ctx.proxyProtocol,
    });
  });
  return app;
}

/** Starts both ports; resolves with the servers and a close(). */
export async function startKoaEcho(config = readConfig()) {
  const pp = proxyProtocol({
    trusted: config.trusted,
    headerTimeout: config.headerTimeout,
    onError: logRefused,
    ...(config.trustProxy.length > 0 ? { trustProxy: config.trustProxy } : {}),
  });
  const plain = createApp(config).listen(config.port, config.host);
  // Koa gives middleware no way to reach the server: hand it to the middleware.
  const proxy = pp.enable(createApp(config, pp).listen(config.proxyPort, config.host));
  await Promise.all([once(plain, 'listening'), once(proxy, 'listening')]);
  const close = () =>
    Promise.all(
      [plain, proxy].map(
        (server) =>
          new Promise((resolve) => {
            server.closeAllConnections();
            server.close(resolve);
          }),
      ),
    );
  return { plain, proxy, close };
}
