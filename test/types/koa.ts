// Compiled by `tsc`, never run: the published types of @proxyproto/koa type ctx.proxyProtocol
// through Koa's declaration merging.
import { proxyProtocol } from '@proxyproto/koa';
import Koa from 'koa';

const app = new Koa();
const pp = proxyProtocol({
  trusted: 'loopback',
  trustProxy: (address, hop) => hop < 2 && address !== '0.0.0.0',
});
app.use(pp);
app.use((ctx) => {
  const source: string | undefined = ctx.proxyProtocol?.source?.address;
  const tlvTypes: number[] | undefined = ctx.proxyProtocol?.tlvs.map((tlv) => tlv.type);
  const balancer: string | undefined = ctx.proxyProtocol?.realPeer.address;
  // @ts-expect-error the header is absent on direct connections: it must be narrowed first
  const unchecked: string = ctx.proxyProtocol.source.address;
  // @ts-expect-error addresses are strings
  const port: number = ctx.proxyProtocol?.source?.address;
  ctx.body = { source, tlvTypes, balancer, unchecked, port };
});
export const server = pp.enable(app.listen(0));
// @ts-expect-error trustProxy takes Express's trust proxy forms, not an object
proxyProtocol({ trustProxy: { hops: 1 } });
