import { coreAdapter } from './adapters.js';
import { describeConformance } from './suite.js';

describeConformance(coreAdapter);
