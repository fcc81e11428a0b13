// curl --haproxy-protocol straight to the echo example's PROXY port (curl sends v1 with its
// own address), and the plain port for comparison.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CURL_NO_RESPONSE,
  curl,
  curlTool,
  type Echo,
  parseEcho,
  startEcho,
  stopAll,
  toolsCheck,
} from './harness.js';

const tools = toolsCheck(curlTool);

describe.skipIf(tools.skip)('curl --haproxy-protocol to the echo example', () => {
  let echo: Echo;

  beforeAll(async () => {
    if (tools.failure) return;
    echo = await startEcho('express');
  }, 30_000);

  afterAll(stopAll);

  it('has curl installed', () => {
    if (tools.failure) throw new Error(tools.failure);
  });

  it('the PROXY port reports the address curl wrote in its header', async () => {
    const result = await curl(`http://127.0.0.1:${echo.proxyPort}/`, '127.0.0.21', [
      '--haproxy-protocol',
    ]);
    expect(result.stderr).toBe('');
    const echoed = parseEcho(result.body);
    expect(echoed.request.client_address).toBe('127.0.0.21');
    expect(echoed.proxy).toMatchObject({
      version: '1',
      source: `127.0.0.21:${result.local.port}`,
      destination: `127.0.0.1:${echo.proxyPort}`,
      // curl is its own load balancer here: the TCP peer is the client too.
      peer: '127.0.0.21',
    });
  });

  it('the plain port reports the TCP peer and no header', async () => {
    const result = await curl(`http://127.0.0.1:${echo.plainPort}/`, '127.0.0.22');
    const echoed = parseEcho(result.body);
    expect(echoed.request.client_address).toBe('127.0.0.22');
    expect(echoed.proxy).toBeNull();
  });

  it('the PROXY port refuses a request without a header', async () => {
    const result = await curl(`http://127.0.0.1:${echo.proxyPort}/`, '127.0.0.23');
    expect(CURL_NO_RESPONSE).toContain(result.code);
    await echo.waitFor(
      /refused PROXY connection from 127\.0\.0\.23:\d+: ERR_PROXY_PROTOCOL_INVALID_SIGNATURE/,
    );
  });
});
