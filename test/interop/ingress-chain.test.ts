// examples/ingress-chain: a PROXY protocol client -> the ALB-like proxy -> the echo app on its
// plain port. The app must see the client in X-Forwarded-For / X-Real-IP (and as req.ip,
// since it trusts the proxy), and the proxy must log the client with the upstream fields.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Child,
  CURL_NO_RESPONSE,
  curl,
  curlTool,
  parseEcho,
  ROOT,
  startChild,
  startLb,
  stopAll,
  toolsCheck,
} from './harness.js';

const tools = toolsCheck(curlTool);

describe.skipIf(tools.skip)('examples/ingress-chain', () => {
  let chain: Child;
  let port: number;

  const albLog = () =>
    chain
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"upstream_addr"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    if (tools.failure) return;
    chain = startChild('node', ['start.mjs'], {
      cwd: join(ROOT, 'examples/ingress-chain'),
      env: {
        PORT: '0',
        ECHO_PORT: '0',
        ECHO_PROXY_PORT: '0',
        USE_PROXY_PROTOCOL: 'true',
        PROXY_REAL_IP_CIDR: '127.0.0.0/8',
        PROXY_PROTOCOL_HEADER_TIMEOUT: '5s',
      },
    });
    const match = await chain.waitFor(/alb=127\.0\.0\.1:(\d+)/, 'listening line');
    port = Number(match[1]);
  }, 30_000);

  afterAll(stopAll);

  it('has curl installed', () => {
    if (tools.failure) throw new Error(tools.failure);
  });

  it('passes the PROXY source on in X-Forwarded-For and X-Real-IP, replacing a forged one', async () => {
    const result = await curl(`http://127.0.0.1:${port}/chain?via=alb`, '127.0.0.81', [
      '--haproxy-protocol',
      '-H',
      'X-Forwarded-For: 203.0.113.66',
      '-H',
      'Host: echo.example.com',
    ]);
    expect(result.stderr).toBe('');
    const echoed = parseEcho(result.body);
    const headers = Object.fromEntries(echoed.headers);
    expect(headers['x-forwarded-for']).toBe('127.0.0.81');
    expect(headers['x-real-ip']).toBe('127.0.0.81');
    expect(headers.host).toBe('echo.example.com');
    // The app trusts the proxy for X-Forwarded-For, so req.ip is the client as well.
    expect(echoed.request.client_address).toBe('127.0.0.81');
    expect(echoed.request['real path']).toBe('/chain');
    // Proxy to app is plain HTTP: the header ended at the proxy.
    expect(echoed.proxy).toBeNull();

    const id = headers['x-request-id'] as string;
    await chain.waitFor(new RegExp(`"request_id":"${id}".*"upstream_addr"`), 'proxy access log');
    const line = albLog().find((entry) => entry.request_id === id);
    expect(line).toMatchObject({
      client: '127.0.0.81',
      host: 'echo.example.com',
      request_method: 'GET',
      request_uri: '/chain?via=alb',
      status: 200,
      upstream_status: 200,
    });
    expect(line?.upstream_addr).toMatch(/^127\.0\.0\.1:\d+$/);
    for (const field of [
      'upstream_response_time',
      'upstream_connect_time',
      'upstream_header_time',
    ]) {
      expect(typeof line?.[field], field).toBe('number');
    }
  });

  it('streams a request body through to the app', async () => {
    const result = await curl(`http://127.0.0.1:${port}/upload`, '127.0.0.82', [
      '--haproxy-protocol',
      '--data-binary',
      'through two tiers',
    ]);
    const echoed = parseEcho(result.body);
    expect(echoed.body).toBe('through two tiers');
    expect(echoed.request.client_address).toBe('127.0.0.82');
  });

  it('behind proxyproto lb (v2), still sees the client', async () => {
    const lb = await startLb(port, ['--v2']);
    const result = await curl(`http://127.0.0.1:${lb.port}/`, '127.0.0.83');
    const headers = Object.fromEntries(parseEcho(result.body).headers);
    expect(headers['x-forwarded-for']).toBe('127.0.0.83');
  });

  it('refuses a connection without a PROXY header (use-proxy-protocol)', async () => {
    const result = await curl(`http://127.0.0.1:${port}/`, '127.0.0.84');
    expect(CURL_NO_RESPONSE).toContain(result.code);
    await chain.waitFor(/refused PROXY connection from 127\.0\.0\.84:\d+/);
  });
});
