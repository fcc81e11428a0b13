import type { Server } from 'node:net';
import {
  compileHopTrust,
  createEnabler,
  createNotEnabledCheck,
  getProxyProtocolInfo,
  type ProxyProtocolInfo,
  type ProxyProtocolOptions,
} from '@proxyproto/core';
import type { Middleware } from 'koa';
import { applyForwarded, type TrustProxy } from './forwarded.js';

declare module 'koa' {
  interface ExtendableContext {
    /** The PROXY header the connection arrived with; undefined for a direct connection. */
    proxyProtocol?: ProxyProtocolInfo;
  }
}

export interface KoaProxyProtocolOptions extends ProxyProtocolOptions {
  /**
   * Trust X-Forwarded-For (or `app.proxyIpHeader`) hops as Express's `trust proxy` does, evaluated
   * from the PROXY source: sets `ctx.ip` and `ctx.ips`. Koa's own `app.proxy = true` trusts every
   * hop, including one the client wrote. Unset: Koa's own behaviour.
   */
  trustProxy?: TrustProxy;
  /**
   * Answer 500 to requests on a server that was never enabled, instead of serving them with the
   * TCP peer's address. Either way a warning is emitted once. Default false.
   */
  strict?: boolean;
}

export interface ProxyProtocolMiddleware extends Middleware {
  /**
   * Enables the PROXY protocol, with this middleware's options, on the app's server:
   * `pp.enable(app.listen(3000))` or `pp.enable(https.createServer(tls, app.callback()))`.
   * Koa gives middleware no way to reach the server, so this call is required. Returns the
   * server; enabling one twice is a no-op.
   */
  enable<S extends Server>(server: S): S;
}

const FIX =
  'Koa gives middleware no way to reach the server, so pass it to the middleware: ' +
  'const pp = proxyProtocol(options); app.use(pp); pp.enable(app.listen(3000)) ' +
  '(or pp.enable(http.createServer(app.callback())) for a server you create).';

/**
 * Koa middleware that sets `ctx.proxyProtocol` (and with `trustProxy`, `ctx.ip` and `ctx.ips`).
 * Pass the server to `enable()` so it reads the PROXY header.
 */
export function proxyProtocol(options: KoaProxyProtocolOptions = {}): ProxyProtocolMiddleware {
  const { strict = false, trustProxy, ...coreOptions } = options;
  const trust = trustProxy === undefined ? undefined : compileHopTrust(trustProxy);
  const enable = createEnabler(coreOptions); // checks the options now
  const check = createNotEnabledCheck('@proxyproto/koa', FIX, strict);

  const middleware: Middleware = (ctx, next) => {
    const { socket } = ctx.req;
    const error = check(socket);
    if (error !== undefined) throw error;
    const info = getProxyProtocolInfo(socket);
    if (info !== undefined) ctx.proxyProtocol = info;
    if (trust !== undefined) applyForwarded(ctx, trust);
    return next();
  };
  return Object.assign(middleware, { enable });
}
