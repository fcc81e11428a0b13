import { fastifyAdapter } from './adapters.js';
import { describeConformance } from './suite.js';

describeConformance(fastifyAdapter);
