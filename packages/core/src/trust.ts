import proxyAddr from 'proxy-addr';
import { ErrorCodes, ProxyProtocolError } from './errors.js';

/**
 * Which peers may send a PROXY header, in the forms Express's `trust proxy` takes:
 * - `true` (every peer) or `false` (none);
 * - an address or CIDR, the names `loopback`, `linklocal`, `uniquelocal`, an array of these,
 *   or a comma-separated string of them (`'10.0.0.0/8, loopback'`);
 * - a function `(address) => boolean`.
 */
export type TrustedSources = boolean | string | readonly string[] | ((address: string) => boolean);

/** Compiled once; the per-connection check makes no configuration decisions. */
export type TrustCheck = (address: string) => boolean;

const trustAll: TrustCheck = () => true;
const trustNone: TrustCheck = () => false;

export function compileTrust(trusted: TrustedSources | undefined): TrustCheck {
  if (trusted === undefined || trusted === true) return trustAll;
  if (trusted === false) return trustNone;
  if (typeof trusted === 'function') {
    return (address) => trusted(address) === true;
  }
  const list = typeof trusted === 'string' ? trusted.split(',') : trusted;
  if (!Array.isArray(list) || list.some((entry) => typeof entry !== 'string')) {
    throw new ProxyProtocolError(
      ErrorCodes.INVALID_OPTION,
      'trusted must be a boolean, a function, an address/CIDR/name, or an array of them',
    );
  }
  const entries = list.map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) return trustNone;
  let check: (address: string, hop: number) => boolean;
  try {
    // proxy-addr is what Express compiles `trust proxy` with: same forms, same matching of
    // IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`) against IPv4 ranges.
    check = proxyAddr.compile(entries);
  } catch (error) {
    throw new ProxyProtocolError(
      ErrorCodes.INVALID_OPTION,
      `trusted: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return (address) => {
    try {
      return check(address, 0);
    } catch {
      return false; // not an IP address (a UNIX socket peer): not in any range
    }
  };
}
