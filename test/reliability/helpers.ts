import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DecodeResult,
  decode,
  encode,
  isProxyProtocolError,
  type ProxyHeader,
  type ProxyHeaderInit,
} from '@proxyproto/core';

// ---------------------------------------------------------------------------------------------
// Budgets: small enough for CI, scaled up by `pnpm fuzz` / `pnpm soak` through the environment.

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be an integer`);
  return value;
}

/**
 * A seed from `name` (a number, or `random`), else `fallback`; printed so any failure can be
 * replayed with `name=<seed>`.
 */
export function envSeed(name: string, fallback: number | 'random'): number {
  const raw = process.env[name] ?? String(fallback);
  const seed = raw === 'random' ? (Math.random() * 2 ** 32) >>> 0 : Number(raw) >>> 0;
  console.log(`[reliability] ${name}=${seed} (replay: ${name}=${seed})`);
  return seed;
}

/** Open-file limit of this process, so socket counts can stay below it. */
export function fileLimit(): number {
  try {
    const out = execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim();
    return out === 'unlimited' ? 1 << 20 : Number(out);
  } catch {
    return 1024;
  }
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness for the loops that are not fast-check properties.

export interface Random {
  seed: number;
  next(): number;
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Uint8Array;
  chance(p: number): boolean;
}

/** mulberry32: tiny, fast, and the same sequence on every Node version. */
export function random(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (max: number) => Math.floor(next() * max);
  return {
    seed,
    next,
    int,
    pick: (items) => items[int(items.length)] as (typeof items)[number],
    bytes: (n) => Uint8Array.from({ length: n }, () => int(256)),
    chance: (p) => next() < p,
  };
}

// ---------------------------------------------------------------------------------------------
// What decode() may do: a header, null, or a coded error. Anything else is rethrown.

export type Outcome =
  | { kind: 'header'; result: DecodeResult }
  | { kind: 'incomplete' }
  | { kind: 'error'; code: string };

export function outcome(bytes: Uint8Array): Outcome {
  let result: DecodeResult | null;
  try {
    result = decode(bytes);
  } catch (error) {
    if (isProxyProtocolError(error) && typeof error.code === 'string') {
      return { kind: 'error', code: error.code };
    }
    throw new Error(`decode threw an uncoded exception for ${hex(bytes)}`, { cause: error });
  }
  if (result === null) return { kind: 'incomplete' };
  if (
    typeof result !== 'object' ||
    !Number.isInteger(result.length) ||
    result.length < 1 ||
    result.length > bytes.length
  ) {
    throw new Error(`decode returned an impossible result for ${hex(bytes)}`);
  }
  return { kind: 'header', result };
}

/** Comparable form of an outcome (header fields that matter, no byte arrays). */
export function describe(o: Outcome): string {
  if (o.kind !== 'header') return o.kind === 'error' ? `error ${o.code}` : 'incomplete';
  const { header, length } = o.result;
  return JSON.stringify({ length, ...summary(header) });
}

export function summary(header: ProxyHeader) {
  return {
    version: header.version,
    command: header.command,
    family: header.family,
    transport: header.transport,
    source: header.source,
    destination: header.destination,
    authority: header.authority,
    tlvs: header.tlvs.map((t) => `${t.type}:${hex(t.value)}`),
  };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

export function concatBytes(...parts: (Uint8Array | string)[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? ascii(p) : p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Corpus: valid headers, spec edges, and seeded mutations of them.

const SIG = '0d0a0d0a000d0a515549540a';

/** A raw v2 header: version/command byte, family/transport byte, body hex (length computed). */
export function v2raw(verCmd: number, famTr: number, body: string | Uint8Array): Uint8Array {
  const b = typeof body === 'string' ? fromHex(body) : body;
  return concatBytes(
    fromHex(SIG),
    Uint8Array.of(verCmd, famTr, b.length >>> 8, b.length & 0xff),
    b,
  );
}

/** A TLV as hex. */
export function tlv(type: number, value: string | Uint8Array): string {
  const v = typeof value === 'string' ? fromHex(value) : value;
  return hex(concatBytes(Uint8Array.of(type, v.length >>> 8, v.length & 0xff), v));
}

const IPV4_BLOCK = '0102030405060708' + '04d2' + '01bb'; // 1.2.3.4 5.6.7.8 1234 443
const IPV6_BLOCK = `20010db8000000000000000000000001${'20010db8000000000000000000000002'}04d201bb`;

function captured(): Uint8Array[] {
  const file = new URL('../../packages/core/test/fixtures/captured-vectors.json', import.meta.url);
  const vectors = JSON.parse(readFileSync(file, 'utf8')) as { hex: string }[];
  return vectors.map((v) => fromHex(v.hex));
}

/** Valid headers: what real senders write, plus every corner the spec allows. */
export function validHeaders(): Uint8Array[] {
  const inits: ProxyHeaderInit[] = [
    {
      version: 1,
      family: 'IPv4',
      source: { address: '203.0.113.7', port: 51000 },
      destination: { address: '192.0.2.1', port: 443 },
    },
    {
      version: 1,
      family: 'IPv4',
      source: { address: '255.255.255.255', port: 65535 },
      destination: { address: '0.0.0.0', port: 0 },
    },
    {
      version: 1,
      family: 'IPv6',
      source: { address: '2001:db8::7', port: 1 },
      destination: { address: '::1', port: 80 },
    },
    {
      version: 1,
      family: 'IPv6',
      source: { address: '::ffff:198.51.100.4', port: 40000 },
      destination: { address: 'fe80::1:2:3:4', port: 8443 },
    },
    { version: 1 },
    {
      version: 2,
      family: 'IPv4',
      source: { address: '203.0.113.7', port: 51000 },
      destination: { address: '192.0.2.1', port: 443 },
    },
    {
      version: 2,
      family: 'IPv6',
      source: { address: '2001:db8::7', port: 51000 },
      destination: { address: '2001:db8::1', port: 443 },
      authority: 'app.example',
      uniqueId: 'conn-42',
      alpn: 'h2',
    },
    {
      version: 2,
      family: 'IPv4',
      source: { address: '10.1.2.3', port: 7 },
      destination: { address: '10.3.2.1', port: 8 },
      authority: 'xn--bcher-kva.example',
      ssl: { client: 1, verify: 0, version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' },
    },
    { version: 2, command: 'LOCAL' },
    {
      version: 2,
      family: 'IPv4',
      transport: 'DGRAM',
      source: { address: '1.1.1.1', port: 53 },
      destination: { address: '8.8.8.8', port: 53 },
    },
    {
      version: 2,
      family: 'UNIX',
      source: { address: '/run/a.sock' },
      destination: { address: '/run/b.sock' },
    },
  ];
  const out = inits.map((init) => encode(init));
  out.push(...inits.filter((i) => i.version === 2).map((init) => encode(init, { crc32c: true })));
  out.push(
    ascii(
      'PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:0001 FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF 65535 65535\r\n',
    ),
    ascii(`PROXY UNKNOWN ${'f'.repeat(90)}\r\n`),
    ascii('PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n'),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x04, '') + tlv(0xe0, '0102030405060708')),
    v2raw(0x21, 0x21, IPV6_BLOCK + tlv(0x02, ascii('a'.repeat(255)))),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x05, '00'.repeat(128))),
    v2raw(0x20, 0x11, IPV4_BLOCK), // LOCAL announcing a family: addresses ignored
    ...captured(),
  );
  return out;
}

/** Spec edges that must be refused, and the HAProxy-lax spellings. */
export function edgeCases(): Uint8Array[] {
  const lines = [
    'PROXY TCP4 1.2.3.4 5.6.7.8 1234 443\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1234 443\r\r\n',
    'PROXY  TCP4 1.2.3.4 5.6.7.8 1234 443\r\n',
    'PROXY TCP4  1.2.3.4 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1234 443 \r\n',
    'proxy TCP4 1.2.3.4 5.6.7.8 1234 443\r\n',
    'PROXY tcp4 1.2.3.4 5.6.7.8 1234 443\r\n',
    'PROXY TCP5 1.2.3.4 5.6.7.8 1234 443\r\n',
    'PROXY UDP4 1.2.3.4 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1234\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8\r\n',
    'PROXY TCP4\r\n',
    'PROXY\r\n',
    'PROXY \r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 65536 443\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 -1 443\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 +1 443\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 0x10 443\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 01234 443\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1234 0443\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 4294967297 443\r\n',
    'PROXY TCP4 01.2.3.4 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 1.2.3.004 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 1.2.3 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 1.2.3.4.5 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 192.168.0.256 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 300.1.1.1 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 1..3.4 5.6.7.8 1234 443\r\n',
    'PROXY TCP4 ::1 5.6.7.8 1234 443\r\n',
    'PROXY TCP6 1.2.3.4 ::1 1234 443\r\n',
    'PROXY TCP6 ::1 ::1 1234 443\r\n',
    'PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1234 443\r\n',
    'PROXY TCP6 1:2:3:4:5:6:7 ::1 1234 443\r\n',
    'PROXY TCP6 1::2::3 ::1 1234 443\r\n',
    'PROXY TCP6 12345::1 ::1 1234 443\r\n',
    'PROXY TCP6 ::ffff:1.2.3.4 ::1 1234 443\r\n',
    'PROXY TCP6 ::1.2.3.4 ::1 1234 443\r\n',
    'PROXY TCP6 fe80::1%eth0 ::1 1234 443\r\n',
    'PROXY TCP6 [::1] ::1 1234 443\r\n',
    'PROXY TCP6 1:2:3:4:5:6:7:: ::1 1234 443\r\n',
    'PROXY TCP6 ::2:3:4:5:6:7:8 ::1 1234 443\r\n',
    'PROXY TCP6 1:2:3:4:5:6:1.2.3.4 ::1 1234 443\r\n',
    'PROXY UNKNOWN\r\n',
    'PROXY UNKNOWN \r\n',
    'PROXY UNKNOWN\n',
    'PROXY UNKNOWN\r',
    'PROXY UNKNOWNX\r\n',
    `PROXY UNKNOWN ${'a'.repeat(91)}\r\n`,
    `PROXY UNKNOWN ${'a'.repeat(92)}\r\n`,
    `PROXY UNKNOWN ${'a'.repeat(200)}\r\n`,
    'PROXY UNKNOWN a\nb\r\n',
    `PROXY TCP6 ${'0'.repeat(40)}::1 ::1 1 2\r\n`,
    'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
    'SSH-2.0-OpenSSH_9.6\r\n',
    '\r\n\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1234 443\r\nGET / HTTP/1.1\r\n\r\n',
  ];
  const v2: Uint8Array[] = [];
  for (const verCmd of [0x00, 0x10, 0x11, 0x22, 0x2f, 0x31, 0xf1])
    v2.push(v2raw(verCmd, 0x11, IPV4_BLOCK));
  for (const famTr of [
    0x00, 0x01, 0x02, 0x10, 0x12, 0x13, 0x20, 0x22, 0x30, 0x31, 0x32, 0x41, 0xf1, 0x1f,
  ]) {
    v2.push(v2raw(0x21, famTr, famTr >>> 4 === 3 ? '00'.repeat(216) : IPV6_BLOCK));
    v2.push(v2raw(0x20, famTr, ''));
  }
  v2.push(
    v2raw(0x21, 0x11, IPV4_BLOCK.slice(0, 22)), // 11 bytes: too short for IPv4
    v2raw(0x21, 0x21, IPV4_BLOCK), // 12 bytes: too short for IPv6
    v2raw(0x21, 0x31, '00'.repeat(215)),
    v2raw(0x21, 0x11, `${IPV4_BLOCK}00`), // one trailing byte: not a TLV
    v2raw(0x21, 0x11, `${IPV4_BLOCK}0000`),
    v2raw(0x21, 0x11, `${IPV4_BLOCK}040001`), // TLV overruns by one
    v2raw(0x21, 0x11, `${IPV4_BLOCK}04ffff`),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x03, '000000')), // CRC32C of 3 bytes
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x03, 'deadbeef')), // wrong CRC32C
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x05, '00'.repeat(129))),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x02, ascii('a'.repeat(256)))),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x02, 'ff')),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x02, '61') + tlv(0x02, '62')),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x20, '01')),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x20, `0100000000${'21ffff'}`)),
    v2raw(0x20, 0x00, tlv(0x03, 'deadbeef')),
    v2raw(0x20, 0x00, '0300ff'),
    concatBytes(fromHex(SIG), Uint8Array.of(0x21, 0x11, 0xff, 0xff), fromHex(IPV4_BLOCK)),
    fromHex(SIG).subarray(0, 11),
    concatBytes(fromHex(SIG).subarray(0, 11), '\x0b\x21\x11\x00\x0c'),
    v2raw(0x21, 0x11, IPV4_BLOCK + tlv(0x04, new Uint8Array(20000))), // beyond HAProxy's buffer
    new Uint8Array(0),
  );
  return [...lines.map(ascii), ...v2];
}

/** Where the v2 TLVs of a well-formed header start, or -1. */
function tlvStart(bytes: Uint8Array): number {
  if (bytes.length < 16 || bytes[0] !== 0x0d) return -1;
  const fam = (bytes[13] as number) >>> 4;
  const tr = (bytes[13] as number) & 0x0f;
  return 16 + (fam === 0 || tr === 0 ? 0 : ([0, 12, 36, 216][fam] ?? 0));
}

/**
 * One seeded mutation: bit flips, byte changes, truncation, insertion, deletion, v2 length
 * field and TLV length edits, CRC corruption, and v1 number and separator edits.
 */
export function mutate(rng: Random, input: Uint8Array): Uint8Array {
  const bytes = Array.from(input);
  const at = () => rng.int(Math.max(1, bytes.length));
  const kind = rng.int(12);
  switch (kind) {
    case 0: {
      const i = at();
      bytes[i] = (bytes[i] ?? 0) ^ (1 << rng.int(8));
      break;
    }
    case 1:
      bytes[at()] = rng.int(256);
      break;
    case 2:
      bytes.length = at();
      break;
    case 3:
      bytes.splice(at(), 0, ...rng.bytes(1 + rng.int(3)));
      break;
    case 4:
      bytes.splice(at(), 1 + rng.int(3));
      break;
    case 5: {
      // v2 length field: random, off by a little, or huge.
      if (bytes.length < 16 || bytes[0] !== 0x0d) break;
      const len = ((bytes[14] as number) << 8) | (bytes[15] as number);
      const next = rng.pick([rng.int(0x10000), len + rng.int(7) - 3, 0xffff, 0, 11, 12, 35, 36]);
      const v = Math.max(0, Math.min(0xffff, next));
      bytes[14] = v >>> 8;
      bytes[15] = v & 0xff;
      break;
    }
    case 6: {
      // A TLV length field: walk to a random TLV and change its length.
      const start = tlvStart(Uint8Array.from(bytes));
      if (start < 0 || start + 3 > bytes.length) break;
      let i = start;
      const tlvs: number[] = [];
      while (i + 3 <= bytes.length) {
        tlvs.push(i);
        i += 3 + (((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number));
      }
      const t = rng.pick(tlvs);
      const len = ((bytes[t + 1] as number) << 8) | (bytes[t + 2] as number);
      const v = Math.max(
        0,
        Math.min(0xffff, rng.pick([len + 1, len - 1, 0, 0xffff, rng.int(300)])),
      );
      bytes[t + 1] = v >>> 8;
      bytes[t + 2] = v & 0xff;
      break;
    }
    case 7: {
      // Corrupt the CRC32C value, or a byte it covers.
      const start = tlvStart(Uint8Array.from(bytes));
      if (start < 0) break;
      for (let i = start; i + 3 <= bytes.length; ) {
        const len = ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
        if (bytes[i] === 0x03 && len === 4 && i + 7 <= bytes.length) {
          const j = rng.chance(0.5) ? i + 3 + rng.int(4) : rng.int(bytes.length);
          bytes[j] = (bytes[j] as number) ^ (1 + rng.int(255));
          break;
        }
        i += 3 + len;
      }
      break;
    }
    case 8: {
      // v1: a leading zero before a number, or a digit that pushes a value out of range.
      const digits = bytes.flatMap((b, i) => (b >= 0x30 && b <= 0x39 ? [i] : []));
      if (digits.length === 0) break;
      const i = rng.pick(digits);
      if (rng.chance(0.5)) bytes.splice(i, 0, 0x30);
      else bytes.splice(i, 0, 0x31 + rng.int(9));
      break;
    }
    case 9: {
      // v1: drop, double or swap a separator.
      const seps = bytes.flatMap((b, i) => (b === 0x2e || b === 0x3a || b === 0x20 ? [i] : []));
      if (seps.length === 0) break;
      const i = rng.pick(seps);
      const r = rng.int(3);
      if (r === 0) bytes.splice(i, 1);
      else if (r === 1) bytes.splice(i, 0, bytes[i] as number);
      else bytes[i] = rng.pick([0x2e, 0x3a, 0x20, 0x09, 0x0d, 0x0a]);
      break;
    }
    case 10: {
      // Family/transport or version/command byte.
      if (bytes.length < 14 || bytes[0] !== 0x0d) break;
      bytes[rng.chance(0.5) ? 12 : 13] = rng.int(256);
      break;
    }
    default:
      // Payload after the header, which must never change the verdict on the header.
      bytes.push(...rng.bytes(1 + rng.int(16)));
  }
  return Uint8Array.from(bytes);
}

/** `count` seeded mutants (1 to 3 mutations each) of the valid headers and edges. */
export function mutants(rng: Random, count: number): Uint8Array[] {
  const seeds = [...validHeaders(), ...edgeCases().filter((b) => b.length < 4096)];
  const out: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    let bytes = rng.pick(seeds);
    const times = 1 + rng.int(3);
    for (let k = 0; k < times; k++) bytes = mutate(rng, bytes);
    out.push(bytes);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sockets on 127.0.0.1 only.

export async function listen<S extends net.Server>(server: S, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, backlog: 2048 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

export function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    (server as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

export interface Exchange {
  /** Bytes the far end sent. */
  data: Buffer;
  /** How the connection ended: closed by the far end (FIN or RST), or still open at `timeout`. */
  ended: 'closed' | 'timeout';
  /** Our own side of the connection, as the far end sees it as peer. */
  localPort: number | undefined;
  /** True if we half-closed after `quiet` ms without an answer. */
  halfClosed: boolean;
}

/**
 * Connects, writes `chunks` (with `delay` ms between them, Nagle off), and collects what comes
 * back until the far end closes. If nothing came back `quiet` ms after the last write, it
 * half-closes, so a receiver still waiting for the rest of a header gives its verdict.
 */
export function exchange(
  port: number,
  chunks: Uint8Array[],
  options: {
    delay?: number;
    quiet?: number;
    timeout?: number;
    localAddress?: string;
    until?: (data: Buffer) => boolean;
  } = {},
): Promise<Exchange> {
  const { delay = 0, quiet = 200, timeout = 10_000, localAddress, until } = options;
  return new Promise((resolve) => {
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      ...(localAddress ? { localAddress } : {}),
    });
    socket.setNoDelay(true);
    const parts: Buffer[] = [];
    let localPort: number | undefined;
    let halfClosed = false;
    let quietTimer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (ended: Exchange['ended']) => {
      if (finished) return;
      finished = true;
      clearTimeout(quietTimer);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ data: Buffer.concat(parts), ended, localPort, halfClosed });
    };
    const deadline = setTimeout(() => finish('timeout'), timeout);
    socket.on('data', (chunk) => {
      parts.push(chunk);
      clearTimeout(quietTimer);
      if (until?.(Buffer.concat(parts))) finish('closed');
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.on('connect', async () => {
      localPort = socket.localPort;
      for (let i = 0; i < chunks.length; i++) {
        if (socket.destroyed) return;
        socket.write(chunks[i] as Uint8Array);
        if (delay > 0 && i < chunks.length - 1) await sleep(delay);
      }
      if (socket.destroyed) return;
      quietTimer = setTimeout(() => {
        if (parts.length > 0 || socket.destroyed) return;
        halfClosed = true;
        socket.end();
      }, quiet);
    });
  });
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Resources this process holds, by type (TCPSocketWrap, Timeout, ...). */
export function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}
