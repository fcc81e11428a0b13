// nginx's stream module with `proxy_protocol on` (v1) in front of the echo example.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  curl,
  curlTool,
  type Echo,
  freePort,
  nginxTool,
  parseEcho,
  startEcho,
  startNginx,
  stopAll,
  toolsCheck,
} from './harness.js';

const tools = toolsCheck(nginxTool, curlTool);

describe.skipIf(tools.skip)('nginx stream proxy_protocol in front of the echo example', () => {
  let echo: Echo;
  let port: number;

  beforeAll(async () => {
    if (tools.failure) return;
    echo = await startEcho('express', { TRUSTED_CIDRS: '127.0.0.1' });
    port = await freePort();
    await startNginx(
      [
        'stream {',
        '  server {',
        `    listen 127.0.0.1:${port};`,
        `    proxy_pass 127.0.0.1:${echo.proxyPort};`,
        '    proxy_protocol on;',
        '  }',
        '}',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(stopAll);

  it('has nginx (with the stream module) and curl installed', () => {
    if (tools.failure) throw new Error(tools.failure);
  });

  it('the echo shows the client, and nginx as the peer', async () => {
    const result = await curl(`http://127.0.0.1:${port}/through-nginx`, '127.0.0.31');
    expect(result.stderr).toBe('');
    const echoed = parseEcho(result.body);
    expect(echoed.request.client_address).toBe('127.0.0.31');
    expect(echoed.request['real path']).toBe('/through-nginx');
    expect(echoed.proxy).toMatchObject({
      version: '1',
      command: 'PROXY',
      source: `127.0.0.31:${result.local.port}`,
      destination: `127.0.0.1:${port}`,
      peer: '127.0.0.1',
    });
  });
});
