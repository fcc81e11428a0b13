import type { ProxyProtocolOptions } from '@proxyproto/core';

/** Express's `trust proxy` forms, which every framework here takes for X-Forwarded-For. */
export type TrustProxy = boolean | number | string | string[];

/**
 * Where the app's server comes from:
 * - `framework`: the framework creates it (`app.listen()`, `fastify.listen()`; Koa: `pp.enable(app.listen())`);
 * - `user`: the user creates it (`http.createServer(app)`, Fastify's `serverFactory`);
 * - `https`: an HTTPS server (`https.createServer(tls, app)`, Fastify's `https` option);
 * - `not-enabled`: a server that was never passed to the core, the misconfiguration adapters detect.
 */
export type ServerKind = 'framework' | 'user' | 'https' | 'not-enabled';

export interface StartOptions {
  server: ServerKind;
  proxyProtocol?: ProxyProtocolOptions & { strict?: boolean };
  trustProxy?: TrustProxy;
}

export interface Started {
  port: number;
  close(): Promise<void>;
}

/**
 * One framework, as the conformance suite drives it: `start()` listens on 127.0.0.1:0 with an app
 * that answers every GET with `echo()` of the framework's own `ip`, `ips`, `secure` and header.
 */
export interface Adapter {
  name: string;
  /**
   * Warns about requests on a server never passed to the core (every adapter; not the bare
   * core): the fix the warning must name.
   */
  misconfigurationFix: RegExp | undefined;
  /**
   * A numeric trust proxy counts hops from the PROXY source (Express, Koa, proxy-addr); Fastify
   * 5.12+ trusts no hop for a number, since the count cannot tell who the nearest peer is.
   */
  countsHops: boolean;
  start(options: StartOptions): Promise<Started>;
}
