// The decoders under comparison. Each implementation gives, per case, a snippet of code that
// decodes `buf` and leaves the source address as a string in `addr` and the source port as a
// number in `port`: what a server needs from a PROXY header. When a library hands back bytes,
// the snippet pays for turning them into a string the way a user of that library would.
//
// The snippets are compiled into one separate function per (case, implementation) pair (see
// harness.mjs), so every timing loop has its own type feedback and inlining decisions.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ppjs = require('proxy-protocol-js');
const balena = require('@balena/proxy-protocol-parser');

/**
 * proxy-protocol-js returns IPv6 addresses as a 16-entry byte array and has no formatter.
 * This is the cheapest valid text a user could write: eight hex groups, no zero compression
 * (valid RFC 4291 text, not RFC 5952 canonical). Cheaper than canonical text, so it favours
 * the peer.
 */
function ipv6Groups(a) {
  return (
    `${((a[0] << 8) | a[1]).toString(16)}:${((a[2] << 8) | a[3]).toString(16)}:` +
    `${((a[4] << 8) | a[5]).toString(16)}:${((a[6] << 8) | a[7]).toString(16)}:` +
    `${((a[8] << 8) | a[9]).toString(16)}:${((a[10] << 8) | a[11]).toString(16)}:` +
    `${((a[12] << 8) | a[13]).toString(16)}:${((a[14] << 8) | a[15]).toString(16)}`
  );
}

/**
 * @param {(bytes: Uint8Array) => unknown} oursDecode
 * @returns {{ id: string, name: string, pays: string, deps: object,
 *   body: (c: {version: 1|2, family: string}) => string | null, note?: string }[]}
 */
export function implementations(oursDecode) {
  return [
    {
      id: 'ours',
      name: '@proxyproto/core',
      pays: '`decode(buf)`: full header object, strict validation (and CRC32C check when present); address strings are RFC 5952',
      deps: { decode: oursDecode },
      body: () => `
        const r = decode(buf);
        const s = r.header.source;
        const addr = s.address;
        const port = s.port;`,
    },
    {
      id: 'ppjs',
      name: 'proxy-protocol-js 4.0.6',
      pays: 'v1: `V1BinaryProxyProtocol.parse(buf)`; v2: `V2ProxyProtocol.parse(buf)` then `address.join(".")` (IPv4) or an 8-group hex join (IPv6) of the returned byte array',
      deps: { V1Binary: ppjs.V1BinaryProxyProtocol, V2: ppjs.V2ProxyProtocol, ipv6Groups },
      body: (c) => {
        if (c.version === 1) {
          return `
            const p = V1Binary.parse(buf);
            const addr = p.source.ipAddress;
            const port = p.source.port;`;
        }
        return `
          const pa = V2.parse(buf).proxyAddress;
          const addr = ${c.family === 'IPv4' ? "pa.sourceAddress.address.join('.')" : 'ipv6Groups(pa.sourceAddress.address)'};
          const port = pa.sourcePort;`;
      },
    },
    {
      id: 'ppjs-text',
      name: 'proxy-protocol-js 4.0.6 (text API)',
      pays: "v1 only: `V1ProxyProtocol.parse(buf.toString('latin1'))` (regex on a string; the library's README example)",
      deps: { V1Text: ppjs.V1ProxyProtocol },
      body: (c) =>
        c.version === 1
          ? `
            const p = V1Text.parse(buf.toString('latin1'));
            const addr = p.source.ipAddress;
            const port = p.source.port;`
          : null,
      note: 'has no text API for v2',
    },
    {
      id: 'balena',
      name: '@balena/proxy-protocol-parser 1.0.2',
      pays: '`v1_decode(buf)` / `v2_decode(buf)` (version-specific entry points, default `validate` off); returns strings already',
      deps: { v1: balena.v1_decode, v2: balena.v2_decode },
      body: (c) => `
        const r = ${c.version === 1 ? 'v1' : 'v2'}(buf);
        const addr = r.remoteAddress;
        const port = r.remotePort;`,
    },
    {
      id: 'balena-validate',
      name: '@balena/proxy-protocol-parser 1.0.2 (validate)',
      pays: 'same with `validate = true` (its signature/version/family/CRLF checks)',
      deps: { v1: balena.v1_decode, v2: balena.v2_decode },
      body: (c) => `
        const r = ${c.version === 1 ? 'v1' : 'v2'}(buf, true);
        const addr = r.remoteAddress;
        const port = r.remotePort;`,
    },
  ];
}
