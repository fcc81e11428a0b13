import { announce, closeOnSignal } from '@proxyproto/example-echo-common';
import { startFastifyEcho } from './app.mjs';

const { plain, proxy, close } = await startFastifyEcho();
announce('fastify-echo', plain, proxy);
closeOnSignal(close);
