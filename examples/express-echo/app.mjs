import { once } from 'node:events';
import { createRequire } from 'node:module';
import {
  errorText,
  logAccess,
  logRefused,
  RESPONSE_HEADERS,
  readConfig,
  renderEcho,
  requestId,
  serverVersion,
} from '@proxyproto/example-echo-common';
import { proxyProtocol } from '@proxyproto/express';
import express from 'express';

// The installed express's own version, as the fastify example reads app.version.
const VERSION = serverVersion(
  'express',
  createRequire(import.meta.url)('express/package.json').version,
);

/**
 * One Express app per port, sharing the echo route: the PROXY app gets the proxyProtocol()
 * middleware, the plain app does not (it has no header to read).
 */
function createApp(config, pp) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (config.trustProxy.length > 0) app.set('trust proxy', config.trustProxy);
  app.use((req, res, next) => {
    const id = requestId(req);
    logAccess(req, res, { id, client: () => req.ip });
    res.set('x-request-id', id);
    next();
  });
  if (pp) app.use(pp);
  app.use(express.raw({ type: () => true, limit: config.bodyLimit }));
  app.use((req, res) => {
    res.set(RESPONSE_HEADERS).send(
      renderEcho({
        serverVersion: VERSION,
        clientAddress: req.ip,
        req,
        body: Buffer.isBuffer(req.body) ? req.body : undefined,
        proxyProtocol: req.proxyProtocol,
      }),
    );
  });
  // 413 from express.raw, and anything else, as text/plain.
  app.use((error, _req, res, _next) => {
    const status = error.status ?? 500;
    res.status(status).set(RESPONSE_HEADERS).send(errorText(status, error.message));
  });
  return app;
}

/** Starts both ports; resolves with the servers and a close(). */
export async function startExpressEcho(config = readConfig()) {
  const pp = proxyProtocol({
    trusted: config.trusted,
    headerTimeout: config.headerTimeout,
    onError: logRefused,
  });
  const plain = createApp(config).listen(config.port, config.host);
  // app.listen() on an app using the middleware reads the PROXY header.
  const proxy = createApp(config, pp).listen(config.proxyPort, config.host);
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
