import Koa from 'koa';
import Koa2 from 'koa2';
import { koaAdapter } from './adapters.js';
import { describeConformance } from './suite.js';

describeConformance(koaAdapter('koa 3', Koa));
describeConformance(koaAdapter('koa 2', Koa2));
