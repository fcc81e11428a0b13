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
import { proxyProtocol } from '@proxyproto/fastify';
import Fastify from 'fastify';

/**
 * One Fastify instance per port, with the same routes: the PROXY one registers the
 * proxyProtocol plugin, the plain one does not (it has no header to read).
 */
async function createApp(config, withProxyProtocol) {
  const app = Fastify({
    bodyLimit: config.bodyLimit,
    ...(config.trustProxy.length > 0 ? { trustProxy: config.trustProxy } : {}),
  });
  const version = serverVersion('fastify', app.version);
  if (withProxyProtocol) {
    await app.register(proxyProtocol, {
      trusted: config.trusted,
      headerTimeout: config.headerTimeout,
      onError: logRefused,
    });
  }
  // Any content type, as bytes: the echo shows the body as sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.addHook('onRequest', (request, reply, done) => {
    const id = requestId(request.raw);
    logAccess(request.raw, reply.raw, { id, client: () => request.ip });
    reply.header('x-request-id', id);
    done();
  });
  app.all('*', (request, reply) => {
    reply.headers(RESPONSE_HEADERS).send(
      renderEcho({
        serverVersion: version,
        clientAddress: request.ip,
        req: request.raw,
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
        proxyProtocol: request.proxyProtocol,
      }),
    );
  });
  // 413 past bodyLimit, and anything else, as text/plain.
  app.setErrorHandler((error, _request, reply) => {
    const status = error.statusCode ?? 500;
    reply.code(status).headers(RESPONSE_HEADERS).send(errorText(status, error.message));
  });
  return app;
}

/** Starts both ports; resolves with the servers and a close(). */
export async function startFastifyEcho(config = readConfig()) {
  const plainApp = await createApp(config, false);
  const proxyApp = await createApp(config, true);
  await plainApp.listen({ port: config.port, host: config.host });
  await proxyApp.listen({ port: config.proxyPort, host: config.host });
  const close = () => Promise.all([plainApp.close(), proxyApp.close()]);
  return { plain: plainApp.server, proxy: proxyApp.server, close };
}
