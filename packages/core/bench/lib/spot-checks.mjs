// Malformed inputs, fed to every implementation after the timing (never through the timed
// functions): does it reject them, or hand back an address? Informational only; the spec
// says a receiver must reject all of these.

import { compile } from './harness.mjs';
import { buildV2, PP2_TYPE_CRC32C, PP2_TYPE_UNIQUE_ID, tlv } from './headers.mjs';

const v1 = (text) => Buffer.from(text, 'latin1');

function v2Ipv4(tlvs = []) {
  return buildV2({
    family: 'IPv4',
    source: { address: '203.0.113.7', port: 51234 },
    destination: { address: '198.51.100.1', port: 443 },
    sourceBytes: Uint8Array.of(203, 0, 113, 7),
    destinationBytes: Uint8Array.of(198, 51, 100, 1),
    tlvs,
  });
}

export function spotCheckInputs() {
  const good = v2Ipv4();
  const truncated = good.subarray(0, 16 + 8); // header announces 12 address bytes, 8 present
  const shortLen = Buffer.from(good);
  shortLen.writeUInt16BE(8, 14); // length too small for AF_INET
  const badVersion = Buffer.from(good);
  badVersion[12] = 0x31; // version nibble 3
  const withCrc = v2Ipv4([tlv(PP2_TYPE_CRC32C, Buffer.alloc(4)), tlv(PP2_TYPE_UNIQUE_ID, 'abc')]);
  const badCrc = Buffer.from(withCrc);
  badCrc[16 + 12 + 3] ^= 0xff; // corrupt the stored checksum
  const overrun = v2Ipv4([tlv(PP2_TYPE_UNIQUE_ID, 'abcdef')]);
  overrun.writeUInt16BE(0x00ff, 16 + 12 + 1); // TLV claims 255 bytes, 6 follow
  return [
    {
      label: 'v1 TCP4, octet 256 (`256.1.2.3`)',
      shape: [1, 'IPv4'],
      bytes: v1('PROXY TCP4 256.1.2.3 10.0.0.1 1234 443\r\n'),
    },
    {
      label: 'v1 TCP4, port 65536',
      shape: [1, 'IPv4'],
      bytes: v1('PROXY TCP4 192.0.2.1 10.0.0.1 65536 443\r\n'),
    },
    {
      label: 'v1 TCP4 carrying an IPv6 address',
      shape: [1, 'IPv4'],
      bytes: v1('PROXY TCP4 2001:db8::1 10.0.0.1 1234 443\r\n'),
    },
    {
      label: 'v1 TCP6 with a non-address (`zz::1`)',
      shape: [1, 'IPv6'],
      bytes: v1('PROXY TCP6 zz::1 2001:db8::2 1234 443\r\n'),
    },
    {
      label: 'v1 ending in LF only (no CR)',
      shape: [1, 'IPv4'],
      bytes: v1('PROXY TCP4 192.0.2.1 10.0.0.1 1234 443\n'),
    },
    {
      label: 'v1 TCP6 line of 116 bytes (two full-length dotted-tail addresses)',
      shape: [1, 'IPv6'],
      bytes: v1(
        `PROXY TCP6 ${'ffff:'.repeat(6)}255.255.255.255 ${'ffff:'.repeat(6)}255.255.255.254 65535 65535\r\n`,
      ),
    },
    { label: 'v2, header cut short (8 of 12 address bytes)', shape: [2, 'IPv4'], bytes: truncated },
    { label: 'v2, length 8 (< 12 for AF_INET)', shape: [2, 'IPv4'], bytes: shortLen },
    { label: 'v2, version nibble 3', shape: [2, 'IPv4'], bytes: badVersion },
    { label: 'v2, wrong CRC32C', shape: [2, 'IPv4'], bytes: badCrc },
    { label: 'v2, TLV overruns the header', shape: [2, 'IPv4'], bytes: overrun },
  ];
}

/** @returns {{label: string, results: Map<string, string>}[]} */
export function runSpotChecks(impls) {
  const rows = [];
  const compiled = new Map();
  for (const input of spotCheckInputs()) {
    const [version, family] = input.shape;
    const results = new Map();
    for (const impl of impls) {
      const key = `${impl.id}-${version}-${family}`;
      if (!compiled.has(key))
        compiled.set(key, compile(impl, { version, family }, `spot_${version}_${family}`));
      const c = compiled.get(key);
      if (!c) {
        results.set(impl.id, '—');
        continue;
      }
      if (impl.id === 'ours') {
        // null means "incomplete: wait for more bytes", which is not an acceptance.
        try {
          const r = impl.deps.decode(input.bytes);
          results.set(
            impl.id,
            r === null
              ? 'waits (null)'
              : `accepts (${r.header.source?.address} ${r.header.source?.port})`,
          );
        } catch (error) {
          results.set(
            impl.id,
            `rejects${error?.code ? ` (${error.code.replace('ERR_PROXY_PROTOCOL_', '')})` : ''}`,
          );
        }
        continue;
      }
      try {
        const got = c.probe(input.bytes);
        results.set(impl.id, `accepts (${got.addr} ${got.port})`);
      } catch {
        results.set(impl.id, 'rejects');
      }
    }
    rows.push({ label: input.label, results });
  }
  return rows;
}
