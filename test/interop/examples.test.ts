// The three echo examples, run as `pnpm start` runs them, must answer alike: the echoserver
// format, the PROXY section, bodies and their limit, the access log. The PROXY port is reached
// through the proxyproto CLI (send and lb), so these need nothing but Node.

import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  type Echo,
  type Framework,
  parseEcho,
  runCommand,
  startEcho,
  startLb,
  stopAll,
} from './harness.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  port: number,
  from: string,
  options: {
    method?: string;
    path?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: string;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        agent: false,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers ?? {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode as number, headers: res.headers, body }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const frameworks: [Framework, number][] = [
  ['express', 50],
  ['koa', 60],
  ['fastify', 70],
];

describe.each(frameworks)('examples/%s-echo', (framework, n) => {
  // Each framework's clients come from their own addresses: 127.0.0.50.., 60.., 70..
  const from = (i: number) => `127.0.0.${n + i}`;
  let echo: Echo;

  beforeAll(async () => {
    echo = await startEcho(framework, {
      BODY_LIMIT: '64',
      POD_NAME: 'echo-7d4b9c',
      POD_NAMESPACE: 'default',
      POD_IP: '10.1.2.3',
    });
  }, 30_000);

  afterAll(stopAll);

  it('answers on the plain port in the echoserver format, with the TCP peer as client', async () => {
    const reply = await request(echo.plainPort, from(1), {
      path: '/some/path?x=1&y=2',
      headers: { 'X-Zeta': ['a', 'b'], 'x-alpha': '1' },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.server).toBe('echoserver');
    expect(reply.headers['content-type']).toMatch(/^text\/plain/);
    expect(reply.body).toMatch(/^Hostname: \S+\n\nPod Information:\n/);
    expect(reply.body).toContain(
      '\tnode name:\tN/A\n\tpod name:\techo-7d4b9c\n\tpod namespace:\tdefault\n\tpod IP:\t10.1.2.3\n',
    );
    expect(reply.body).toMatch(
      new RegExp(
        `\\tserver_version=${framework}/\\d+\\.\\d+\\.\\d+ - node/${process.versions.node}\\n`,
      ),
    );
    const echoed = parseEcho(reply.body);
    expect(echoed.request).toEqual({
      client_address: from(1),
      method: 'GET',
      'real path': '/some/path',
      query: 'x=1&y=2',
      request_version: '1.1',
      request_scheme: 'http',
      request_uri: `http://127.0.0.1:${echo.plainPort}/some/path?x=1&y=2`,
    });
    // Sorted by name, one line per value, values in the order sent.
    const names = echoed.headers.map(([name]) => name);
    expect(names).toEqual([...names].sort());
    expect(echoed.headers.filter(([name]) => name === 'x-zeta')).toEqual([
      ['x-zeta', 'a'],
      ['x-zeta', 'b'],
    ]);
    expect(echoed.body).toBe('\t-no body in request-');
    expect(echoed.proxy).toBeNull();
  });

  it('answers on the PROXY port with the header source as client, and shows each TLV', async () => {
    const result = await runCommand('node', [
      CLI,
      'send',
      '--v2',
      '--interface',
      from(2),
      '--authority',
      'echo.example.com',
      '--alpn',
      'http/1.1',
      '--unique-id',
      'conn-42',
      '--crc32c',
      '--ssl-version',
      'TLSv1.3',
      '--ssl-cn',
      'client.example',
      '--ssl-cipher',
      'TLS_AES_128_GCM_SHA256',
      '--tlv',
      '0xE5=c0ffee',
      `http://127.0.0.1:${echo.proxyPort}/tlv`,
    ]);
    expect(result.stderr).toBe('');
    const echoed = parseEcho(result.stdout);
    expect(echoed.request.client_address).toBe(from(2));
    expect(echoed.proxy).toMatchObject({
      version: '2',
      command: 'PROXY',
      destination: `127.0.0.1:${echo.proxyPort}`,
      peer: from(2),
      authority: 'echo.example.com',
      alpn: 'http/1.1',
      unique_id: 'conn-42',
      ssl_version: 'TLSv1.3',
      ssl_cn: 'client.example',
      ssl_cipher: 'TLS_AES_128_GCM_SHA256',
      tlv_0xe5: 'c0ffee',
    });
    expect(echoed.proxy?.source).toMatch(new RegExp(`^${from(2).replaceAll('.', '\\.')}:\\d+$`));
    expect(echoed.proxy?.crc32c).toMatch(/^0x[0-9a-f]{8}$/);
  });

  it('behind proxyproto lb, shows the client on the PROXY port and the balancer as peer', async () => {
    const lb = await startLb(echo.proxyPort, ['--v2']);
    const reply = await request(lb.port, from(3));
    const echoed = parseEcho(reply.body);
    expect(echoed.request.client_address).toBe(from(3));
    expect(echoed.proxy).toMatchObject({ version: '2', peer: '127.0.0.1' });
  });

  it('echoes a request body, and answers 413 past BODY_LIMIT', async () => {
    const small = await request(echo.plainPort, from(4), {
      method: 'PUT',
      body: 'hello echo',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(small.status).toBe(200);
    expect(parseEcho(small.body).body).toBe('hello echo');
    const large = await request(echo.plainPort, from(4), {
      method: 'POST',
      body: 'x'.repeat(65),
      headers: { 'content-type': 'text/plain' },
    });
    expect(large.status).toBe(413);
    expect(large.headers.server).toBe('echoserver');
  });

  it('writes one JSON access-log line per request', async () => {
    const reply = await request(echo.plainPort, from(5), {
      method: 'DELETE',
      path: '/logged?q=1',
      headers: { host: 'echo.example.com:8080' },
    });
    const id = reply.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await echo.waitFor(new RegExp(`"request_id":"${id}"`), 'access log line');
    const line = echo.accessLog().find((entry) => entry.request_id === id);
    expect(line).toMatchObject({
      client: from(5),
      host: 'echo.example.com',
      scheme: 'http',
      request_method: 'DELETE',
      request_uri: '/logged?q=1',
      status: 200,
    });
    expect(Object.keys(line ?? {})).toEqual([
      'time_date',
      'client',
      'host',
      'scheme',
      'request_method',
      'request_uri',
      'request_id',
      'status',
      'request_time',
    ]);
    expect(typeof line?.request_time).toBe('number');
    expect(Number.isNaN(Date.parse(line?.time_date as string))).toBe(false);
  });
});
