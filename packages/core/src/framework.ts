import { type Server, Socket } from 'node:net';
import { ErrorCodes, ProxyProtocolError } from './errors.js';
import {
  enableProxyProtocol,
  isProxyProtocolConnection,
  type ProxyProtocolOptions,
  validateProxyProtocolOptions,
} from './server.js';

// What the framework adapters share, so each stays a thin translation to its framework's idiom.

/** `process.emitWarning` code for a request on a server that was never passed to the core. */
export const NOT_ENABLED_WARNING = 'PROXYPROTO_NOT_ENABLED';

/** The error strict adapters answer such a request with: status 500, not exposed to clients. */
export interface NotEnabledError extends ProxyProtocolError {
  code: typeof ErrorCodes.NOT_ENABLED;
  status: 500;
  statusCode: 500;
  expose: false;
}

function notEnabledError(): NotEnabledError {
  return Object.assign(
    new ProxyProtocolError(
      ErrorCodes.NOT_ENABLED,
      'PROXY protocol is not enabled on the server that accepted this request',
    ),
    { status: 500, statusCode: 500, expose: false } as const,
  ) as NotEnabledError;
}

/**
 * The check an adapter runs on every request: a connection the core never saw means the server
 * was not passed to `enableProxyProtocol`. Warns once with `fix`; in strict mode returns the
 * error to answer with. Requests without a TCP socket (injected in tests) are not checked.
 */
export function createNotEnabledCheck(
  packageName: string,
  fix: string,
  strict: boolean,
): (socket: unknown) => NotEnabledError | undefined {
  let warned = false;
  return (socket) => {
    if ((warned && !strict) || isProxyProtocolConnection(socket) || !(socket instanceof Socket)) {
      return undefined;
    }
    if (!warned) {
      warned = true;
      process.emitWarning(
        `${packageName}: a request arrived on a connection that did not go through the PROXY ` +
          'protocol layer: the server that accepted it was never passed to enableProxyProtocol. ' +
          "The client address is the TCP peer's (your load balancer's), and a PROXY header on " +
          `this server breaks every request. ${fix} ` +
          (strict
            ? 'Until then such requests are answered with 500 (strict: true).'
            : "Until then such requests go on with the TCP peer's address."),
        { type: 'ProxyProtocolWarning', code: NOT_ENABLED_WARNING },
      );
    }
    return strict ? notEnabledError() : undefined;
  };
}

/**
 * Checks `options` at once, so a mistake fails at startup rather than at the first listen(),
 * and returns the adapter's `enable(server)`: enables the PROXY protocol with these options,
 * once per server (a second call for the same server is a no-op, not an error).
 */
export function createEnabler(options: ProxyProtocolOptions): <S extends Server>(server: S) => S {
  validateProxyProtocolOptions(options);
  const enabled = new WeakSet<Server>();
  return (server) => {
    if (!enabled.has(server)) {
      enableProxyProtocol(server, options);
      enabled.add(server);
    }
    return server;
  };
}
