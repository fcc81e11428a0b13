import { expect } from 'vitest';
import { decode, isProxyProtocolError, type ProxyProtocolErrorCode } from '../src/index.js';

/** Bytes from hex, ignoring spaces (so literals can be grouped like the spec's tables). */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

/** Bytes of a latin1 string, for v1 lines written as text. */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Asserts that decoding throws a ProxyProtocolError with `code`, and returns it. */
export function expectCode(bytes: Uint8Array, code: ProxyProtocolErrorCode): Error {
  let thrown: unknown;
  try {
    decode(bytes);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(Error);
  expect(isProxyProtocolError(thrown)).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
  return thrown as Error;
}

/** Every prefix of a complete header decodes to null; the whole decodes to the same result. */
export function decodeEveryPrefix(bytes: Uint8Array): void {
  const whole = decode(bytes);
  for (let n = 0; n < bytes.length; n++) {
    const partial = decode(bytes.subarray(0, n));
    if (whole !== null && n < whole.length) expect(partial, `prefix of ${n} bytes`).toBeNull();
  }
}
