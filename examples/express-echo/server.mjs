import { announce, closeOnSignal } from '@proxyproto/example-echo-common';
import { startExpressEcho } from './app.mjs';

const { plain, proxy, close } = await startExpressEcho();
announce('express-echo', plain, proxy);
closeOnSignal(close);
