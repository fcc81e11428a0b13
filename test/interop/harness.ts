// Child processes and clients for the interop tests: the echo examples, HAProxy, nginx, curl
// and the proxyproto CLI, all on loopback, all killed by PID when a suite ends.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'packages/cli/dist/cli.js');
/** How long one child may take to come up, and one client exchange to finish. */
const STARTUP_MS = 15_000;
const EXCHANGE_S = 8;

// ---------------------------------------------------------------------------------------
// Tools

export interface Tool {
  name: string;
  available: boolean;
  version: string;
  /** Why it is missing, with the Debian package that brings it. */
  missing: string;
}

/** Looks a tool up once; `apt` names the Debian package to install. */
export function findTool(name: string, versionArgs: string[], apt: string): Tool {
  const result = spawnSync(name, versionArgs, { encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const available = result.error === undefined && result.status === 0;
  return {
    name,
    available,
    version: available ? (output.split('\n')[0] ?? '').trim() : '',
    missing: `${name} is not installed (Debian: apt-get install -y ${apt})`,
  };
}

/**
 * Whether a suite needing `tools` runs. In CI a missing tool is a failure, not a skip: the
 * returned message is thrown by the suite's first test. Locally the suite is skipped, noisily.
 */
export function toolsCheck(...tools: Tool[]): { skip: boolean; failure: string | undefined } {
  const missing = tools.filter((tool) => !tool.available).map((tool) => tool.missing);
  if (missing.length === 0) return { skip: false, failure: undefined };
  if (process.env.CI) return { skip: false, failure: missing.join('; ') };
  console.warn(`skipping interop tests: ${missing.join('; ')}`);
  return { skip: true, failure: undefined };
}

export const haproxyTool = findTool('haproxy', ['-v'], 'haproxy');
export const nginxTool = findTool('nginx', ['-v'], 'nginx libnginx-mod-stream');
export const curlTool = findTool('curl', ['--version'], 'curl');
export const opensslTool = findTool('openssl', ['version'], 'openssl');

// ---------------------------------------------------------------------------------------
// Processes

export interface Child {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once `pattern` has appeared on stdout or stderr; rejects if the child exits. */
  waitFor(pattern: RegExp, what?: string): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it has exited. */
  stop(): Promise<void>;
}

const children = new Set<Child>();
const tempDirs = new Set<string>();

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `proxyproto-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function startChild(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exited = child.exitCode !== null;
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const watcher of watchers) watcher();
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    notify();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    notify();
  });
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      notify();
      resolve();
    });
    child.once('error', (error) => {
      err += `\nspawn failed: ${error.message}`;
      exited = true;
      notify();
      resolve();
    });
  });
  const handle: Child = {
    process: child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, what = pattern.source) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`${command}: no ${what} within ${STARTUP_MS} ms\n${out}\n${err}`));
        }, STARTUP_MS);
        const check = () => {
          const match = pattern.exec(out) ?? pattern.exec(err);
          if (match || exited) {
            clearTimeout(timer);
            watchers.delete(check);
            if (match) resolve(match);
            else reject(new Error(`${command} exited before ${what}:\n${out}\n${err}`));
          }
        };
        watchers.add(check);
        check();
      });
    },
    async stop() {
      children.delete(handle);
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    },
  };
  children.add(handle);
  return handle;
}

/** Stops every child started by the suite, by PID, and removes its temp files. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** A port free on 127.0.0.1 right now, for configs that cannot take port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------
// Certificates

export interface Certificates {
  caFile: string;
  serverPem: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** Throwaway CA, server (`proxy.example`) and client (`client.example`) certificates. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  // The capture script's PKI; a computed specifier, as that script ships no types.
  const certsModule = new URL('../../scripts/capture-vectors/certs.mjs', import.meta.url).href;
  const { generateCertificates } = (await import(certsModule)) as {
    generateCertificates(dir: string): { caFile: string; serverPem: string };
  };
  const made = generateCertificates(dir);
  return {
    caFile: made.caFile,
    serverPem: made.serverPem,
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
  };
}

export const SERVER_NAME = 'proxy.example';
export const CLIENT_CN = 'client.example';

// ---------------------------------------------------------------------------------------
// The echo examples and the CLI

export type Framework = 'express' | 'koa' | 'fastify';

export interface Echo extends Child {
  plainPort: number;
  proxyPort: number;
  /** The JSON access-log lines written so far. */
  accessLog(): Record<string, unknown>[];
}

/** Starts `examples/<framework>-echo` with `pnpm start`'s command on free loopback ports. */
export async function startEcho(framework: Framework, env: NodeJS.ProcessEnv = {}): Promise<Echo> {
  const child = startChild('node', ['server.mjs'], {
    cwd: join(ROOT, `examples/${framework}-echo`),
    env: { HOST: '127.0.0.1', PORT: '0', PROXY_PORT: '0', ...env },
  });
  const match = await child.waitFor(/plain=[^\s]+:(\d+) proxy=[^\s]+:(\d+)/, 'listening line');
  return {
    ...child,
    plainPort: Number(match[1]),
    proxyPort: Number(match[2]),
    accessLog: () =>
      child
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** `proxyproto lb` from the built CLI, in front of `target`. */
export async function startLb(target: number, args: string[] = []): Promise<{ port: number }> {
  const child = startChild('node', [
    CLI,
    'lb',
    '--listen',
    '127.0.0.1:0',
    '--target',
    `127.0.0.1:${target}`,
    ...args,
  ]);
  const match = await child.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 'listening line');
  return { port: Number(match[1]) };
}

// ---------------------------------------------------------------------------------------
// Clients

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded), without a shell. */
export function runCommand(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (EXCHANGE_S + 2) * 1000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * curl's exit codes for a connection closed without a response: 52 empty reply, 55 send
 * failed (closed before the request was written), 56 receive failed (reset).
 */
export const CURL_NO_RESPONSE = [52, 55, 56];

/** The local address and port curl used, written after the body by `--write-out`. */
const CURL_TRAILER = '\n--curl-local=%{local_ip} %{local_port}\n';

export interface CurlResult extends RunResult {
  body: string;
  local: { address: string; port: number };
}

/** curl with a user's .curlrc and proxy variables kept out; `from` binds the client address. */
export async function curl(url: string, from: string, args: string[] = []): Promise<CurlResult> {
  const result = await runCommand('curl', [
    '-q',
    '--silent',
    '--show-error',
    '--noproxy',
    '*',
    '--max-time',
    String(EXCHANGE_S),
    '--interface',
    from,
    '--write-out',
    CURL_TRAILER,
    ...args,
    url,
  ]);
  const at = result.stdout.lastIndexOf('\n--curl-local=');
  const trailer = at < 0 ? '' : result.stdout.slice(at + '\n--curl-local='.length).trim();
  const [address = '', port = '0'] = trailer.split(' ');
  return {
    ...result,
    body: at < 0 ? result.stdout : result.stdout.slice(0, at),
    local: { address, port: Number(port) },
  };
}

// ---------------------------------------------------------------------------------------
// The echo format

export interface EchoResponse {
  /** `key=value` lines of "Request Information:". */
  request: Record<string, string>;
  /** "Request Headers:", one entry per line, in order. */
  headers: [string, string][];
  /** `key=value` lines of "Proxy Protocol:", or null for "-no proxy protocol header-". */
  proxy: Record<string, string> | null;
  body: string;
}

/** Reads the echoserver text back into its parts; throws if a section is missing. */
export function parseEcho(text: string): EchoResponse {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const title = /^([A-Z][\w ]+):$/.exec(line);
    if (title) {
      current = [];
      sections.set(title[1] as string, current);
    } else if (current && line !== '') {
      current.push(line);
    }
  }
  const section = (name: string) => {
    const lines = sections.get(name);
    if (!lines) throw new Error(`echo response has no "${name}:" section:\n${text}`);
    return lines;
  };
  const pairs = (lines: string[]) =>
    lines.map((line): [string, string] => {
      const eq = line.indexOf('=');
      return [line.slice(1, eq), line.slice(eq + 1)];
    });
  const proxyLines = section('Proxy Protocol');
  return {
    request: Object.fromEntries(pairs(section('Request Information'))),
    headers: pairs(section('Request Headers')),
    proxy:
      proxyLines[0] === '\t-no proxy protocol header-'
        ? null
        : Object.fromEntries(pairs(proxyLines)),
    body: section('Request Body').join('\n'),
  };
}

// ---------------------------------------------------------------------------------------
// HAProxy and nginx

export interface Daemon {
  child: Child;
  dir: string;
}

/**
 * Runs HAProxy in the foreground with `sections` after a `defaults` block, plus a `ready`
 * frontend it answers only once it is polling, so clients never race its startup.
 */
export async function startHaproxy(sections: string): Promise<Daemon> {
  const dir = tempDir('haproxy');
  const readyPort = await freePort();
  const config = [
    'global',
    '  nbthread 1',
    '',
    'defaults',
    '  timeout connect 5s',
    '  timeout client 30s',
    '  timeout server 30s',
    '',
    'listen ready',
    `  bind 127.0.0.1:${readyPort}`,
    '  mode http',
    '  http-request return status 200',
    '',
    sections,
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, `${config}\n`);
  const check = await runCommand('haproxy', ['-c', '-f', file]);
  if (check.code !== 0) throw new Error(`haproxy -c failed:\n${check.stdout}${check.stderr}`);
  const child = startChild('haproxy', ['-f', file, '-db']);
  await waitForHttp(readyPort, child);
  return { child, dir };
}

/** nginx -V says whether the stream module must be loaded (Debian builds it as a module). */
export function nginxStreamModuleLine(): string {
  const result = spawnSync('nginx', ['-V'], { encoding: 'utf8' });
  const flags = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return flags.includes('--with-stream=dynamic')
    ? 'load_module /usr/lib/nginx/modules/ngx_stream_module.so;'
    : '';
}

/** nginx in the foreground with a temp prefix; `body` is the config after `events {}`. */
export async function startNginx(body: string): Promise<Daemon> {
  const dir = tempDir('nginx');
  const readyPort = await freePort();
  const config = [
    nginxStreamModuleLine(),
    'worker_processes 1;',
    'events { worker_connections 64; }',
    'http {',
    '  access_log off;',
    `  server { listen 127.0.0.1:${readyPort}; return 200 "ready\\n"; }`,
    '}',
    body,
  ].join('\n');
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, `${config}\n`);
  const globals = `daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr;`;
  const check = await runCommand('nginx', ['-t', '-p', dir, '-c', file, '-g', globals]);
  if (check.code !== 0) throw new Error(`nginx -t failed:\n${check.stdout}${check.stderr}`);
  const child = startChild('nginx', ['-p', dir, '-c', file, '-g', globals]);
  await waitForHttp(readyPort, child);
  return { child, dir };
}

function httpOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.on('connect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(reply.startsWith('HTTP/1.')));
  });
}

async function waitForHttp(port: number, child: Child): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  let exited = false;
  child.process.once('exit', () => {
    exited = true;
  });
  while (!(await httpOk(port))) {
    if (exited || Date.now() > deadline) {
      await child.stop();
      throw new Error(`${child.process.spawnfile} did not come up:\n${child.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
