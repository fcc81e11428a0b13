import proxyAddr from 'proxy-addr';

/**
 * Which X-Forwarded-For hops to trust, in the forms Express's `trust proxy` takes: `true`, a hop
 * count, addresses/CIDRs/names (`loopback`, `linklocal`, `uniquelocal`) as an array or a
 * comma-separated string, or a function `(address, hop) => boolean`.
 */
export type TrustProxy =
  | boolean
  | number
  | string
  | readonly string[]
  | ((address: string, hop: number) => boolean);

export type HopTrust = (address: string, hop: number) => boolean;

/** Compiled once, as Express compiles `trust proxy`. */
export function compileTrustProxy(value: TrustProxy): HopTrust {
  if (typeof value === 'function') return value;
  if (value === true) return () => true;
  if (value === false) return () => false;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  const list = typeof value === 'string' ? value.split(',').map((entry) => entry.trim()) : value;
  return proxyAddr.compile([...list]);
}

interface ForwardedContext {
  app: { proxyIpHeader: string; maxIpsCount: number };
  req: { socket: { remoteAddress?: string | undefined } };
  request: { ip: string };
  get(field: string): string;
}

/**
 * Sets `ctx.ip` and `ctx.ips` from the socket address (the PROXY source) and the hops of Koa's
 * `proxyIpHeader` that `trust` accepts, walking from the nearest hop as proxy-addr does:
 * `ctx.ips` is the trusted part of the header, client first, and `ctx.ip` its first entry.
 */
export function applyForwarded(ctx: ForwardedContext, trust: HopTrust): void {
  const { proxyIpHeader, maxIpsCount } = ctx.app;
  let header = ctx.get(proxyIpHeader);
  if (header === '') return; // Koa's own getters give the socket address and no ips
  if (maxIpsCount > 0) header = header.split(',').slice(-maxIpsCount).join(',');
  const { socket } = ctx.req;
  const addresses = proxyAddr.all(
    // proxy-addr reads X-Forwarded-For; Koa lets the header be renamed.
    { headers: { 'x-forwarded-for': header }, socket, connection: socket } as never,
    trust,
  );
  const ips = addresses.slice(1).reverse();
  ctx.request.ip = addresses[addresses.length - 1] as string;
  Object.defineProperty(ctx.request, 'ips', {
    value: ips,
    configurable: true,
    enumerable: true,
    writable: true,
  });
}
