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
  type ExpressProxyProtocolOptions,
  type ProxyProtocolMiddleware,
  proxyProtocol,
} from './middleware.js';
