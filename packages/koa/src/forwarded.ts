import type { HopTrustCheck, TrustedHops } from '@proxyproto/core';
import proxyAddr from 'proxy-addr';

/** Which X-Forwarded-For hops to trust: core's `TrustedHops`, the forms Express's `trust proxy` takes. */
export type TrustProxy = TrustedHops;

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
export function applyForwarded(ctx: ForwardedContext, trust: HopTrustCheck): void {
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
