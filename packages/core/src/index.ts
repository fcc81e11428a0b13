export { decode, encode } from './codec.js';
export { crc32c } from './crc32c.js';
export {
  ErrorCodes,
  isProxyProtocolError,
  ProxyProtocolError,
  type ProxyProtocolErrorCode,
} from './errors.js';
export {
  getAwsVpceId,
  getAzurePrivateLinkId,
  getGcpPscConnectionId,
  SslClient,
  SslTlvType,
  TlvType,
} from './tlv.js';
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
