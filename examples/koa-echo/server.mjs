import { announce, closeOnSignal } from '@proxyproto/example-echo-common';
import { startKoaEcho } from './app.mjs';

const { plain, proxy, close } = await startKoaEcho();
announce('koa-echo', plain, proxy);
closeOnSignal(close);
