import { ErrorCodes, protocolError } from './errors.js';
import type { DecodeResult, EncodeOptions, ProxyHeaderInit } from './types.js';
import { decodeV1, encodeV1 } from './v1.js';
import { decodeV2, encodeV2 } from './v2.js';

/**
 * Decodes the PROXY header at the start of `bytes`.
 *
 * Returns `{ header, length }` once a complete header is there (`length` bytes; what follows
 * belongs to the application), or `null` while the bytes so far are a valid beginning of a
 * header. Anything else throws a `ProxyProtocolError` as soon as the first wrong byte is seen.
 * Pure: no I/O, no state kept between calls, never reads past `bytes.length`.
 */
export function decode(bytes: Uint8Array): DecodeResult | null {
  if (bytes.length === 0) return null;
  const first = bytes[0];
  if (first === 0x50) return decodeV1(bytes);
  if (first === 0x0d) return decodeV2(bytes);
  throw protocolError(
    ErrorCodes.INVALID_SIGNATURE,
    'Not a PROXY protocol header: the first bytes are neither "PROXY " nor the v2 signature',
  );
}

/**
 * Encodes a header (v1 text or v2 binary). A header returned by `decode()` encodes back to
 * the same bytes.
 */
export function encode(header: ProxyHeaderInit, options?: EncodeOptions): Uint8Array {
  if (header === null || typeof header !== 'object') {
    throw protocolError(ErrorCodes.INVALID_HEADER, 'Cannot encode PROXY header: not an object');
  }
  if (header.version === 1) return encodeV1(header);
  if (header.version === 2) return encodeV2(header, options);
  throw protocolError(
    ErrorCodes.INVALID_HEADER,
    `Cannot encode PROXY header: version must be 1 or 2, not ${String(header.version)}`,
  );
}
