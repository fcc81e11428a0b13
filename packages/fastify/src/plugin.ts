import {
  createNotEnabledCheck,
  enableProxyProtocol,
  getProxyProtocolInfo,
  type ProxyProtocolInfo,
  type ProxyProtocolOptions,
} from '@proxyproto/core';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The PROXY header the connection arrived with; undefined for a direct connection. */
    readonly proxyProtocol: ProxyProtocolInfo | undefined;
  }
}

export interface FastifyProxyProtocolOptions extends ProxyProtocolOptions {
  /**
   * Answer 500 to requests on a server that was never enabled (a server of your own routed to
   * `fastify.routing`), instead of serving them with the TCP peer's address. Either way a
   * warning is emitted once. Default false.
   */
  strict?: boolean;
}

const FIX =
  'fastify.register(proxyProtocol, options) enables fastify.server (also with serverFactory or ' +
  'the https option); a server of your own that calls fastify.routing must be passed to ' +
  'enableProxyProtocol(server, options) from @proxyproto/fastify.';

const plugin: FastifyPluginCallback<FastifyProxyProtocolOptions> = (fastify, options, done) => {
  const { strict = false, ...coreOptions } = options;
  try {
    // fastify.server exists from the start, whoever creates it (serverFactory, https, http2),
    // and no connection is accepted before listen(): the earliest and only hook needed.
    enableProxyProtocol(fastify.server, coreOptions);
  } catch (error) {
    done(error as Error);
    return;
  }
  fastify.decorateRequest('proxyProtocol', {
    getter(this: FastifyRequest) {
      return getProxyProtocolInfo(this.raw.socket);
    },
  });
  const check = createNotEnabledCheck('@proxyproto/fastify', FIX, strict);
  fastify.addHook('onRequest', (request, _reply, next) => {
    const { socket } = request.raw;
    const error = check(socket);
    if (error !== undefined) {
      next(error);
      return;
    }
    // Made now, while the connection is open: the core reads the real peer only when asked,
    // and an onResponse hook may run after a `Connection: close` socket has closed.
    getProxyProtocolInfo(socket);
    next();
  });
  done();
};

/**
 * Fastify plugin: `fastify.register(proxyProtocol, options)` makes `fastify.server` read the
 * PROXY header, so `request.ip` is the client's address, and adds `request.proxyProtocol`.
 */
export const proxyProtocol = fp(plugin, { fastify: '5.x', name: '@proxyproto/fastify' });
