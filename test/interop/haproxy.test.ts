// HAProxy 2.x in TCP mode in front of the express echo example: v1, v2, TLS termination with
// a client certificate and every TLV option, and the plain port for comparison. Each client
// binds its own 127.0.0.N, so the real client always differs from HAProxy's 127.0.0.1.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Certificates,
  CLIENT_CN,
  curl,
  curlTool,
  type Echo,
  freePort,
  haproxyTool,
  makeCertificates,
  opensslTool,
  parseEcho,
  SERVER_NAME,
  startEcho,
  startHaproxy,
  stopAll,
  tempDir,
  toolsCheck,
} from './harness.js';

const tools = toolsCheck(haproxyTool, curlTool, opensslTool);

describe.skipIf(tools.skip)('HAProxy in front of the echo example', () => {
  let echo: Echo;
  const ports = { v1: 0, v2: 0, tls: 0, plain: 0 };
  let certs: Certificates;

  beforeAll(async () => {
    if (tools.failure) return;
    certs = await makeCertificates(tempDir('certs'));
    echo = await startEcho('express', { TRUSTED_CIDRS: '127.0.0.1' });
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    const backend = (name: string, port: number, options: string) =>
      `backend ${name}\n  mode tcp\n  server echo 127.0.0.1:${port} ${options}\n`;
    await startHaproxy(
      [
        `frontend fe_v1\n  mode tcp\n  bind 127.0.0.1:${ports.v1}\n  default_backend be_v1\n`,
        backend('be_v1', echo.proxyPort, 'send-proxy'),
        `frontend fe_v2\n  mode tcp\n  bind 127.0.0.1:${ports.v2}\n  default_backend be_v2\n`,
        backend('be_v2', echo.proxyPort, 'send-proxy-v2'),
        `frontend fe_tls\n  mode tcp\n  bind 127.0.0.1:${ports.tls} ssl crt ${certs.serverPem} ca-file ${certs.caFile} verify optional\n  unique-id-format %{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid\n  default_backend be_tls\n`,
        backend(
          'be_tls',
          echo.proxyPort,
          'send-proxy-v2-ssl-cn proxy-v2-options authority,crc32c,unique-id,ssl-cipher,cert-sig,cert-key',
        ),
        `frontend fe_plain\n  mode tcp\n  bind 127.0.0.1:${ports.plain}\n  default_backend be_plain\n`,
        backend('be_plain', echo.plainPort, ''),
      ].join('\n'),
    );
  }, 60_000);

  afterAll(stopAll);

  it('has haproxy, curl and openssl installed', () => {
    if (tools.failure) throw new Error(tools.failure);
  });

  it('send-proxy (v1): the echo shows the client, and HAProxy as the peer', async () => {
    const result = await curl(`http://127.0.0.1:${ports.v1}/v1?a=b`, '127.0.0.11');
    expect(result.stderr).toBe('');
    const echoed = parseEcho(result.body);
    expect(echoed.request.client_address).toBe('127.0.0.11');
    expect(echoed.request['real path']).toBe('/v1');
    expect(echoed.request.query).toBe('a=b');
    expect(echoed.proxy).toMatchObject({
      version: '1',
      command: 'PROXY',
      source: `127.0.0.11:${result.local.port}`,
      destination: `127.0.0.1:${ports.v1}`,
      peer: '127.0.0.1',
    });
  });

  it('send-proxy-v2: the echo shows the client, and HAProxy as the peer', async () => {
    const result = await curl(`http://127.0.0.1:${ports.v2}/`, '127.0.0.12');
    const echoed = parseEcho(result.body);
    expect(echoed.request.client_address).toBe('127.0.0.12');
    expect(echoed.proxy).toMatchObject({
      version: '2',
      command: 'PROXY',
      source: `127.0.0.12:${result.local.port}`,
      destination: `127.0.0.1:${ports.v2}`,
      peer: '127.0.0.1',
    });
    // The access log names the client too (written when the response is done).
    await echo.waitFor(/"client":"127\.0\.0\.12"/, 'access log line');
    const log = echo.accessLog().find((line) => line.client === '127.0.0.12');
    expect(log).toMatchObject({ status: 200, request_method: 'GET', request_uri: '/' });
  });

  it('send-proxy-v2-ssl-cn with TLS and a client certificate: the echo shows every TLV', async () => {
    const result = await curl(`https://${SERVER_NAME}:${ports.tls}/tls`, '127.0.0.13', [
      '--resolve',
      `${SERVER_NAME}:${ports.tls}:127.0.0.1`,
      '--cacert',
      certs.caFile,
      '--cert',
      certs.clientCertFile,
      '--key',
      certs.clientKeyFile,
      '--tlsv1.3',
    ]);
    expect(result.stderr).toBe('');
    const echoed = parseEcho(result.body);
    expect(echoed.request.client_address).toBe('127.0.0.13');
    // HAProxy terminated TLS: the app itself was spoken to in plain HTTP.
    expect(echoed.request.request_scheme).toBe('http');
    const proxy = echoed.proxy as Record<string, string>;
    expect(proxy).toMatchObject({
      version: '2',
      source: `127.0.0.13:${result.local.port}`,
      peer: '127.0.0.1',
      authority: SERVER_NAME,
      ssl_client: '0x07',
      ssl_verify: '0',
      ssl_version: 'TLSv1.3',
      ssl_cn: CLIENT_CN,
    });
    expect(proxy.crc32c).toMatch(/^0x[0-9a-f]{8}$/);
    expect(proxy.ssl_cipher).toMatch(/^TLS_/);
    expect(proxy.ssl_sig_alg).toMatch(/SHA256/);
    expect(proxy.ssl_key_alg).toMatch(/^(RSA|EC)/);
    // unique-id-format starts with the client address and port in hex: 7F00000D:<port>.
    const port = result.local.port.toString(16).toUpperCase().padStart(4, '0');
    expect(proxy.unique_id).toMatch(new RegExp(`^7F00000D:${port}_`));
  });

  it('the plain port behind HAProxy shows HAProxy, not the client', async () => {
    const result = await curl(`http://127.0.0.1:${ports.plain}/`, '127.0.0.14');
    const echoed = parseEcho(result.body);
    expect(echoed.request.client_address).toBe('127.0.0.1');
    expect(echoed.proxy).toBeNull();
  });
});
