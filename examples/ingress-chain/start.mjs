// `pnpm start`: the echo app (Express) on loopback, and the ALB-like proxy in front of it.
// Point a PROXY protocol load balancer (or `proxyproto lb`, or `curl --haproxy-protocol`) at
// the proxy's PORT.

import { closeOnSignal, readConfig } from '@proxyproto/example-echo-common';
import { startExpressEcho } from '@proxyproto/example-express-echo';
import { readAlbConfig, startAlb } from './alb.mjs';

const config = readAlbConfig();
let upstream = process.env.UPSTREAM;
let echo;
if (!upstream) {
  // The app believes X-Forwarded-For from the proxy only, which talks to it over loopback.
  echo = await startExpressEcho({
    ...readConfig({
      HOST: '127.0.0.1',
      PORT: process.env.ECHO_PORT ?? '8080',
      PROXY_PORT: process.env.ECHO_PROXY_PORT ?? '9080',
      TRUST_PROXY: 'loopback',
    }),
  });
  upstream = `http://127.0.0.1:${echo.plain.address().port}`;
}
const alb = await startAlb(config, upstream);
const { address, port } = alb.server.address();
const mode = config.useProxyProtocol
  ? `PROXY protocol required, client address believed from ${config.realIpCidr.join(', ')}`
  : 'no PROXY protocol';
process.stderr.write(
  `ingress-chain listening: alb=${address}:${port} (${mode}) upstream=${upstream}\n`,
);
closeOnSignal(() => Promise.all([alb.close(), echo?.close()]));
