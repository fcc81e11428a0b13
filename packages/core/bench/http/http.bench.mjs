// HTTP benchmark: a plain node:http server, the same with enableProxyProtocol, and
// findhit-proxywrap, under wrk; plus the memory of idle connections that have sent nothing.
//
//   pnpm bench                                 (from the repository root: builds, then runs this)
//   node bench/http/http.bench.mjs             (from packages/core, after a build; needs wrk)
//
// Knobs (environment): BENCH_HTTP_ROUNDS (default 30), BENCH_HTTP_DURATION seconds per run (1),
// BENCH_HTTP_CONNECTIONS (50), BENCH_HTTP_IDLE idle connections (10000; 0 skips the memory part),
// BENCH_HTTP_MEMORY_REPEATS (3), BENCH_HTTP_MODES (close,keepalive), BENCH_HTTP_PROFILE=<dir>
// (servers run with --cpu-prof into <dir>). Prints a Markdown report
// and writes it to bench/results/http-latest.md. Method: docs/benchmarks.md, "Socket layer (HTTP)".

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildV1, buildV2 } from '../lib/headers.mjs';
import { runWrk } from './wrk.mjs';

const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 30);
const DURATION = Number(process.env.BENCH_HTTP_DURATION ?? 1);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50);
const IDLE = Number(process.env.BENCH_HTTP_IDLE ?? 10000);
const MEMORY_REPEATS = Number(process.env.BENCH_HTTP_MEMORY_REPEATS ?? 3);
const PROFILE_DIR = process.env.BENCH_HTTP_PROFILE;
const IDLE_SOURCES = 4; // 127.0.0.2 .. 127.0.0.5
const TARGETS = { close: 0.95, keepalive: 0.99 };

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const SERVER = here('./server.mjs');
const IDLE_CLIENT = here('./idle-client.mjs');
const log = (msg) => process.stderr.write(`${msg}\n`);
const startedAt = Date.now();

// `wrk -v` prints its version line, then its usage, and exits 1.
const wrkProbe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
if (wrkProbe.error) {
  console.error(`http bench: cannot run wrk (${wrkProbe.error.message}). Install it first:`);
  console.error('  apt-get install wrk        (Debian, Ubuntu; brew install wrk on macOS)');
  process.exit(1);
}
const wrkVersion = `${wrkProbe.stdout}${wrkProbe.stderr}`
  .split('\n')[0]
  .replace(/ Copyright.*/, '')
  .trim();

try {
  await import('../../dist/index.js');
} catch (error) {
  console.error(`http bench: cannot load ../../dist/index.js (${error.message}). Build first:`);
  console.error('  npx -y pnpm@10.34.8 --filter @proxyproto/core build');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------
// Variants

const CLIENT = { address: '192.0.2.1', port: 51234 }; // same length as 127.0.0.1: same body size
const FRONTEND = { address: '198.51.100.10', port: 443 };
const V1 = buildV1({ family: 'IPv4', source: CLIENT, destination: FRONTEND });
const V2 = buildV2({
  family: 'IPv4',
  source: CLIENT,
  destination: FRONTEND,
  sourceBytes: [192, 0, 2, 1],
  destinationBytes: [198, 51, 100, 10],
});

const VARIANTS = [
  { id: 'plain', label: 'plain `http`', kind: 'plain', header: null, expected: '127.0.0.1' },
  {
    id: 'plain-b',
    label: 'plain `http` again (A/A control)',
    kind: 'plain',
    header: null,
    expected: '127.0.0.1',
  },
  {
    id: 'ours-v1',
    label: '`enableProxyProtocol`, v1 header',
    kind: 'ours',
    header: V1,
    expected: CLIENT.address,
  },
  {
    id: 'ours-v2',
    label: '`enableProxyProtocol`, v2 header',
    kind: 'ours',
    header: V2,
    expected: CLIENT.address,
  },
  {
    // What the docs recommend: a trust list. It needs the peer at accept, as plain http's
    // handler does when it reads req.socket.remoteAddress.
    id: 'ours-v1-trusted',
    label: "`enableProxyProtocol`, v1 header, `trusted: 'loopback'`",
    kind: 'ours',
    header: V1,
    expected: CLIENT.address,
    env: { BENCH_TRUSTED: 'loopback' },
  },
  {
    id: 'floor-v1',
    label: 'reference: bare first-chunk reader, v1 header (unsafe, see below)',
    kind: 'floor',
    header: V1,
    expected: CLIENT.address,
  },
  {
    id: 'proxywrap-v1',
    label: 'findhit-proxywrap 0.3.13, v1 header',
    kind: 'proxywrap',
    header: V1,
    expected: CLIENT.address,
  },
];
const MODES = [
  { id: 'close', label: 'One connection per request (`Connection: close`)' },
  { id: 'keepalive', label: 'Keep-alive' },
].filter(({ id }) => (process.env.BENCH_HTTP_MODES ?? 'close,keepalive').split(',').includes(id));
const SKIP_MEMORY = process.env.BENCH_HTTP_IDLE === '0';

// ---------------------------------------------------------------------------------------
// Child processes

/** Spawns node on `script` with IPC, after raising the descriptor limit if the shell can. */
function spawnNode(script, args, { nodeArgs = [], env = {}, nofile } = {}) {
  const raise = nofile ? `ulimit -n ${nofile} 2>/dev/null; ` : '';
  const child = spawn(
    'sh',
    ['-c', `${raise}exec "$0" "$@"`, process.execPath, ...nodeArgs, script, ...args],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } },
  );
  child.messages = [];
  child.waiters = [];
  child.on('message', (message) => {
    const waiter = child.waiters.findIndex((w) => w.type === message.type);
    if (waiter >= 0) child.waiters.splice(waiter, 1)[0].resolve(message);
    else child.messages.push(message);
  });
  child.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  // A child that died shows in `exited` and in the next message it does not send; the IPC
  // channel's own 'error' (a send after it closed) must not take the bench down with it.
  child.on('error', () => {});
  return child;
}

function nextMessage(child, type, timeoutMs = 60000) {
  const queued = child.messages.findIndex((m) => m.type === type);
  if (queued >= 0) return Promise.resolve(child.messages.splice(queued, 1)[0]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' message in time`)), timeoutMs);
    const done = (message) => {
      clearTimeout(timer);
      resolve(message);
    };
    child.waiters.push({ type, resolve: done });
    child.exited.then((code) => reject(new Error(`child exited (${code}) before '${type}'`)));
  });
}

async function ask(child, request, type) {
  child.send(request);
  return nextMessage(child, type);
}

async function startServer(variant, { memory = false } = {}) {
  const nodeArgs = [];
  if (memory) nodeArgs.push('--expose-gc');
  if (PROFILE_DIR && !memory) {
    nodeArgs.push(
      '--cpu-prof',
      `--cpu-prof-dir=${PROFILE_DIR}`,
      `--cpu-prof-name=${variant.id}.cpuprofile`,
    );
  }
  const child = spawnNode(SERVER, [variant.kind, variant.expected], {
    nodeArgs,
    env: { ...variant.env, ...(memory ? { BENCH_HEADER_TIMEOUT: '600000' } : {}) },
    nofile: memory ? IDLE + 1000 : undefined,
  });
  const { port } = await nextMessage(child, 'listening', 20000);
  return { child, port };
}

async function stopChild(child) {
  if (child.exitCode !== null) return;
  child.disconnect();
  const code = await Promise.race([
    child.exited,
    new Promise((r) => setTimeout(r, 5000, 'timeout')),
  ]);
  if (code === 'timeout') child.kill('SIGKILL');
}

// ---------------------------------------------------------------------------------------
// Correctness: one connection, two requests; both must report the header's source.

function rawExchange(port, chunks) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    let index = 0;
    const bodies = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response (got ${JSON.stringify(data.slice(0, 200))})`));
    }, 5000);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(chunks[index]));
    socket.on('data', (text) => {
      data += text;
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = data.slice(0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
        if (!(length >= 0)) break;
        if (data.length < end + 4 + length) return;
        bodies.push({
          status: Number(head.split(' ')[1]),
          body: data.slice(end + 4, end + 4 + length),
        });
        data = data.slice(end + 4 + length);
        index++;
        if (index === chunks.length) {
          clearTimeout(timer);
          socket.end();
          resolve(bodies);
          return;
        }
        socket.write(chunks[index]);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (index < chunks.length) reject(new Error(`connection closed after ${index} response(s)`));
    });
  });
}

function httpRequest(port, close) {
  const connection = close ? 'Connection: close\r\n' : '';
  return Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${connection}\r\n`, 'latin1');
}

async function verify(variant, port) {
  const get = httpRequest(port, false);
  const first = variant.header ? Buffer.concat([variant.header, get]) : get;
  const responses = await rawExchange(port, [first, get]);
  for (const [i, { status, body }] of responses.entries()) {
    if (status !== 200 || body !== variant.expected) {
      throw new Error(
        `request ${i + 1}: status ${status}, remoteAddress ${JSON.stringify(body)}, expected ${variant.expected}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------
// Load: wrk, one thread, the Lua script puts the header in front of each connection's first request.

/** One timed run; throws if anything but clean 200s with the right address came back. */
async function loadRun(server, variant, mode, seconds) {
  await ask(server.child, 'stats', 'stats'); // zero the counters
  const r = await runWrk({
    port: server.port,
    mode,
    header: variant.header,
    seconds,
    connections: CONNECTIONS,
  });
  const s = await ask(server.child, 'stats', 'stats');
  const errors = r.connect + r.read + r.write + r.status + r.timeout;
  // The PROXY servers count a connection wrk closes before sending its header (when it stops
  // mid-reconnect) as refused: up to one per connection, at the end of this run or the last.
  if (errors > 0 || s.mismatched > 0 || s.refusedOther > 0 || s.refused > 2 * CONNECTIONS) {
    throw new Error(
      `${mode}: wrk errors connect ${r.connect} read ${r.read} write ${r.write} status ${r.status} timeout ${r.timeout}; ` +
        `server saw ${s.mismatched} wrong address(es) (e.g. ${s.lastMismatch}), refused ${s.refused} ` +
        `(${s.refusedOther} for another reason than the peer closing, e.g. ${s.lastRefusal})`,
    );
  }
  // wrk counts responses; the server counts requests with the expected address. They can differ
  // by the requests in flight when wrk stops, no more.
  if (Math.abs(s.requests - r.requests) > CONNECTIONS) {
    throw new Error(
      `${mode}: wrk counted ${r.requests} responses, the server ${s.requests} requests`,
    );
  }
  return { rps: r.requests / (r.duration_us / 1e6), cpu: s.cpuMicros / s.requests };
}

// ---------------------------------------------------------------------------------------
// Statistics and formatting

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtRatio = (n) => `${n.toFixed(3)}x`;

// ---------------------------------------------------------------------------------------
// Throughput

async function throughput() {
  const servers = new Map();
  const failures = new Map();
  for (const variant of VARIANTS) {
    let server;
    try {
      server = await startServer(variant);
      await verify(variant, server.port);
      servers.set(variant.id, server);
      log(
        `verified ${variant.id}: remoteAddress ${variant.expected} on both requests of a connection`,
      );
    } catch (error) {
      failures.set(variant.id, `verification failed: ${error.message}`);
      log(`${variant.id}: ${failures.get(variant.id)}`);
      if (server) await stopChild(server.child);
    }
  }
  if (failures.has('plain')) throw new Error(`plain server failed: ${failures.get('plain')}`);

  // rps[mode][variant] = array of per-round req/s; ratios against the same round's plain server.
  const rps = {};
  const ratios = {};
  const cpu = {};
  const cpuRatios = {};
  const versusProxywrap = {};
  for (const mode of MODES) {
    rps[mode.id] = Object.fromEntries(VARIANTS.map((v) => [v.id, []]));
    ratios[mode.id] = Object.fromEntries(VARIANTS.map((v) => [v.id, []]));
    cpu[mode.id] = Object.fromEntries(VARIANTS.map((v) => [v.id, []]));
    cpuRatios[mode.id] = Object.fromEntries(VARIANTS.map((v) => [v.id, []]));
    versusProxywrap[mode.id] = { 'ours-v1': [], 'ours-v2': [] };
  }

  const drop = async (variant, error) => {
    failures.set(variant.id, error.message);
    log(`${variant.id}: ${error.message}; dropped from the run`);
    const server = servers.get(variant.id);
    servers.delete(variant.id);
    await stopChild(server.child);
    if (variant.id === 'plain') throw new Error(`plain server failed: ${error.message}`);
  };

  log('warm-up: one 1 s run per variant and mode (not recorded)');
  for (const mode of MODES) {
    for (const variant of VARIANTS) {
      const server = servers.get(variant.id);
      if (!server) continue;
      try {
        await loadRun(server, variant, mode.id, 1);
      } catch (error) {
        await drop(variant, error);
      }
    }
  }

  for (let round = 0; round < ROUNDS; round++) {
    const modes = round % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of modes) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
      const got = {};
      const gotCpu = {};
      for (const variant of order) {
        const server = servers.get(variant.id);
        if (!server) continue;
        try {
          const run = await loadRun(server, variant, mode.id, DURATION);
          got[variant.id] = run.rps;
          gotCpu[variant.id] = run.cpu;
        } catch (error) {
          await drop(variant, error);
        }
      }
      for (const [id, value] of Object.entries(got)) {
        rps[mode.id][id].push(value);
        ratios[mode.id][id].push(value / got.plain);
        cpu[mode.id][id].push(gotCpu[id]);
        cpuRatios[mode.id][id].push(gotCpu[id] / gotCpu.plain);
      }
      for (const id of ['ours-v1', 'ours-v2']) {
        if (got[id] !== undefined && got['proxywrap-v1'] !== undefined) {
          versusProxywrap[mode.id][id].push(got[id] / got['proxywrap-v1']);
        }
      }
      log(
        `round ${round + 1}/${ROUNDS} ${mode.id}: ${order
          .filter((v) => got[v.id] !== undefined)
          .map((v) => `${v.id} ${fmtInt(got[v.id])}/s`)
          .join(', ')}`,
      );
    }
  }
  for (const server of servers.values()) await stopChild(server.child);
  return { rps, ratios, cpu, cpuRatios, versusProxywrap, failures };
}

// ---------------------------------------------------------------------------------------
// Memory of idle connections that have sent nothing

const MEMORY_VARIANTS = VARIANTS.filter((v) => ['plain', 'ours-v1', 'proxywrap-v1'].includes(v.id));

async function warmUp(variant, port) {
  for (let i = 0; i < 20; i++) {
    const get = httpRequest(port, true);
    await rawExchange(port, [variant.header ? Buffer.concat([variant.header, get]) : get]);
  }
}

async function memoryOnce(variant) {
  const server = await startServer(variant, { memory: true });
  let client;
  try {
    await warmUp(variant, server.port);
    await new Promise((r) => setTimeout(r, 200));
    const before = await ask(server.child, 'memory', 'memory');
    client = spawnNode(IDLE_CLIENT, [String(server.port), String(IDLE), String(IDLE_SOURCES)], {
      nofile: IDLE + 1000,
    });
    const opened = await nextMessage(client, 'open', 120000);
    if (opened.open !== IDLE) {
      throw new Error(`opened ${opened.open} of ${IDLE} connections (${opened.firstError})`);
    }
    let after;
    for (let i = 0; i < 100; i++) {
      after = await ask(server.child, 'memory', 'memory');
      if (after.connections >= IDLE) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (after.connections !== IDLE) {
      throw new Error(`server holds ${after.connections} of ${IDLE} connections`);
    }
    const stats = await ask(server.child, 'stats', 'stats');
    if (stats.refused > 0) throw new Error(`server refused ${stats.refused} idle connections`);
    return {
      rss: (after.rss - before.rss) / IDLE,
      heapUsed: (after.heapUsed - before.heapUsed) / IDLE,
      external: (after.external - before.external) / IDLE,
      before,
      after,
    };
  } finally {
    if (client) {
      client.send('close');
      await client.exited;
    }
    await stopChild(server.child);
  }
}

async function memory() {
  const samples = Object.fromEntries(MEMORY_VARIANTS.map((v) => [v.id, []]));
  const failures = new Map();
  for (let repeat = 0; repeat < MEMORY_REPEATS; repeat++) {
    const order = MEMORY_VARIANTS.map(
      (_, i) => MEMORY_VARIANTS[(i + repeat) % MEMORY_VARIANTS.length],
    );
    for (const variant of order) {
      if (failures.has(variant.id)) continue;
      try {
        const m = await memoryOnce(variant);
        samples[variant.id].push(m);
        log(
          `memory ${repeat + 1}/${MEMORY_REPEATS} ${variant.id}: ${fmtInt(m.rss)} B RSS, ` +
            `${fmtInt(m.heapUsed)} B heap per idle connection`,
        );
      } catch (error) {
        failures.set(variant.id, error.message);
        log(`memory ${variant.id}: ${error.message}`);
      }
    }
  }
  return { samples, failures };
}

// ---------------------------------------------------------------------------------------
// Run and report

const t = await throughput();
const throughputSeconds = Math.round((Date.now() - startedAt) / 1000);
const m = SKIP_MEMORY ? { samples: {}, failures: new Map() } : await memory();
const totalSeconds = Math.round((Date.now() - startedAt) / 1000);

const cpus = os.cpus();
const lines = [];
const out = (s = '') => lines.push(s);
out(
  `${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${cpus[0]?.model ?? 'unknown CPU'} · ` +
    `${cpus.length} cores · ${os.platform()} ${os.arch()} · ${wrkVersion}`,
);
out();
out(
  `${ROUNDS} rounds of ${DURATION} s per variant and mode after a 1 s warm-up run each; wrk -t1 -c${CONNECTIONS}; ` +
    `variant order rotates by one place every round, mode order alternates; ratios are per round ` +
    `against the plain server of the same round. Throughput part ${throughputSeconds} s, whole run ${totalSeconds} s.`,
);

const verdicts = [];
for (const mode of MODES) {
  out();
  out(`#### ${mode.label}`);
  out();
  out(
    '| Variant | Median req/s | Min–max req/s | Median ratio vs plain | Min–max ratio | Server CPU µs/req | CPU vs plain |',
  );
  out('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const variant of VARIANTS) {
    const values = t.rps[mode.id][variant.id];
    if (t.failures.has(variant.id) && values.length < ROUNDS) {
      out(`| ${variant.label} | n/a | | | | | |`);
      continue;
    }
    const r = summary(values);
    const q = summary(t.ratios[mode.id][variant.id]);
    const c = summary(t.cpu[mode.id][variant.id]);
    const cr = summary(t.cpuRatios[mode.id][variant.id]);
    const name = variant.kind === 'ours' ? `**${variant.label}**` : variant.label;
    out(
      `| ${name} | ${fmtInt(r.median)} | ${fmtInt(r.min)}–${fmtInt(r.max)} | ${fmtRatio(q.median)} | ` +
        `${fmtRatio(q.min)}–${fmtRatio(q.max)} | ${c.median.toFixed(1)} | ${fmtRatio(cr.median)} |`,
    );
  }
  for (const id of ['ours-v1', 'ours-v2']) {
    const ratio = t.ratios[mode.id][id];
    if (!ratio?.length || t.failures.has(id)) continue;
    const q = summary(ratio);
    const target = TARGETS[mode.id];
    verdicts.push(
      `${mode.id}, ${id}: median ${fmtRatio(q.median)} of plain, target ≥ ${target}x: ${q.median >= target ? 'met' : 'missed'}`,
    );
    const vs = t.versusProxywrap[mode.id][id];
    if (vs.length && !t.failures.has('proxywrap-v1')) {
      const p = summary(vs);
      verdicts.push(
        `${mode.id}, ${id} ÷ findhit-proxywrap (v1): median ${fmtRatio(p.median)} (min–max ${fmtRatio(p.min)}–${fmtRatio(p.max)}), ` +
          `ahead: ${p.median > 1 ? 'met' : 'missed'}`,
      );
    } else {
      verdicts.push(
        `${mode.id}, ${id} vs findhit-proxywrap: n/a (${t.failures.get('proxywrap-v1')})`,
      );
    }
  }
}
out();
out(
  'The reference row is a bare first-chunk reader (`floor` in bench/http/server.mjs): it reads the first chunk, ' +
    'decodes it, puts the rest back and hands the socket to http, with no timeout, trust check, split-header, ' +
    'error or early-close handling. Not deployable; it shows what reading the header in JavaScript costs at the least.',
);
out();
out('#### Targets');
out();
for (const v of verdicts) out(`- ${v}`);

out();
if (!SKIP_MEMORY) {
  out(
    `#### Memory of ${IDLE.toLocaleString('en-US')} idle connections that sent nothing (median of ${MEMORY_REPEATS}, bytes per connection)`,
  );
  out();
  out(
    '| Server | RSS / connection | Min–max | heapUsed / connection | Min–max | Extra RSS vs plain | Extra heap vs plain |',
  );
  out('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const plainMem = m.samples.plain.length
    ? {
        rss: summary(m.samples.plain.map((s) => s.rss)),
        heap: summary(m.samples.plain.map((s) => s.heapUsed)),
      }
    : undefined;
  for (const variant of MEMORY_VARIANTS) {
    const s = m.samples[variant.id];
    const label =
      variant.kind === 'plain' ? 'plain `http`' : variant.label.replace(/, v1 header$/, '');
    if (m.failures.has(variant.id) || s.length === 0) {
      out(`| ${label} | n/a (${m.failures.get(variant.id)}) | | | | | |`);
      continue;
    }
    const rss = summary(s.map((x) => x.rss));
    const heap = summary(s.map((x) => x.heapUsed));
    const extra = (a, b) =>
      plainMem && variant.id !== 'plain' ? `${a - b >= 0 ? '+' : ''}${fmtInt(a - b)}` : '';
    out(
      `| ${label} | ${fmtInt(rss.median)} | ${fmtInt(rss.min)}–${fmtInt(rss.max)} | ${fmtInt(heap.median)} | ` +
        `${fmtInt(heap.min)}–${fmtInt(heap.max)} | ${extra(rss.median, plainMem?.rss.median)} | ${extra(heap.median, plainMem?.heap.median)} |`,
    );
  }
  out();
  out(
    'Each sample: a fresh server process (`--expose-gc`, `headerTimeout` 600 s for ours), 20 warm-up requests, ' +
      `memoryUsage() after two full GCs, ${IDLE.toLocaleString('en-US')} connections from another process over ` +
      `127.0.0.2–127.0.0.${1 + IDLE_SOURCES}, then memoryUsage() after two full GCs again; (after − before) ÷ connections.`,
  );
}

if (t.failures.size || m.failures.size) {
  out();
  out('#### Not measured');
  out();
  for (const [id, reason] of t.failures) out(`- ${id} (throughput): ${reason}`);
  for (const [id, reason] of m.failures) out(`- ${id} (memory): ${reason}`);
}

const report = `${lines.join('\n')}\n`;
process.stdout.write(report);
const resultsDir = here('../results/');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(`${resultsDir}http-latest.md`, report);
