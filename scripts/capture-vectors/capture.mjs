#!/usr/bin/env node
// Captures real PROXY protocol headers from HAProxy and curl on this machine and writes them
// as decoder test fixtures. Every header is cross-checked against what the sockets on both
// sides actually saw, so a fixture can only be written if it describes a real connection.
//
//   node scripts/capture-vectors/capture.mjs [--out FILE] [--keep-temp]

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { CLIENT_CN, generateCertificates, SERVER_NAME } from './certs.mjs';
import { canonicalAddress, headerLength, readHeader } from './reference-reader.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = resolve(HERE, '../../packages/core/test/fixtures/captured-vectors.json');
const CASE_TIMEOUT_MS = 8000;
const STARTUP_TIMEOUT_MS = 10000;
const LO4 = '127.0.0.1';
const LO6 = '::1';
// A documentation address (RFC 3849): only ever written into a header, never connected to.
const SPOOFED_IPV6 = '2001:db8::7';
// RFC 5737 TEST-NET-3, for curl's --haproxy-clientip.
const SPOOFED_IPV4 = '203.0.113.7';

class CaptureError extends Error {}

const endpoint = (address, port) => ({ address: canonicalAddress(address), port });

// ---------------------------------------------------------------------------------------
// Tools

function toolVersion(command, args, pattern, install) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error?.code === 'ENOENT') {
    throw new CaptureError(`${command} is not installed or not on PATH (${install})`);
  }
  const match = pattern.exec(`${result.stdout}${result.stderr}`);
  if (result.status !== 0 || !match) {
    throw new CaptureError(`could not read the version of ${command}: ${result.stderr.trim()}`);
  }
  return match[1];
}

function checkTools() {
  const install = (pkg) => `on Debian: apt-get install -y ${pkg}`;
  const haproxy = toolVersion('haproxy', ['-v'], /HAProxy version (\S+)/, install('haproxy'));
  const curl = toolVersion('curl', ['--version'], /^curl (\S+)/, install('curl'));
  toolVersion('openssl', ['version'], /OpenSSL (\S+)/, install('openssl'));
  // --haproxy-clientip arrived in curl 8.2; older builds simply lack the case.
  const help = spawnSync('curl', ['--help', 'all'], { encoding: 'utf8' }).stdout ?? '';
  return { haproxy, curl, curlHasClientIp: help.includes('--haproxy-clientip') };
}

// ---------------------------------------------------------------------------------------
// Recorder: the "backend server" that keeps the first bytes of each connection

class Recorder {
  constructor(name, { http = false } = {}) {
    this.name = name;
    this.http = http;
    this.queue = [];
    this.waiters = [];
    this.sockets = new Set();
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(options) {
    return new Promise((resolveListen, reject) => {
      this.server.once('error', reject);
      this.server.listen(options, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        this.address = typeof address === 'string' ? { path: address } : address;
        resolveListen(this.address);
      });
    });
  }

  accept(socket) {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // Health checks reset their connection; that is expected and not worth reporting.
    socket.on('error', () => {});
    // Read the endpoints now: once HAProxy has closed a check connection they are gone.
    const peer = socket.remoteAddress ? endpoint(socket.remoteAddress, socket.remotePort) : null;
    const local = socket.localAddress ? endpoint(socket.localAddress, socket.localPort) : null;
    let buffered = Buffer.alloc(0);
    let length = 0;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (length === 0) {
        try {
          length = headerLength(buffered);
        } catch (error) {
          this.deliver({ error: new CaptureError(`${this.name}: ${error.message}`) });
          socket.destroy();
          return;
        }
        if (length === 0 || buffered.length < length) {
          length = 0;
          return;
        }
        // "Trailing" is whatever arrived in the same read that completed the header.
        this.deliver({
          header: buffered.subarray(0, length),
          trailing: buffered.subarray(length),
          peer,
          local,
        });
        if (!this.http) socket.end('ok\n');
      }
      if (this.http && buffered.indexOf('\r\n\r\n', length, 'latin1') >= 0) {
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n');
      }
    });
  }

  deliver(record) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(record);
    else this.queue.push(record);
  }

  /** The next complete header this recorder receives. */
  async next() {
    const record =
      this.queue.shift() ??
      (await new Promise((resolveNext, reject) => {
        const timer = setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(done), 1);
          reject(new CaptureError(`${this.name}: no PROXY header within ${CASE_TIMEOUT_MS} ms`));
        }, CASE_TIMEOUT_MS);
        const done = (value) => {
          clearTimeout(timer);
          resolveNext(value);
        };
        this.waiters.push(done);
      }));
    if (record.error) throw record.error;
    return record;
  }

  close() {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolveClose) => this.server.close(() => resolveClose()));
  }
}

// ---------------------------------------------------------------------------------------
// Clients

function withTimeout(what, executor) {
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(
      () => reject(new CaptureError(`${what} timed out after ${CASE_TIMEOUT_MS} ms`)),
      CASE_TIMEOUT_MS,
    );
    executor(
      (value) => {
        clearTimeout(timer);
        resolveRun(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Connects, sends one line and waits for the far end to close. Resolves with the endpoints
 * as the client itself saw them, which is the ground truth the header is checked against.
 */
function driveClient(name, { secure, ...options }) {
  return withTimeout(`${name} client`, (done, fail) => {
    const socket = secure ? tls.connect(options) : net.connect(options);
    const seen = {};
    let connected = false;
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      if (socket.localAddress) {
        seen.client = endpoint(socket.localAddress, socket.localPort);
        seen.frontend = endpoint(socket.remoteAddress, socket.remotePort);
      }
      if (secure) {
        seen.tls = {
          protocol: socket.getProtocol(),
          cipher: socket.getCipher().name,
          alpn: socket.alpnProtocol || null,
        };
      }
      socket.write(`hello from ${name}\n`);
    });
    socket.on('data', () => {});
    // After the exchange HAProxy may reset rather than close; only a failed connect matters.
    socket.on('error', (error) => {
      if (!connected) fail(new CaptureError(`${name} client: ${error.message}`));
    });
    socket.on('close', () => done(seen));
  });
}

function runCurl(name, args) {
  return withTimeout(`${name} curl`, (done, fail) => {
    // -q keeps a user's .curlrc out of the capture; no proxy variables may reroute it.
    const env = { ...process.env };
    for (const key of ['http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[key];
    const child = spawn('curl', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (error) => fail(new CaptureError(`${name}: ${error.message}`)));
    child.on('close', (code) => {
      if (code !== 0) fail(new CaptureError(`${name}: curl exited ${code}: ${stderr.trim()}`));
      else done(stdout);
    });
  });
}

/**
 * Holds a free port open until `release()`, so that recorders listening on port 0 cannot
 * be handed a port that HAProxy is about to bind.
 */
function reservePort(host) {
  return new Promise((resolvePort, reject) => {
    const holder = net.createServer();
    holder.once('error', reject);
    holder.listen({ host, port: 0 }, () => {
      const release = () => new Promise((r) => holder.close(() => r()));
      resolvePort({ port: holder.address().port, release });
    });
  });
}

// ---------------------------------------------------------------------------------------
// Cases

const v1 = (family) => ({ version: 1, command: 'PROXY', family, transport: 'STREAM' });
const v2 = (family) => ({ version: 2, command: 'PROXY', family, transport: 'STREAM' });
const UNSPEC_V1 = { version: 1, command: 'PROXY', family: 'UNSPEC', transport: 'UNSPEC' };
const LOCAL_V2 = { version: 2, command: 'LOCAL', family: 'UNSPEC', transport: 'UNSPEC' };
const NO_ADDRESSES = { source: undefined, destination: undefined };
const FULL_OPTIONS = 'crc32c,authority,unique-id,ssl,ssl-cipher,cert-sig,cert-key,cert-cn';
// Hex client address and port first, so the unique ID can be tied back to the connection.
const UNIQUE_ID_FORMAT = '%{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid';
const mapped = (address) => `::ffff:${address}`;
// A bare connect check may reset the connection before Node can read its endpoints;
// waiting for the recorder's reply keeps it open until the header has been checked.
const CHECK_WAITS_FOR_REPLY = ['option tcp-check', 'tcp-check expect string ok'];

/** Plain TCP client through an HAProxy frontend; the header should describe that client. */
const direct =
  (family) =>
  ({ client, frontend }) => ({ ...family, source: client, destination: frontend });

function buildCases({ certs, curlHasClientIp }) {
  const tlsBind = `ssl crt ${certs.serverPem} ca-file ${certs.caFile} verify optional`;
  const tlsClient = { secure: true, servername: SERVER_NAME, ca: certs.ca };
  const withClientCert = { ...tlsClient, cert: certs.clientCert, key: certs.clientKey };

  const cases = [
    {
      name: 'haproxy-v1-tcp4',
      bind: { host: LO4 },
      server: 'send-proxy',
      client: { localAddress: '127.0.0.5' },
      want: direct(v1('IPv4')),
    },
    {
      name: 'haproxy-v1-tcp6',
      bind: { host: LO6 },
      recorderHost: LO6,
      server: 'send-proxy',
      client: { localAddress: LO6 },
      want: direct(v1('IPv6')),
    },
    {
      // The header describes the client side only, so an IPv4 server changes nothing.
      name: 'haproxy-v1-tcp6-client-to-ipv4-server',
      bind: { host: LO6 },
      server: 'send-proxy',
      client: { localAddress: LO6 },
      want: direct(v1('IPv6')),
    },
    {
      // The only way to get different families on the two ends of the client connection.
      name: 'haproxy-v1-mixed-set-src-ipv6',
      bind: { host: LO4 },
      frontendLines: [`tcp-request connection set-src ipv6(${SPOOFED_IPV6})`],
      server: 'send-proxy',
      client: { localAddress: '127.0.0.6' },
      want: ({ client, frontend }) => ({
        ...v1('IPv6'),
        source: { address: SPOOFED_IPV6, port: client.port },
        destination: { address: mapped(frontend.address), port: frontend.port },
      }),
    },
    {
      // A dual-stack socket bound to a mapped address sees IPv4 clients as AF_INET6.
      name: 'haproxy-v1-v4mapped-listener',
      bind: { host: LO4, haproxyAddress: (port) => `ipv6@::ffff:${LO4}:${port}`, opts: 'v4v6' },
      server: 'send-proxy',
      client: { localAddress: '127.0.0.9' },
      want: ({ client, frontend }) => ({
        ...v1('IPv6'),
        source: { address: mapped(client.address), port: client.port },
        destination: { address: mapped(frontend.address), port: frontend.port },
      }),
    },
    {
      name: 'haproxy-v1-unix-listener',
      bind: { unix: true },
      server: 'send-proxy',
      client: {},
      want: () => ({ ...UNSPEC_V1, ...NO_ADDRESSES }),
    },
    {
      // Checks have no client: HAProxy describes its own check connection instead.
      name: 'haproxy-v1-health-check',
      backendLines: CHECK_WAITS_FOR_REPLY,
      server: 'send-proxy check inter 500ms',
      want: ({ record }) => ({ ...v1('IPv4'), source: record.peer, destination: record.local }),
    },
    {
      name: 'haproxy-v2-tcp4',
      bind: { host: LO4 },
      server: 'send-proxy-v2',
      client: { localAddress: '127.0.0.10' },
      want: (seen) => ({ ...direct(v2('IPv4'))(seen), tlvTypes: [] }),
    },
    {
      name: 'haproxy-v2-tcp6',
      bind: { host: LO6 },
      recorderHost: LO6,
      server: 'send-proxy-v2',
      client: { localAddress: LO6 },
      want: (seen) => ({ ...direct(v2('IPv6'))(seen), tlvTypes: [] }),
    },
    {
      name: 'haproxy-v2-mixed-set-src-ipv6',
      bind: { host: LO4 },
      frontendLines: [`tcp-request connection set-src ipv6(${SPOOFED_IPV6})`],
      server: 'send-proxy-v2',
      client: { localAddress: '127.0.0.6' },
      want: ({ client, frontend }) => ({
        ...v2('IPv6'),
        source: { address: SPOOFED_IPV6, port: client.port },
        destination: { address: mapped(frontend.address), port: frontend.port },
        tlvTypes: [],
      }),
    },
    {
      name: 'haproxy-v2-crc32c',
      bind: { host: LO4 },
      server: 'send-proxy-v2 proxy-v2-options crc32c',
      client: { localAddress: '127.0.0.11' },
      want: (seen) => ({ ...direct(v2('IPv4'))(seen), tlvTypes: [0x03] }),
      extra: (expected) => (typeof expected.crc32c === 'number' ? [] : ['no verified crc32c']),
    },
    {
      name: 'haproxy-v2-tls-all-options',
      bind: { host: LO4, opts: tlsBind },
      frontendLines: [`unique-id-format ${UNIQUE_ID_FORMAT}`],
      server: `send-proxy-v2 proxy-v2-options ${FULL_OPTIONS}`,
      client: { localAddress: '127.0.0.12', ...withClientCert },
      want: (seen) => ({
        ...direct(v2('IPv4'))(seen),
        tlvTypes: [0x02, 0x03, 0x05, 0x20],
        authority: SERVER_NAME,
        ssl: {
          // SSL, certificate on this connection and in this session.
          client: 0x07,
          verify: 0,
          version: seen.tls.protocol,
          cn: CLIENT_CN,
          cipher: seen.tls.cipher,
          // These describe HAProxy's own (RSA) certificate, not the client's EC one.
          sigAlg: 'RSA-SHA256',
          keyAlg: 'RSA2048',
        },
      }),
      extra: (expected, { client }) => {
        const id = Buffer.from(expected.uniqueIdHex ?? '', 'hex').toString('latin1');
        const hex = (n, width) => n.toString(16).toUpperCase().padStart(width, '0');
        const ip = client.address.split('.').map((octet) => hex(Number(octet), 2));
        const prefix = `${ip.join('')}:${hex(client.port, 4)}_`;
        return id.startsWith(prefix) ? [] : [`unique id ${id} does not start with ${prefix}`];
      },
    },
    {
      name: 'haproxy-v2-tls-alpn',
      bind: { host: LO4, opts: `${tlsBind} alpn h2,http/1.1` },
      server: 'send-proxy-v2',
      client: { localAddress: '127.0.0.13', ...tlsClient, ALPNProtocols: ['h2'] },
      want: (seen) => ({
        ...direct(v2('IPv4'))(seen),
        tlvTypes: [0x01],
        alpnHex: Buffer.from(seen.tls.alpn ?? '').toString('hex'),
      }),
    },
    {
      name: 'haproxy-v2-ssl-cn-without-client-cert',
      bind: { host: LO4, opts: tlsBind },
      server: 'send-proxy-v2-ssl-cn',
      client: { localAddress: '127.0.0.14', ...tlsClient },
      // No certificate: only the SSL flag and no CN. HAProxy still sends verify 0 although
      // the spec says non-zero, so "verified" must be read from the client bits too.
      want: (seen) => ({
        ...direct(v2('IPv4'))(seen),
        tlvTypes: [0x20],
        ssl: { client: 0x01, verify: 0, version: seen.tls.protocol, cn: undefined },
      }),
    },
    {
      name: 'haproxy-v2-health-check-local',
      backendLines: CHECK_WAITS_FOR_REPLY,
      server: 'send-proxy-v2 check inter 500ms',
      want: () => ({ ...LOCAL_V2, ...NO_ADDRESSES, tlvTypes: [] }),
    },
    {
      name: 'haproxy-v2-unix-listener',
      bind: { unix: true },
      server: 'send-proxy-v2',
      client: {},
      want: () => ({ ...LOCAL_V2, ...NO_ADDRESSES, tlvTypes: [] }),
    },
    {
      name: 'curl-v1-tcp4',
      tool: 'curl',
      recorderHost: LO4,
      curl: ({ port }) => ['--interface', '127.0.0.7', `http://${LO4}:${port}/`],
      want: ({ client, record }) => ({ ...v1('IPv4'), source: client, destination: record.local }),
    },
    {
      name: 'curl-v1-tcp6',
      tool: 'curl',
      recorderHost: LO6,
      curl: ({ port }) => [`http://[${LO6}]:${port}/`],
      want: ({ client, record }) => ({ ...v1('IPv6'), source: client, destination: record.local }),
    },
    {
      name: 'curl-v1-unix-socket',
      tool: 'curl',
      recorderUnix: true,
      curl: ({ path }) => ['--unix-socket', path, 'http://localhost/'],
      want: () => ({ ...UNSPEC_V1, ...NO_ADDRESSES }),
    },
  ];
  if (curlHasClientIp) {
    cases.push({
      name: 'curl-v1-haproxy-clientip',
      tool: 'curl',
      recorderHost: LO4,
      curl: ({ port }) => [
        '--haproxy-clientip',
        SPOOFED_IPV4,
        '--interface',
        '127.0.0.8',
        `http://${LO4}:${port}/`,
      ],
      want: ({ client, record }) => ({
        ...v1('IPv4'),
        source: { address: SPOOFED_IPV4, port: client.port },
        destination: record.local,
      }),
    });
  } else {
    console.warn('note: this curl has no --haproxy-clientip (curl >= 8.2); case skipped');
  }
  return cases.map((c) => ({ tool: 'haproxy', ...c }));
}

// ---------------------------------------------------------------------------------------
// HAProxy

const haproxyAddress = (host, port) =>
  host.includes(':') ? `ipv6@${host}:${port}` : `${host}:${port}`;

async function prepareFrontend(c, tmp, reservations) {
  if (!c.bind) return;
  if (c.bind.unix) {
    c.target = { path: join(tmp, `${c.name}.sock`) };
    c.bindLine = `bind unix@${c.target.path}`;
    return;
  }
  const reservation = await reservePort(c.bind.host);
  reservations.push(reservation);
  const { port } = reservation;
  c.target = { host: c.bind.host, port };
  const address = c.bind.haproxyAddress?.(port) ?? haproxyAddress(c.bind.host, port);
  c.bindLine = ['bind', address, c.bind.opts].filter(Boolean).join(' ');
}

function haproxyConfig(cases, readyPort) {
  const lines = [
    'global',
    '  nbthread 1',
    '',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    '',
    // Answers only once HAProxy is really polling, so clients never race its startup.
    'listen ready',
    `  bind ${LO4}:${readyPort}`,
    '  mode http',
    '  http-request return status 200',
  ];
  for (const c of cases) {
    if (c.tool !== 'haproxy') continue;
    if (c.bindLine) {
      lines.push('', `frontend fe_${c.name}`, `  ${c.bindLine}`);
      for (const line of c.frontendLines ?? []) lines.push(`  ${line}`);
      lines.push(`  default_backend be_${c.name}`);
    }
    lines.push('', `backend be_${c.name}`);
    for (const line of c.backendLines ?? []) lines.push(`  ${line}`);
    lines.push(`  ${c.serverLine}`);
  }
  return `${lines.join('\n')}\n`;
}

function probeReady(port) {
  return new Promise((resolveProbe) => {
    const socket = net.connect({ host: LO4, port });
    let reply = '';
    socket.on('connect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', (d) => {
      reply += d;
    });
    socket.on('error', () => resolveProbe(false));
    socket.on('close', () => resolveProbe(reply.startsWith('HTTP/1.')));
  });
}

async function startHaproxy(configFile, readyPort) {
  const check = spawnSync('haproxy', ['-c', '-f', configFile], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new CaptureError(
      `haproxy rejected the generated config:\n${check.stdout}${check.stderr}`,
    );
  }
  const child = spawn('haproxy', ['-f', configFile, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, output: '', exited: false };
  child.stdout.on('data', (d) => {
    proc.output += d;
  });
  child.stderr.on('data', (d) => {
    proc.output += d;
  });
  child.on('exit', () => {
    proc.exited = true;
  });
  // A crash of this script must not leave an haproxy behind.
  process.on('exit', () => {
    if (!proc.exited) child.kill('SIGKILL');
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await probeReady(readyPort))) {
    if (proc.exited || Date.now() > deadline) {
      await stopHaproxy(proc);
      throw new CaptureError(`haproxy did not come up:\n${proc.output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return proc;
}

async function stopHaproxy(proc) {
  if (!proc || proc.exited) return;
  const exited = new Promise((r) => proc.child.once('exit', r));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------
// Checking and output

/** Every key of `want` must match `actual`; nested objects are compared key by key. */
function mismatches(actual, want, at = 'expected') {
  const problems = [];
  for (const [key, value] of Object.entries(want)) {
    const got = actual?.[key];
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      problems.push(...mismatches(got, value, `${at}.${key}`));
    } else if (!isDeepStrictEqual(got, value)) {
      problems.push(`${at}.${key} is ${JSON.stringify(got)}, want ${JSON.stringify(value)}`);
    }
  }
  return problems;
}

async function capture(c, tools, tmp) {
  const pending = c.recorder.next();
  let seen = {};
  let how;
  if (c.tool === 'curl') {
    const target = c.recorder.address;
    const args = [
      '-q',
      '--silent',
      '--show-error',
      '--globoff',
      '--noproxy',
      '*',
      '--max-time',
      '5',
      '--output',
      '/dev/null',
      '--write-out',
      '%{local_ip} %{local_port}',
      '--haproxy-protocol',
      ...c.curl(target),
    ];
    how = `curl ${args.map((a) => (/[\s*%{}]/.test(a) ? `'${a}'` : a)).join(' ')}`;
    const [stdout] = await Promise.all([runCurl(c.name, args), pending]);
    const [address, port] = stdout.trim().split(' ');
    if (!c.recorderUnix) seen.client = endpoint(address, Number(port));
  } else if (c.client) {
    const [clientSeen] = await Promise.all([
      driveClient(c.name, { ...c.target, ...c.client }),
      pending,
    ]);
    seen = clientSeen;
    const client = c.client.localAddress ? `from ${c.client.localAddress}` : 'over the socket';
    const kind = c.client.secure ? 'tls' : 'net';
    how = `${c.serverLine} (frontend: ${c.bindLine}; client: node ${kind} ${client})`;
  } else {
    const options = c.backendLines.join('; ');
    how = `${c.serverLine} (backend health check: ${options}; no client)`;
  }
  const record = await pending;
  seen.record = record;

  const hex = record.header.toString('hex');
  let expected;
  try {
    expected = readHeader(record.header);
  } catch (error) {
    throw new CaptureError(`${c.name}: ${error.message} (bytes ${hex})`);
  }
  // The header must describe what the sockets saw; curl's own view must match ours too.
  const { tlvTypes, ...want } = c.want(seen);
  const problems = [...mismatches(expected, want), ...(c.extra?.(expected, seen) ?? [])];
  // Which TLVs appear is the sender's contract; their order is its implementation detail.
  const sorted = (types) => [...(types ?? [])].sort((a, b) => a - b);
  if (tlvTypes && !isDeepStrictEqual(sorted(expected.tlvTypes), sorted(tlvTypes))) {
    problems.push(
      `expected.tlvTypes is ${JSON.stringify(expected.tlvTypes)}, want ${JSON.stringify(tlvTypes)} in any order`,
    );
  }
  if (c.tool === 'curl' && seen.client && !isDeepStrictEqual(seen.client, record.peer)) {
    problems.push(
      `curl says it was ${JSON.stringify(seen.client)}, recorder saw ${JSON.stringify(record.peer)}`,
    );
  }
  if (problems.length > 0) {
    throw new CaptureError(
      `${c.name}: header does not match the connection (bytes ${hex}):\n  ${problems.join('\n  ')}`,
    );
  }
  return {
    name: c.name,
    source: c.tool === 'curl' ? `curl ${tools.curl}` : `haproxy ${tools.haproxy}`,
    // The temp dir name is random; keep it out of the fixture so reruns diff cleanly.
    how: how.replaceAll(tmp, '$TMPDIR'),
    hex,
    trailingHex: record.trailing.toString('hex'),
    expected,
  };
}

/** JSON laid out the way Biome formats it, so the fixture passes `biome check` as written. */
function toJson(value, indent = '') {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    }
    return `[\n${value.map((v) => inner + toJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const body = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${toJson(v, inner)}`);
    return `{\n${body.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------

async function main() {
  const { values: args } = parseArgs({
    options: { out: { type: 'string' }, 'keep-temp': { type: 'boolean' } },
  });
  const out = resolve(args.out ?? DEFAULT_OUT);
  const tools = checkTools();
  console.log(`haproxy ${tools.haproxy}, curl ${tools.curl}`);

  const tmp = mkdtempSync(join(os.tmpdir(), 'proxyproto-capture-'));
  // Also covers Ctrl-C, where the finally block below never runs.
  process.on('exit', () => {
    if (!args['keep-temp']) rmSync(tmp, { recursive: true, force: true });
  });
  let cases = [];
  let haproxy;
  const reservations = [];
  try {
    const certs = generateCertificates(tmp);
    cases = buildCases({ certs, curlHasClientIp: tools.curlHasClientIp });
    for (const c of cases) {
      c.recorder = new Recorder(c.name, { http: c.tool === 'curl' });
      const where = c.recorderUnix
        ? { path: join(tmp, `${c.name}.rec.sock`) }
        : { host: c.recorderHost ?? LO4, port: 0 };
      await c.recorder.listen(where);
      if (c.tool === 'haproxy') {
        await prepareFrontend(c, tmp, reservations);
        const { address, port } = c.recorder.address;
        c.serverLine = `server s1 ${haproxyAddress(address, port)} ${c.server}`;
      }
    }
    const ready = await reservePort(LO4);
    reservations.push(ready);
    const readyPort = ready.port;
    const configFile = join(tmp, 'haproxy.cfg');
    writeFileSync(configFile, haproxyConfig(cases, readyPort));
    await Promise.all(reservations.splice(0).map((r) => r.release()));
    haproxy = await startHaproxy(configFile, readyPort);

    const vectors = [];
    for (const c of cases) {
      // Only health-check backends may be contacted before their case is driven.
      if (c.client && c.recorder.queue.length > 0) {
        throw new CaptureError(`${c.name}: got a connection nobody made`);
      }
      const vector = await capture(c, tools, tmp);
      vectors.push(vector);
      const trailing = vector.trailingHex.length / 2;
      console.log(`  ${c.name.padEnd(40)} ${vector.hex.length / 2} bytes, ${trailing} trailing`);
    }

    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${toJson(vectors)}\n`);
    console.log(`wrote ${vectors.length} vectors to ${out}`);
  } finally {
    await Promise.all(reservations.map((r) => r.release()));
    await stopHaproxy(haproxy);
    await Promise.all(cases.filter((c) => c.recorder).map((c) => c.recorder.close()));
    if (args['keep-temp']) console.log(`temp files kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`capture interrupted by ${signal}`);
    process.exit(130);
  });
}

main().catch((error) => {
  const message = error instanceof CaptureError ? error.message : error.stack;
  console.error(`capture-vectors failed: ${message}`);
  process.exitCode = 1;
});
