import { isIPv4, isIPv6 } from 'node:net';
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
  let entries = list.map((entry) => entry.trim()).filter((entry) => entry !== '');
  // proxy-addr refuses a /0 prefix, yet `0.0.0.0/0` is what operators write for "any" (it is
  // ingress-nginx's default proxy-real-ip-cidr): any IPv4 peer, mapped ones included.
  const anyIPv4 = entries.includes('0.0.0.0/0');
  const anyIPv6 = entries.includes('::/0');
  entries = entries.filter((entry) => entry !== '0.0.0.0/0' && entry !== '::/0');
  if (anyIPv4 && anyIPv6) return trustAll;
  if (entries.length === 0 && !anyIPv4 && !anyIPv6) return trustNone;
  let check: (address: string, hop: number) => boolean;
  try {
    // proxy-addr is what Express compiles `trust proxy` with: same forms, same matching of
    // IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`) against IPv4 ranges.
    check = entries.length > 0 ? proxyAddr.compile(entries) : () => false;
  } catch (error) {
    throw new ProxyProtocolError(
      ErrorCodes.INVALID_OPTION,
      `trusted: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return (address) => {
    if (anyIPv4 && (isIPv4(address) || address.startsWith('::ffff:'))) return true;
    if (anyIPv6 && isIPv6(address)) return true;
    try {
      return check(address, 0);
    } catch {
      return false; // not an IP address (a UNIX socket peer): not in any range
    }
  };
}
