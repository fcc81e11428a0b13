export { decode, encode } from './codec.js';
export { crc32c } from './crc32c.js';
export {
  ErrorCodes,
  isProxyProtocolError,
  ProxyProtocolError,
  type ProxyProtocolErrorCode,
} from './errors.js';
export {
  createEnabler,
  createNotEnabledCheck,
  NOT_ENABLED_WARNING,
  type NotEnabledError,
} from './framework.js';
export {
  DEFAULT_HEADER_TIMEOUT,
  DEFAULT_MAX_HEADER_SIZE,
  enableProxyProtocol,
  getProxyHeader,
  getProxyProtocolInfo,
  getProxyProtocolStats,
  getRealPeer,
  isProxyProtocolConnection,
  isProxyProtocolEnabled,
  PROXY_PROTOCOL_ERROR_EVENT,
  type ProxyProtocolInfo,
  type ProxyProtocolOptions,
  type ProxyProtocolStats,
  type RealPeer,
  type RefusedConnection,
  validateProxyProtocolOptions,
} from './server.js';
export {
  getAwsVpceId,
  getAzurePrivateLinkId,
  getGcpPscConnectionId,
  SslClient,
  SslTlvType,
  TlvType,
} from './tlv.js';
export {
  compileHopTrust,
  compileTrust,
  type HopTrustCheck,
  type TrustCheck,
  type TrustedHops,
  type TrustedSources,
} from './trust.js';
export type {
  DecodeResult,
  EncodeOptions,
  ProxyAddress,
  ProxyCommand,
  ProxyFamily,
  ProxyHeader,
  ProxyHeaderInit,
  ProxySslInfo,
  ProxyTlv,
  ProxyTransport,
} from './types.js';
export { V1_MAX_LENGTH } from './v1.js';
export { V2_FIXED_LENGTH, V2_MAX_LENGTH, V2_SIGNATURE } from './v2.js';
