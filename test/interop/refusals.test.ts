// What the echo example does with connections it must not serve: a peer that sends nothing is
// cut at HEADER_TIMEOUT, and a peer outside TRUSTED_CIDRS is refused even with a valid header,
// while the same client through the trusted balancer is served.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CURL_NO_RESPONSE,
  curl,
  curlTool,
  type Echo,
  freePort,
  haproxyTool,
  parseEcho,
  startEcho,
  startHaproxy,
  stopAll,
  toolsCheck,
} from './harness.js';

/** Connects from `from`, sends nothing, and resolves with what arrived before the close. */
function silentConnection(port: number, from: string): Promise<{ received: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => resolve({ received }));
  });
}

describe('HEADER_TIMEOUT', () => {
  let echo: Echo;

  beforeAll(async () => {
    echo = await startEcho('express', { HEADER_TIMEOUT: '1' });
  }, 30_000);

  afterAll(stopAll);

  it('closes a connection that sends no header, and logs why', async () => {
    const { received } = await silentConnection(echo.proxyPort, '127.0.0.41');
    expect(received).toBe('');
    await echo.waitFor(
      /refused PROXY connection from 127\.0\.0\.41:\d+: ERR_PROXY_PROTOCOL_HEADER_TIMEOUT/,
    );
    expect(echo.stderr()).toMatch(/within 1000 ms/);
  }, 15_000);
});

const tools = toolsCheck(haproxyTool, curlTool);

describe.skipIf(tools.skip)('TRUSTED_CIDRS', () => {
  let echo: Echo;
  let balancerPort: number;

  beforeAll(async () => {
    if (tools.failure) return;
    // Only HAProxy's address (127.0.0.1) may send a header.
    echo = await startEcho('express', { TRUSTED_CIDRS: '127.0.0.1/32' });
    balancerPort = await freePort();
    await startHaproxy(
      [
        `frontend fe\n  mode tcp\n  bind 127.0.0.1:${balancerPort}\n  default_backend be\n`,
        `backend be\n  mode tcp\n  server echo 127.0.0.1:${echo.proxyPort} send-proxy-v2\n`,
      ].join('\n'),
    );
  }, 60_000);

  afterAll(stopAll);

  it('has haproxy and curl installed', () => {
    if (tools.failure) throw new Error(tools.failure);
  });

  it('refuses a valid header from an untrusted source', async () => {
    const result = await curl(`http://127.0.0.1:${echo.proxyPort}/`, '127.0.0.42', [
      '--haproxy-protocol',
    ]);
    expect(CURL_NO_RESPONSE).toContain(result.code);
    expect(result.body).toBe('');
    await echo.waitFor(
      /refused PROXY connection from 127\.0\.0\.42:\d+: ERR_PROXY_PROTOCOL_UNTRUSTED_SOURCE/,
    );
  });

  it('serves the same client through the trusted balancer', async () => {
    const result = await curl(`http://127.0.0.1:${balancerPort}/`, '127.0.0.42');
    const echoed = parseEcho(result.body);
    expect(echoed.request.client_address).toBe('127.0.0.42');
    expect(echoed.proxy?.peer).toBe('127.0.0.1');
  });
});
