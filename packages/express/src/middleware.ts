import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import {
  createEnabler,
  createNotEnabledCheck,
  getProxyProtocolInfo,
  type ProxyProtocolInfo,
  type ProxyProtocolOptions,
} from '@proxyproto/core';

declare global {
  namespace Express {
    interface Request {
      /** The PROXY header the connection arrived with; undefined for a direct connection. */
      proxyProtocol?: ProxyProtocolInfo;
    }
  }
}

export interface ExpressProxyProtocolOptions extends ProxyProtocolOptions {
  /**
   * Answer 500 to requests on a server that was never enabled, instead of serving them with the
   * TCP peer's address. Either way a warning is emitted once. Default false.
   */
  strict?: boolean;
}

export interface ProxyProtocolMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /**
   * Enables the PROXY protocol, with this middleware's options, on a server you create
   * (`http.createServer(app)`, `https.createServer(options, app)`). Returns the server.
   * `app.listen()` servers are enabled already; enabling one twice is a no-op.
   */
  enable<S extends Server>(server: S): S;
}

const FIX =
  'Add app.use(proxyProtocol(options)) before app.listen(), or for a server you create call ' +
  'enable() on the middleware: const pp = proxyProtocol(options); app.use(pp); ' +
  'pp.enable(https.createServer(tlsOptions, app)).listen(443).';

type Listen = (...args: unknown[]) => Server;

/**
 * Express middleware that sets `req.proxyProtocol` and makes `app.listen()` servers read the
 * PROXY header, so `req.ip` is the client's address.
 */
export function proxyProtocol(options: ExpressProxyProtocolOptions = {}): ProxyProtocolMiddleware {
  const { strict = false, ...coreOptions } = options;
  const enable = createEnabler(coreOptions); // checks the options now
  const check = createNotEnabledCheck('@proxyproto/express', FIX, strict);

  function middleware(
    req: IncomingMessage & { proxyProtocol?: ProxyProtocolInfo },
    _res: ServerResponse,
    next: (error?: unknown) => void,
  ): void {
    const error = check(req.socket);
    if (error !== undefined) {
      next(error);
      return;
    }
    const info = getProxyProtocolInfo(req.socket);
    if (info !== undefined) req.proxyProtocol = info;
    next();
  }

  // `app.use()` treats anything with handle() and set() as a sub-app: it runs handle() as the
  // middleware and emits 'mount' with the parent app. That is the one moment the middleware can
  // reach the app before app.listen() creates the server, so it wraps app.listen there.
  return Object.assign(middleware, {
    enable,
    handle: middleware,
    set() {},
    emit(event: string, parent: { listen?: Listen }): boolean {
      if (event !== 'mount' || typeof parent?.listen !== 'function') return false;
      const listen = parent.listen;
      parent.listen = function listenWithProxyProtocol(this: unknown, ...args: unknown[]) {
        const server = listen.apply(this, args);
        try {
          return enable(server);
        } catch (error) {
          server.close(); // invalid options: fail at startup without leaving a port open
          throw error;
        }
      };
      return true;
    },
  });
}
