// Compiled by `tsc` (the test package's typecheck), never run: the published types of
// @proxyproto/express type req.proxyProtocol through Express's declaration merging.
import https from 'node:https';
import { proxyProtocol } from '@proxyproto/express';
import express from 'express';

const app = express();
const pp = proxyProtocol({ trusted: ['10.0.0.0/8'], untrusted: 'direct', strict: true });
app.use(pp);
app.get('/', (req, res) => {
  const source: string | undefined = req.proxyProtocol?.source?.address;
  const version: 1 | 2 | undefined = req.proxyProtocol?.version;
  const balancer: string | undefined = req.proxyProtocol?.realPeer.address;
  const sni: string | undefined = req.proxyProtocol?.authority;
  const cn: string | undefined = req.proxyProtocol?.ssl?.cn;
  // @ts-expect-error the header is absent on direct connections: it must be narrowed first
  const unchecked: string = req.proxyProtocol.source.address;
  // @ts-expect-error addresses are strings
  const port: number = req.proxyProtocol?.source?.address;
  res.json({ source, version, balancer, sni, cn, unchecked, port });
});
export const server: https.Server = pp.enable(https.createServer({}, app));
// @ts-expect-error unknown option
proxyProtocol({ trustedProxies: '10.0.0.0/8' });
