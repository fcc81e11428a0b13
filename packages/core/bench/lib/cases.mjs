// The benchmark cases: HEADERS_PER_CASE distinct, pre-built headers per case, plus what a
// correct decoder must return for each (source address in canonical text, source port).

import { existsSync, readFileSync } from 'node:fs';
import {
  buildV1,
  buildV2,
  ipv4ToString,
  ipv6ToCanonical,
  PP2_SUBTYPE_SSL_CIPHER,
  PP2_SUBTYPE_SSL_CN,
  PP2_SUBTYPE_SSL_KEY_ALG,
  PP2_SUBTYPE_SSL_SIG_ALG,
  PP2_SUBTYPE_SSL_VERSION,
  PP2_TYPE_ALPN,
  PP2_TYPE_AUTHORITY,
  PP2_TYPE_CRC32C,
  PP2_TYPE_SSL,
  PP2_TYPE_UNIQUE_ID,
  randomIPv4,
  randomIPv6,
  rng,
  splitTlvs,
  sslTlv,
  tlv,
} from './headers.mjs';

/** A power of two, so the timing loop can index with a mask. */
export const HEADERS_PER_CASE = 1024;

const hex = (n, width) => n.toString(16).toUpperCase().padStart(width, '0');

/** `count` distinct (source, destination) endpoint pairs of one family. */
function endpoints(rand, family, count) {
  const seen = new Set();
  const out = [];
  while (out.length < count) {
    const sb = family === 'IPv4' ? randomIPv4(rand) : randomIPv6(rand);
    const db = family === 'IPv4' ? randomIPv4(rand) : randomIPv6(rand);
    const toText = family === 'IPv4' ? ipv4ToString : ipv6ToCanonical;
    const source = { address: toText(sb), port: Math.floor(rand() * 65536) };
    const destination = {
      address: toText(db),
      port: [443, 8443, 80, 25, 993][out.length % 5],
    };
    const key = `${source.address}|${source.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ family, source, destination, sourceBytes: sb, destinationBytes: db });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The TLV set

const AUTHORITIES = ['api.example.com', 'www.example.org', 'shop.example.net', 'login.example.com'];
const CLIENT_CNS = [
  'svc-billing',
  'svc-payments.internal',
  'device-004217',
  'edge-gw-03.example.com',
];

/**
 * The TLVs HAProxy writes with `send-proxy-v2 proxy-v2-options crc32c,authority,unique-id,ssl,
 * ssl-cn,cert-sig,cert-key,ssl-cipher` behind a TLS frontend that negotiated h2, in the order
 * of HAProxy's make_proxy_line_v2(): CRC32C, ALPN, AUTHORITY, UNIQUE_ID, SSL(VERSION, CN,
 * KEY_ALG, SIG_ALG, CIPHER). The unique id follows HAProxy's documented example format
 * `%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid`.
 */
function haproxyTlvs(ep, i) {
  const b = ep.sourceBytes;
  const d = ep.destinationBytes;
  const uniqueId =
    `${hex((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3], 8)}:${hex(ep.source.port, 4)}_` +
    `${hex((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3], 8)}:${hex(ep.destination.port, 4)}_` +
    `${hex(0x6745a000 + i * 7, 8)}_${hex(i & 0xffff, 4)}:${hex(0x1f2a, 4)}`;
  return {
    tlvs: [
      tlv(PP2_TYPE_CRC32C, Buffer.alloc(4)),
      tlv(PP2_TYPE_ALPN, 'h2'),
      tlv(PP2_TYPE_AUTHORITY, AUTHORITIES[i % AUTHORITIES.length]),
      tlv(PP2_TYPE_UNIQUE_ID, uniqueId),
      sslTlv({
        client: 0x07, // PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS
        verify: 0,
        subTlvs: [
          tlv(PP2_SUBTYPE_SSL_VERSION, 'TLSv1.3'),
          tlv(PP2_SUBTYPE_SSL_CN, CLIENT_CNS[i % CLIENT_CNS.length]),
          tlv(PP2_SUBTYPE_SSL_KEY_ALG, 'RSA2048'),
          tlv(PP2_SUBTYPE_SSL_SIG_ALG, 'SHA256'),
          tlv(PP2_SUBTYPE_SSL_CIPHER, 'TLS_AES_256_GCM_SHA384'),
        ],
      }),
    ],
    expect: {
      crc: true,
      authority: AUTHORITIES[i % AUTHORITIES.length],
      uniqueId,
      sslCn: CLIENT_CNS[i % CLIENT_CNS.length],
    },
  };
}

const CAPTURES = new URL('../../test/fixtures/captured-vectors.json', import.meta.url);

/** Finds every hex string of a v2 header in the captures file, whatever its exact shape. */
function v2HeadersIn(json) {
  const found = [];
  const visit = (node, label) => {
    if (typeof node === 'string') {
      const h = node.replace(/[\s:]/g, '').toLowerCase();
      if (/^0d0a0d0a000d0a515549540a[0-9a-f]*$/.test(h) && h.length % 2 === 0) {
        found.push({ label, bytes: Buffer.from(h, 'hex') });
      }
    } else if (Array.isArray(node)) {
      for (const [i, v] of node.entries()) visit(v, `${label}[${i}]`);
    } else if (node && typeof node === 'object') {
      const name = node.name ?? node.id ?? node.description ?? label;
      for (const [k, v] of Object.entries(node)) visit(v, `${name}.${k}`);
    }
  };
  visit(json, 'root');
  return found;
}

/**
 * The richest v2 PROXY capture (most TLV bytes, then most TLVs) of captured-vectors.json,
 * if that file exists and holds one; its top-level TLVs are reused verbatim (the CRC32C is
 * recomputed for every header since the addresses change).
 */
function capturedTemplate() {
  if (!existsSync(CAPTURES)) return null;
  let json;
  try {
    json = JSON.parse(readFileSync(CAPTURES, 'utf8'));
  } catch {
    return null;
  }
  let best = null;
  for (const { label, bytes } of v2HeadersIn(json)) {
    if (bytes.length < 16 || bytes[12] !== 0x21) continue; // v2 PROXY only
    const fam = bytes[13] >> 4;
    if (fam !== 1 && fam !== 2) continue;
    const addrLen = fam === 1 ? 12 : 36;
    const len = bytes.readUInt16BE(14);
    if (bytes.length < 16 + len || len < addrLen) continue;
    const tlvArea = bytes.subarray(16 + addrLen, 16 + len);
    const tlvs = splitTlvs(tlvArea);
    const score = tlvArea.length * 1000 + tlvs.length;
    if (!best || score > best.score) {
      best = { label, score, family: fam === 1 ? 'IPv4' : 'IPv6', tlvs, bytes: tlvArea.length };
    }
  }
  if (!best || best.tlvs.length === 0) return null;
  return { ...best, expect: expectedTlvFields(best.tlvs) };
}

/** What a decoder should report for these TLVs (only the fields the bench checks). */
function expectedTlvFields(tlvs) {
  const expect = {};
  for (const { type, value } of tlvs) {
    if (type === PP2_TYPE_CRC32C) expect.crc = true;
    if (type === PP2_TYPE_AUTHORITY) expect.authority = Buffer.from(value).toString('utf8');
    if (type === PP2_TYPE_UNIQUE_ID) expect.uniqueId = Buffer.from(value).toString('utf8');
    if (type === PP2_TYPE_SSL && value.length >= 5) {
      for (const sub of splitTlvs(value.subarray(5))) {
        if (sub.type === PP2_SUBTYPE_SSL_CN) expect.sslCn = Buffer.from(sub.value).toString('utf8');
      }
    }
  }
  return expect;
}

function describeTlvs(tlvs) {
  const names = {
    1: 'ALPN',
    2: 'AUTHORITY',
    3: 'CRC32C',
    4: 'NOOP',
    5: 'UNIQUE_ID',
    32: 'SSL',
    48: 'NETNS',
  };
  const sub = { 33: 'VERSION', 34: 'CN', 35: 'CIPHER', 36: 'SIG_ALG', 37: 'KEY_ALG' };
  return tlvs
    .map(({ type, value }) => {
      const name = names[type] ?? `0x${type.toString(16)}`;
      if (type !== PP2_TYPE_SSL) return `${name}(${value.length})`;
      const subs = splitTlvs(value.subarray(5)).map(
        (s) => sub[s.type] ?? `0x${s.type.toString(16)}`,
      );
      return `SSL(${value.length}: ${subs.join(', ')})`;
    })
    .join(', ');
}

// ---------------------------------------------------------------------------------------

/**
 * @returns {{ id: string, title: string, family: 'IPv4'|'IPv6', version: 1|2,
 *   inputs: Buffer[], expected: {address: string, port: number}[], extra?: object[],
 *   description: string }[]}
 */
export function buildCases(seed = 0x5eed) {
  const rand = rng(seed);
  const cases = [];

  for (const [id, title, version, family] of [
    ['v1-tcp4', 'v1 TCP4', 1, 'IPv4'],
    ['v1-tcp6', 'v1 TCP6', 1, 'IPv6'],
    ['v2-tcp4', 'v2 TCP4', 2, 'IPv4'],
    ['v2-tcp6', 'v2 TCP6', 2, 'IPv6'],
  ]) {
    const eps = endpoints(rand, family, HEADERS_PER_CASE);
    cases.push({
      id,
      title,
      version,
      family,
      inputs: eps.map((ep) => (version === 1 ? buildV1(ep) : buildV2(ep))),
      expected: eps.map((ep) => ep.source),
      description: version === 1 ? 'text line only' : 'no TLVs',
    });
  }

  const captured = capturedTemplate();
  const family = captured ? captured.family : 'IPv4';
  const eps = endpoints(rand, family, HEADERS_PER_CASE);
  const inputs = [];
  const extra = [];
  eps.forEach((ep, i) => {
    if (captured) {
      const tlvs = captured.tlvs.map(({ type, value }) =>
        type === PP2_TYPE_CRC32C ? tlv(type, Buffer.alloc(value.length)) : tlv(type, value),
      );
      inputs.push(buildV2({ ...ep, tlvs }));
      extra.push(captured.expect);
    } else {
      const { tlvs, expect } = haproxyTlvs(ep, i);
      inputs.push(buildV2({ ...ep, tlvs }));
      extra.push(expect);
    }
  });
  const tlvList = splitTlvs(inputs[0].subarray(16 + (family === 'IPv4' ? 12 : 36)));
  cases.push({
    id: 'v2-tlv',
    title: `v2 ${family === 'IPv4' ? 'TCP4' : 'TCP6'} + TLVs`,
    version: 2,
    family,
    inputs,
    expected: eps.map((ep) => ep.source),
    extra,
    tlvSource: captured
      ? `TLV layout of the richest v2 capture in test/fixtures/captured-vectors.json (${captured.label})`
      : 'built by the bench (test/fixtures/captured-vectors.json absent): HAProxy make_proxy_line_v2() order',
    description: `${inputs[0].length}-byte header: ${describeTlvs(tlvList)}`,
  });

  // Distinctness is part of the method: fail loudly if the generator ever regresses.
  for (const c of cases) {
    const distinct = new Set(c.inputs.map((b) => b.toString('hex'))).size;
    if (distinct !== HEADERS_PER_CASE)
      throw new Error(`${c.id}: only ${distinct} distinct headers`);
  }
  return cases;
}
