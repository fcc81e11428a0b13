import net from 'node:net';

/** A TCP endpoint as the commands take it: `port`, `host:port` or `[v6]:port`. */
export interface Endpoint {
  host: string;
  port: number;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

function parsePort(text: string, what: string, allowZero: boolean): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    throw new UsageError(`${what}: ${JSON.stringify(text)} is not a port number`);
  }
  return port;
}

/**
 * Parses `8000`, `127.0.0.1:8000`, `[::1]:8000` or `localhost:8000`. A bare port gets
 * `defaultHost`; port 0 (any free port) only where `allowZero` is set, i.e. for listening.
 */
export function parseEndpoint(
  text: string,
  what: string,
  { defaultHost, allowZero = false }: { defaultHost?: string; allowZero?: boolean } = {},
): Endpoint {
  if (/^\d+$/.test(text)) {
    if (defaultHost === undefined) throw new UsageError(`${what}: give host:port, not a port`);
    return { host: defaultHost, port: parsePort(text, what, allowZero) };
  }
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) {
    const host = bracketed[1] as string;
    if (!net.isIPv6(host)) throw new UsageError(`${what}: ${host} is not an IPv6 address`);
    return { host, port: parsePort(bracketed[2] as string, what, allowZero) };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || text.indexOf(':') !== colon) {
    throw new UsageError(`${what}: expected host:port or [ipv6]:port, got ${JSON.stringify(text)}`);
  }
  return { host: text.slice(0, colon), port: parsePort(text.slice(colon + 1), what, allowZero) };
}

/** An address and port as one string, bracketing IPv6. */
export function formatEndpoint(address: string, port: number | undefined): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}

/** Parses an `address:port` for a header field: the address must be a literal IP. */
export function parseAddressPort(text: string, what: string): { address: string; port: number } {
  const { host, port } = parseEndpoint(text, what, { allowZero: true });
  if (net.isIP(host) === 0) throw new UsageError(`${what}: ${host} is not an IP address`);
  return { address: host, port };
}
