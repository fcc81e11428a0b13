import { isIP, isIPv4 } from 'node:net';
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

/**
 * Which X-Forwarded-For hops to trust, as Express's `trust proxy` setting takes it: the forms of
 * `TrustedSources`, a hop count, or a function `(address, hop) => boolean`.
 */
export type TrustedHops = TrustedSources | number | ((address: string, hop: number) => boolean);

/** Compiled once; `hop` is 0 for the socket's peer, 1 for the last X-Forwarded-For entry, ... */
export type HopTrustCheck = (address: string, hop: number) => boolean;

function invalidTrust(message: string, cause?: unknown): never {
  throw new ProxyProtocolError(ErrorCodes.INVALID_OPTION, message, { cause });
}

/**
 * Compiles X-Forwarded-For hop trust (what an adapter needs where the framework has none of its
 * own, Koa): the same address forms and ranges as `trusted`, `0.0.0.0/0` and `::/0` included.
 */
export function compileHopTrust(trusted: TrustedHops, option = 'trustProxy'): HopTrustCheck {
  // Truthy, as proxy-addr (and so Express) reads the result of a trust function.
  if (typeof trusted === 'function') return (address, hop) => Boolean(trusted(address, hop));
  if (typeof trusted === 'number') {
    if (!Number.isInteger(trusted) || trusted < 0) {
      invalidTrust(`${option} as a hop count must be a whole number of 0 or more`);
    }
    return (_address, hop) => hop < trusted;
  }
  // A TrustCheck ignores the hop index: addresses are trusted at any hop. Its answers are not
  // remembered: X-Forwarded-For entries are client-chosen strings, often slices of the whole
  // header, which a memory of them would keep alive.
  return compileSources(trusted, option, false);
}

export function compileTrust(trusted: TrustedSources | undefined, option = 'trusted'): TrustCheck {
  return compileSources(trusted, option, true);
}

function compileSources(
  trusted: TrustedSources | undefined,
  option: string,
  remember: boolean,
): TrustCheck {
  if (trusted === undefined || trusted === true) return trustAll;
  if (trusted === false) return trustNone;
  if (typeof trusted === 'function') {
    return (address) => trusted(address) === true;
  }
  const list = typeof trusted === 'string' ? trusted.split(',') : trusted;
  if (!Array.isArray(list) || list.some((entry) => typeof entry !== 'string')) {
    invalidTrust(
      `${option} must be a boolean, a function, an address/CIDR/name, or an array of them`,
    );
  }
  let entries = list.map((entry) => entry.trim()).filter((entry) => entry !== '');
  // proxy-addr refuses a /0 prefix, yet `0.0.0.0/0` is what operators write for "any" (it is
  // ingress-nginx's default proxy-real-ip-cidr): any IPv4 peer, mapped ones included. `::/0`
  // is every address, as proxy-addr matches IPv4 ones against IPv6 ranges in mapped form.
  const anyIPv4 = entries.includes('0.0.0.0/0');
  const anyIPv6 = entries.includes('::/0');
  entries = entries.filter((entry) => entry !== '0.0.0.0/0' && entry !== '::/0');
  let check: (address: string, hop: number) => boolean;
  try {
    // proxy-addr is what Express compiles `trust proxy` with: same forms, same matching of
    // IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`) against IPv4 ranges.
    check = entries.length > 0 ? proxyAddr.compile(entries) : () => false;
  } catch (error) {
    invalidTrust(`${option}: ${(error as Error).message}`, error);
  }
  if (anyIPv6) return (address) => isIP(address) !== 0;
  if (entries.length === 0 && !anyIPv4) return trustNone;
  const inList: TrustCheck = (address) => {
    if (anyIPv4 && (isIPv4(address) || isMappedIPv4(address))) return true;
    try {
      return check(address, 0);
    } catch {
      return false; // not an IP address (a UNIX socket peer): not in any range
    }
  };
  return remember ? remembered(inList) : inList;
}

/** How many addresses a compiled list remembers its answer for. */
export const TRUST_MEMORY_SIZE = 1024;

/**
 * A list's answers, remembered per address. proxy-addr parses the address with ipaddr.js on
 * every call: 0.6-0.8 µs for an IPv4 peer and 3.2 µs for `::ffff:a.b.c.d` (a dual-stack listener),
 * against ~0.03 µs to find a remembered one. A server's peers are a few load balancers, so
 * nearly every connection finds its peer's answer. Bounded: past TRUST_MEMORY_SIZE addresses
 * (peers from many sources) it starts again empty. The answers of a list never change; a
 * `trusted` function is not remembered, as it may answer differently over time.
 */
function remembered(check: TrustCheck): TrustCheck {
  const answers = new Map<string, boolean>();
  return (address) => {
    let answer = answers.get(address);
    if (answer === undefined) {
      answer = check(address);
      if (answers.size >= TRUST_MEMORY_SIZE) answers.clear();
      answers.set(address, answer);
    }
    return answer;
  };
}

/** `::ffff:192.0.2.1`, as Node reports an IPv4 peer on a dual-stack listener. */
function isMappedIPv4(address: string): boolean {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7));
}
