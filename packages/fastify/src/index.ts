export {
  ErrorCodes,
  enableProxyProtocol,
  getProxyHeader,
  getProxyProtocolInfo,
  getRealPeer,
  isProxyProtocolError,
  NOT_ENABLED_WARNING,
  type NotEnabledError,
  ProxyProtocolError,
  type ProxyProtocolErrorCode,
  type ProxyProtocolInfo,
  type ProxyProtocolOptions,
  type RealPeer,
} from '@proxyproto/core';
export {
  type FastifyProxyProtocolOptions,
  proxyProtocol,
  proxyProtocol as default,
} from './plugin.js';
