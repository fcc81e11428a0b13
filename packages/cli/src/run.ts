import { readFileSync, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { isProxyProtocolError } from '@proxyproto/core';
import pkg from '../package.json' with { type: 'json' };
import { formatEndpoint, parseAddressPort, parseEndpoint, UsageError } from './endpoint.js';
import { explain, explanationJson, formatExplanation, parseInput } from './explain.js';
import {
  compileHeader,
  type HeaderTemplate,
  headerOptions,
  headerOptionsHelp,
} from './header-options.js';
import { type LoadBalancer, startLoadBalancer } from './lb.js';
import { type SendOptions, sendHttp, sendRaw } from './send.js';

/** Where a command reads and writes; `process` in the bin, streams in tests. */
export interface CommandIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/**
 * What a started command hands back: `exitCode` once it is done. `lb` runs until `stop()`
 * (the bin calls it on SIGINT / SIGTERM) and exposes the `loadBalancer`.
 */
export interface CommandRun {
  exitCode: Promise<number>;
  loadBalancer?: LoadBalancer;
  stop(): Promise<void>;
}

const USAGE = `Usage: proxyproto <command> [options]

Commands:
  lb      a TCP load balancer that prepends a PROXY header (a local stand-in for a cloud one)
  send    send a PROXY header and an HTTP request (or raw bytes) and print the reply
  decode  explain a PROXY header given as hex, text or a file

Run proxyproto <command> --help for its options.
`;

const LB_USAGE = `Usage: proxyproto lb --listen [HOST:]PORT --target HOST:PORT [header options]

Relays every TCP connection on --listen to --target, preceded by a PROXY header naming the
client and the address it connected to, like an AWS NLB or HAProxy's send-proxy.

  --listen [HOST:]PORT    where clients connect (HOST defaults to 127.0.0.1; PORT 0 = any free)
  --target HOST:PORT      the PROXY protocol port of your server
  --plain                 send no header: a load balancer without the PROXY protocol, to compare
  --verbose               log each connection to stderr

${headerOptionsHelp}

Example: proxyproto lb --listen 8000 --target 127.0.0.1:9080 --v2 --authority example.com
`;

const SEND_USAGE = `Usage: proxyproto send [options] <URL | HOST:PORT>

Connects, sends a PROXY header, then an HTTP/1.1 request for URL (http:// only) and prints the
response body; or, for HOST:PORT, relays --data or stdin and prints what comes back.

  -X, --request METHOD    HTTP method (default GET, or POST with --data)
  -H, --header 'K: V'     extra request header; repeatable
  -d, --data TEXT         request body (raw mode: the bytes to send)
  -i, --include           print the response status line and headers too
      --interface ADDR    bind the connection to this local address (like curl --interface)
      --source ADDR:PORT  header source instead of this connection's own address
      --destination ADDR:PORT  header destination instead of the address connected to
      --timeout SECONDS   give up after this long without a byte (default 10)

${headerOptionsHelp}

Example: proxyproto send --v2 --authority example.com --interface 127.0.0.2 http://127.0.0.1:9080/
`;

const DECODE_USAGE = `Usage: proxyproto decode [--json] <HEX | FILE | - | 'PROXY TCP4 ...'>

Explains a PROXY header: hex in any common form (0d0a0d0a..., "0d 0a ...", \\x0d\\x0a...),
a v1 line, a file holding either or the raw bytes, or - for stdin. Exits 1 if the bytes are
not a valid header, naming the error code the server would refuse the connection with.

  --json    print the decoded header as JSON
`;

const done = (code: number): CommandRun => ({
  exitCode: Promise.resolve(code),
  stop: async () => {},
});

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', () => resolve());
  });
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    stream.once('error', reject);
    stream.once('end', () => resolve(Buffer.concat(chunks)));
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

async function lb(args: string[], io: CommandIo): Promise<CommandRun> {
  const { values } = parseArgs({
    args,
    options: {
      ...headerOptions,
      listen: { type: 'string' },
      target: { type: 'string' },
      plain: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, LB_USAGE);
    return done(0);
  }
  if (values.listen === undefined || values.target === undefined) {
    throw new UsageError('lb needs --listen and --target');
  }
  const listen = parseEndpoint(values.listen, '--listen', {
    defaultHost: '127.0.0.1',
    allowZero: true,
  });
  const target = parseEndpoint(values.target, '--target');
  const header = values.plain ? plainHeader(values) : compileHeader(values);
  const verbose = values.verbose === true;
  const balancer = await startLoadBalancer({
    listen,
    target,
    header,
    onConnection: ({ client, headerLength }) => {
      if (verbose) {
        io.stderr.write(
          `${client} -> ${values.target}: PROXY v${header.version}, ${headerLength} bytes\n`,
        );
      }
    },
    onError: (error, client) => {
      io.stderr.write(`${client}: ${error.message}\n`);
    },
  });
  const { address, port } = balancer.address;
  const tlvs = header.tlvs.length + (header.crc32c ? 1 : 0);
  const extra = header.version === 2 ? ` (${tlvs} TLV${tlvs === 1 ? '' : 's'})` : '';
  const how = values.plain ? 'without a header' : `with a PROXY v${header.version} header${extra}`;
  await write(
    io.stdout,
    `proxyproto lb: listening on ${formatEndpoint(address, port)}, forwarding to ${formatEndpoint(target.host, target.port)} ${how}\n`,
  );
  let finish: (code: number) => void = () => {};
  const exitCode = new Promise<number>((resolve) => {
    finish = resolve;
  });
  return {
    exitCode,
    loadBalancer: balancer,
    stop: async () => {
      await balancer.close();
      finish(0);
    },
  };
}

/** `--plain`: relays the bytes untouched; header options make no sense with it. */
function plainHeader(values: Record<string, unknown>): HeaderTemplate {
  const given = Object.keys(headerOptions).filter((name) => values[name] !== undefined);
  if (given.length > 0)
    throw new UsageError(`--plain sends no header: drop --${given.join(', --')}`);
  return { version: 1, tlvs: [], crc32c: false, encode: () => new Uint8Array(0) };
}

function sendOptions(values: {
  interface?: string | undefined;
  source?: string | undefined;
  destination?: string | undefined;
  timeout?: string | undefined;
}): Omit<SendOptions, 'target' | 'header'> {
  const timeout = Number(values.timeout ?? '10');
  if (!(timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  return {
    localAddress: values.interface,
    source: values.source === undefined ? undefined : parseAddressPort(values.source, '--source'),
    destination:
      values.destination === undefined
        ? undefined
        : parseAddressPort(values.destination, '--destination'),
    timeout: timeout * 1000,
  };
}

async function send(args: string[], io: CommandIo): Promise<CommandRun> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...headerOptions,
      request: { type: 'string', short: 'X' },
      header: { type: 'string', short: 'H', multiple: true },
      data: { type: 'string', short: 'd' },
      include: { type: 'boolean', short: 'i' },
      interface: { type: 'string' },
      source: { type: 'string' },
      destination: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, SEND_USAGE);
    return done(0);
  }
  if (positionals.length !== 1) throw new UsageError('send needs one URL or HOST:PORT');
  const destination = positionals[0] as string;
  const header = compileHeader(values);
  const common = sendOptions(values);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(destination)) {
    const target = parseEndpoint(destination, 'target');
    await sendRaw({ ...common, target, header }, values.data ?? io.stdin, io.stdout);
    return done(0);
  }
  const url = new URL(destination);
  if (url.protocol !== 'http:')
    throw new UsageError(`only http:// URLs are supported, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const target = { host, port: url.port === '' ? 80 : Number(url.port) };
  const headers = (values.header ?? []).map((line): [string, string] => {
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new UsageError(`--header ${JSON.stringify(line)}: expected 'Name: value'`);
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
  const result = await sendHttp(
    { ...common, target, header },
    {
      method: values.request ?? (values.data === undefined ? 'GET' : 'POST'),
      path: `${url.pathname}${url.search}`,
      hostHeader: url.host,
      headers,
      body: values.data,
    },
  );
  if (values.include) await write(io.stdout, result.head);
  await new Promise<void>((resolve) => io.stdout.write(result.body, () => resolve()));
  return done(0);
}

async function decodeCommand(args: string[], io: CommandIo): Promise<CommandRun> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    await write(io.stdout, DECODE_USAGE);
    return done(0);
  }
  if (positionals.length === 0)
    throw new UsageError('decode needs a header: hex, text, a file or -');
  const arg = positionals.join(' ');
  const input =
    arg === '-'
      ? await readAll(io.stdin)
      : isFile(arg)
        ? readFileSync(arg)
        : Buffer.from(arg, 'latin1');
  const { bytes, note } = parseInput(input);
  const explanation = explain(bytes);
  if (values.json) {
    await write(io.stdout, `${JSON.stringify(explanationJson(explanation), null, 2)}\n`);
  } else {
    await write(io.stdout, formatExplanation(bytes, explanation));
    if (note !== undefined) await write(io.stdout, `  (${note})\n`);
  }
  return done(explanation.ok ? 0 : 1);
}

/**
 * Runs `proxyproto <argv>`. Usage errors print the message and exit 2; network and protocol
 * failures exit 1.
 */
export async function run(argv: readonly string[], io: CommandIo): Promise<CommandRun> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'lb':
        return await lb(args, io);
      case 'send':
        return await send(args, io);
      case 'decode':
        return await decodeCommand(args, io);
      case '--version':
      case '-v':
        await write(io.stdout, `${pkg.version}\n`);
        return done(0);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        await write(command === undefined ? io.stderr : io.stdout, USAGE);
        return done(command === undefined ? 2 : 0);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_') === true;
    const code = isProxyProtocolError(error) ? ` (${error.code})` : '';
    await write(io.stderr, `proxyproto ${command}: ${(error as Error).message}${code}\n`);
    if (usage) await write(io.stderr, `Run proxyproto ${command ?? ''} --help for usage.\n`);
    return done(usage ? 2 : 1);
  }
}
