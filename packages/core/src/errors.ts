/**
 * Every failure in this library is a `ProxyProtocolError` with a stable `code`.
 * Match on `error.code`, not on the message: messages may be reworded, codes never are.
 */
export const ErrorCodes = {
  /** The first bytes are neither `PROXY ` (v1) nor the 12-byte v2 signature. */
  INVALID_SIGNATURE: 'ERR_PROXY_PROTOCOL_INVALID_SIGNATURE',
  /** A v1 line has no CRLF within 107 bytes, or a v2 header is longer than allowed. */
  HEADER_TOO_LONG: 'ERR_PROXY_PROTOCOL_HEADER_TOO_LONG',
  /** A v1 line breaks the grammar: spacing, line ending, or a protocol other than TCP4/TCP6/UNKNOWN. */
  INVALID_V1: 'ERR_PROXY_PROTOCOL_INVALID_V1',
  /** An address does not parse, or does not match the announced family. */
  INVALID_ADDRESS: 'ERR_PROXY_PROTOCOL_INVALID_ADDRESS',
  /** A v1 port is not a decimal integer 0..65535 without leading zeros. */
  INVALID_PORT: 'ERR_PROXY_PROTOCOL_INVALID_PORT',
  /** The v2 version nibble is not 2. */
  UNSUPPORTED_VERSION: 'ERR_PROXY_PROTOCOL_UNSUPPORTED_VERSION',
  /** The v2 command nibble is neither LOCAL (0) nor PROXY (1). */
  INVALID_COMMAND: 'ERR_PROXY_PROTOCOL_INVALID_COMMAND',
  /** The v2 address family nibble is not 0..3. */
  INVALID_FAMILY: 'ERR_PROXY_PROTOCOL_INVALID_FAMILY',
  /** The v2 transport nibble is not 0..2. */
  INVALID_TRANSPORT: 'ERR_PROXY_PROTOCOL_INVALID_TRANSPORT',
  /** The v2 length is too small for the address block of the announced family. */
  ADDRESS_TOO_SHORT: 'ERR_PROXY_PROTOCOL_ADDRESS_TOO_SHORT',
  /** A TLV or SSL sub-TLV overruns the header, or a known TLV has an invalid value. */
  INVALID_TLV: 'ERR_PROXY_PROTOCOL_INVALID_TLV',
  /** The CRC32C TLV does not match the header. */
  CRC_MISMATCH: 'ERR_PROXY_PROTOCOL_CRC_MISMATCH',
  /** `encode()` was given a header it cannot represent. */
  INVALID_HEADER: 'ERR_PROXY_PROTOCOL_INVALID_HEADER',
  /** Socket layer: no complete header arrived within `headerTimeout`. */
  HEADER_TIMEOUT: 'ERR_PROXY_PROTOCOL_HEADER_TIMEOUT',
  /** Socket layer: the peer closed the connection before a complete header arrived. */
  INCOMPLETE_HEADER: 'ERR_PROXY_PROTOCOL_INCOMPLETE_HEADER',
  /** Socket layer: the peer is not in `trusted` and `untrusted` is `'reject'`. */
  UNTRUSTED_SOURCE: 'ERR_PROXY_PROTOCOL_UNTRUSTED_SOURCE',
  /** Socket layer: the socket failed (ECONNRESET, ...) before a complete header arrived. */
  SOCKET_ERROR: 'ERR_PROXY_PROTOCOL_SOCKET_ERROR',
  /** Adapters: a request arrived on a server that was never passed to `enableProxyProtocol`. */
  NOT_ENABLED: 'ERR_PROXY_PROTOCOL_NOT_ENABLED',
  /** Invalid options given to an API of this library. */
  INVALID_OPTION: 'ERR_PROXY_PROTOCOL_INVALID_OPTION',
} as const;

export type ProxyProtocolErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class ProxyProtocolError extends Error {
  override name = 'ProxyProtocolError';
  readonly code: ProxyProtocolErrorCode;

  constructor(code: ProxyProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The one place errors are made, so every error has a code and the same shape. */
export function protocolError(code: ProxyProtocolErrorCode, message: string): ProxyProtocolError {
  return new ProxyProtocolError(code, message);
}

/** True for errors thrown by this library. Prefer this to `instanceof` across package copies. */
export function isProxyProtocolError(error: unknown): error is ProxyProtocolError {
  if (error instanceof ProxyProtocolError) return true;
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PROXY_PROTOCOL_');
}
