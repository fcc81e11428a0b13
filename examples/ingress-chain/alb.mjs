// An ALB-like reverse proxy, the first of two tiers: it reads the PROXY header from the TCP
// load balancer in front, hands the client on in X-Forwarded-For / X-Real-IP, forwards to the
// app with @fastify/reply-from, and logs the way ingress-nginx does, upstream timings included.

import { subscribe } from 'node:diagnostics_channel';
import replyFrom from '@fastify/reply-from';
import { logAccess, logRefused, requestId } from '@proxyproto/example-echo-common';
import { proxyProtocol } from '@proxyproto/fastify';
import Fastify from 'fastify';

/**
 * The ingress-nginx ConfigMap knobs this proxy honours, from the environment:
 * USE_PROXY_PROTOCOL (use-proxy-protocol), PROXY_REAL_IP_CIDR (proxy-real-ip-cidr),
 * PROXY_PROTOCOL_HEADER_TIMEOUT (proxy-protocol-header-timeout), with their defaults.
 */
export function readAlbConfig(env = process.env) {
  const timeout = /^(\d+)(ms|s|m)?$/.exec(env.PROXY_PROTOCOL_HEADER_TIMEOUT ?? '5s');
  if (!timeout) {
    throw new Error('PROXY_PROTOCOL_HEADER_TIMEOUT must be a duration like 5s, 500ms or 1m');
  }
  const unit = { ms: 1, s: 1000, m: 60_000 }[timeout[2] ?? 's'];
  const useProxyProtocol = (env.USE_PROXY_PROTOCOL ?? 'true').toLowerCase();
  if (useProxyProtocol !== 'true' && useProxyProtocol !== 'false') {
    throw new Error('USE_PROXY_PROTOCOL must be "true" or "false"');
  }
  return {
    host: env.HOST || '127.0.0.1',
    port: Number(env.PORT ?? '8000'),
    useProxyProtocol: useProxyProtocol === 'true',
    // ingress-nginx's default, 0.0.0.0/0, believes every IPv4 peer; ::/0 does the same for IPv6.
    realIpCidr: (env.PROXY_REAL_IP_CIDR ?? '0.0.0.0/0,::/0')
      .split(',')
      .map((cidr) => cidr.trim())
      .filter(Boolean),
    headerTimeout: Number(timeout[1]) * unit,
  };
}

// Upstream timings per request ID, from undici's diagnostics channels (reply-from runs on
// undici). ingress-nginx definitions: each time counts from the start of the upstream request.
const timings = new Map();
const REQUEST_ID = 'x-request-id';

function timingOf(request) {
  const { headers } = request;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === REQUEST_ID) return timings.get(headers[i + 1]);
  }
  return undefined;
}

const seconds = (from, to) => (to === undefined ? null : Number(to - from) / 1e9);

subscribe('undici:request:create', ({ request }) => {
  const timing = timingOf(request);
  if (timing) timing.start = process.hrtime.bigint();
});
subscribe('undici:client:sendHeaders', ({ request, socket }) => {
  const timing = timingOf(request);
  if (!timing) return;
  timing.connected = process.hrtime.bigint();
  const address = socket.remoteAddress ?? '';
  timing.addr = `${address.includes(':') ? `[${address}]` : address}:${socket.remotePort}`;
});
subscribe('undici:request:headers', ({ request, response }) => {
  const timing = timingOf(request);
  if (!timing) return;
  timing.headers = process.hrtime.bigint();
  timing.status = response.statusCode;
});
subscribe('undici:request:trailers', ({ request }) => {
  const timing = timingOf(request);
  if (timing) timing.done = process.hrtime.bigint();
});

function upstreamFields(id) {
  const timing = timings.get(id);
  timings.delete(id);
  if (!timing?.start) {
    return {
      upstream_addr: null,
      upstream_status: null,
      upstream_response_time: null,
      upstream_connect_time: null,
      upstream_header_time: null,
    };
  }
  return {
    upstream_addr: timing.addr ?? null,
    upstream_status: timing.status ?? null,
    upstream_response_time: seconds(timing.start, timing.done),
    upstream_connect_time: seconds(timing.start, timing.connected),
    upstream_header_time: seconds(timing.start, timing.headers),
  };
}

/** Starts the proxy in front of `upstream` (an http:// base URL); resolves with the app. */
export async function startAlb(config, upstream) {
  const app = Fastify({ logger: false });
  if (config.useProxyProtocol) {
    // The whole port requires the header; a peer outside proxy-real-ip-cidr is refused.
    await app.register(proxyProtocol, {
      trusted: config.realIpCidr, // the core reads 0.0.0.0/0 and ::/0 as ingress-nginx does
      headerTimeout: config.headerTimeout,
      onError: logRefused,
    });
  }
  await app.register(replyFrom, { base: upstream });
  // Bodies are streamed to the app as they come, never parsed here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.addHook('onRequest', (request, reply, done) => {
    const id = requestId(request.raw);
    request.requestId = id;
    timings.set(id, {});
    // Read now: reply-from's upstream response can end after the client socket is detached.
    const client = request.ip;
    logAccess(request.raw, reply.raw, {
      id,
      client: () => client,
      extra: () => upstreamFields(id),
    });
    done();
  });

  app.all('*', (request, reply) => {
    const client = request.ip; // the PROXY source, or the TCP peer without use-proxy-protocol
    reply.from(request.url, {
      rewriteRequestHeaders: (_req, headers) => ({
        ...headers,
        // The Host the client asked for, as ingress-nginx passes it, not the upstream's.
        host: request.headers.host ?? headers.host,
        // Replaced, not appended to: what the client wrote there is not to be believed.
        'x-forwarded-for': client,
        'x-real-ip': client,
        'x-forwarded-proto': 'http',
        'x-forwarded-host': request.headers.host ?? '',
        'x-forwarded-port': String(request.raw.socket.localPort),
        'x-scheme': 'http',
        [REQUEST_ID]: request.requestId,
      }),
    });
  });

  await app.listen({ host: config.host, port: config.port });
  return app;
}
