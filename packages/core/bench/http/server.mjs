// One HTTP server variant of the HTTP bench, in its own process (forked by http.bench.mjs).
//
//   node bench/http/server.mjs <kind> <expected-address>
//
// kind: plain (node:http), ours (node:http + enableProxyProtocol), proxywrap (findhit-proxywrap
// wrapping node:http), floor (a bare first-chunk reader, a reference; see below). Every kind answers every request with the same tiny response whose body
// is `req.socket.remoteAddress`, so each request pays for reading the address the way an app
// does. Environment for `ours`: BENCH_HEADER_TIMEOUT (headerTimeout, 5000), BENCH_TRUSTED
// (trusted; default every peer), DIST (see below). The parent talks to it over IPC:
//   -> { port }                       once listening on 127.0.0.1:0
//   <- 'stats'  -> { type: 'stats', requests, mismatched, refused, refused, refusedOther, lastRefusal,
//                                        lastMismatch, cpuMicros }
//                                      (process CPU time since the last 'stats'; then zeroed)
//   <- 'memory' -> { type: 'memory', connections, rss, heapUsed, heapTotal, external }
//                                      (after two full GCs when run with --expose-gc)

import http from 'node:http';
import { createRequire } from 'node:module';

const [kind, expected] = process.argv.slice(2);
const headerTimeout = Number(process.env.BENCH_HEADER_TIMEOUT ?? 5000);
/** `trusted` for `ours` (default: every peer). */
const trusted = process.env.BENCH_TRUSTED;

let requests = 0;
let mismatched = 0;
let refused = 0;
/** Refusals other than a peer closing before its header (wrk closes its sockets when it stops). */
let refusedOther = 0;
let lastRefusal;
let lastMismatch;
let cpuSince = process.cpuUsage();

function handler(req, res) {
  const address = req.socket.remoteAddress;
  if (address === expected) requests++;
  else {
    mismatched++;
    lastMismatch = address;
  }
  res.setHeader('Content-Type', 'text/plain');
  res.end(address);
}

let server;
if (kind === 'plain') {
  server = http.createServer(handler);
} else if (kind === 'ours') {
  // DIST: another build to load (bench/http/ab.mjs experiments), given as a path.
  const dist = process.env.DIST
    ? new URL(`file://${process.env.DIST}`).href
    : '../../dist/index.js';
  const { enableProxyProtocol } = await import(dist);
  server = enableProxyProtocol(http.createServer(handler), {
    headerTimeout,
    ...(trusted === undefined ? {} : { trusted }),
    onError: (error) => {
      refused++;
      if (
        error.code !== 'ERR_PROXY_PROTOCOL_INCOMPLETE_HEADER' &&
        error.code !== 'ERR_PROXY_PROTOCOL_SOCKET_ERROR'
      ) {
        refusedOther++;
        lastRefusal = error.code;
      }
    },
  });
} else if (kind === 'floor') {
  // A reference, not a product: the least any design that reads the header in JavaScript
  // through public APIs must do. It takes the first chunk, finds where the header ends, puts
  // the rest back and hands the socket to http, with the header's address. No timeout, no
  // trust check, no handling of a header split over reads (it just drops those), of errors or
  // of an early close. What it costs relative to plain http is what reading
  // the first bytes in JS costs (Node allocates a read buffer per read and runs the stream
  // machinery, where plain http's parser reads the socket in C++).
  const { decode } = await import('../../dist/index.js');
  server = http.createServer(handler);
  const [httpListener] = server.listeners('connection');
  server.removeAllListeners('connection');
  server.on('connection', (socket) => {
    socket.once('data', (chunk) => {
      let result;
      try {
        result = decode(chunk);
      } catch {}
      if (!result) {
        socket.destroy(); // a bad or split header: not this reader's business, but no crash
        refused++;
        return;
      }
      const { header, length } = result;
      socket._peername = {
        address: header.source.address,
        port: header.source.port,
        family: 'IPv4',
      };
      socket.readableFlowing = null;
      if (length < chunk.length) socket.unshift(chunk.subarray(length));
      httpListener.call(server, socket);
    });
  });
} else if (kind === 'proxywrap') {
  const require = createRequire(import.meta.url);
  // As its README shows: `require('findhit-proxywrap').proxy(http).createServer(app)`.
  const proxiedHttp = require('findhit-proxywrap').proxy(http);
  server = proxiedHttp.createServer(handler);
  // In strict mode it destroys a bad connection with an error on the socket; count it rather
  // than crash the process.
  server.on('connection', (socket) => {
    socket.on('error', () => {
      refused++;
    });
  });
} else {
  throw new Error(`unknown server kind ${kind}`);
}

function connections() {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

process.on('message', async (message) => {
  if (message === 'stats') {
    const cpu = process.cpuUsage(cpuSince);
    cpuSince = process.cpuUsage();
    const cpuMicros = cpu.user + cpu.system;
    process.send({
      type: 'stats',
      requests,
      mismatched,
      refused,
      refusedOther,
      lastRefusal,
      lastMismatch,
      cpuMicros,
      cpuUserMicros: cpu.user,
    });
    requests = 0;
    mismatched = 0;
    refused = 0;
    refusedOther = 0;
    lastRefusal = undefined;
    lastMismatch = undefined;
  } else if (message === 'memory') {
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      await new Promise((resolve) => setImmediate(resolve));
      globalThis.gc();
    }
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    process.send({
      type: 'memory',
      connections: await connections(),
      rss,
      heapUsed,
      heapTotal,
      external,
    });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  process.send({ type: 'listening', port: server.address().port });
});
