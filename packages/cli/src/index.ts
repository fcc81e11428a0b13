export { type Endpoint, formatEndpoint, parseEndpoint, UsageError } from './endpoint.js';
export {
  type Explanation,
  explain,
  explanationJson,
  formatExplanation,
  parseInput,
} from './explain.js';
export {
  compileHeader,
  type HeaderTemplate,
  type HeaderValues,
  headerAddresses,
} from './header-options.js';
export {
  type ConnectionEvent,
  type LoadBalancer,
  type LoadBalancerOptions,
  startLoadBalancer,
} from './lb.js';
export { type CommandIo, type CommandRun, run } from './run.js';
export { type HttpRequest, type HttpResult, type SendOptions, sendHttp, sendRaw } from './send.js';
