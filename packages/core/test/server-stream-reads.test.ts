// The socket layer reads a header from the TCP handle's read callback and checks every read
// against the socket's `bytesRead`. When a read does not add up (a Node that hands reads over
// differently), that read and the rest of the header go through the socket's stream instead.
// Here every TCP handle reports a `bytesRead` one more than it has read, so that path runs. Its
// own file: the first such read switches the process over to the stream for good.

import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ErrorCodes, enableProxyProtocol, type ProxyProtocolError } from '../src/index.js';
import { body, closeAll, concat, echoServer, GET, listen, rawExchange } from './net-helpers.js';

afterEach(closeAll);

const HEADER = 'PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n';

// `socket.bytesRead` is the handle's `bytesRead`, an accessor on a prototype that TCP and pipe
// handles share. The TCP handles' own prototype gets one that shadows it, for this file only.
let tcpPrototype: object | undefined;
beforeAll(async () => {
  const server = net.createServer((socket) => {
    tcpPrototype = Object.getPrototypeOf((socket as unknown as { _handle: object })._handle);
    socket.destroy();
  });
  const client = net.connect(await listen(server), '127.0.0.1');
  client.on('error', () => {});
  await once(client, 'close');
  const shared = Object.getPrototypeOf(tcpPrototype as object) as object;
  const read = Object.getOwnPropertyDescriptor(shared, 'bytesRead')?.get;
  if (typeof read !== 'function') throw new Error('no bytesRead accessor on the handle');
  Object.defineProperty(tcpPrototype, 'bytesRead', {
    configurable: true,
    get(this: object) {
      return (read.call(this) as number) + 1;
    },
  });
});
afterAll(() => {
  if (tcpPrototype) delete (tcpPrototype as { bytesRead?: number }).bytesRead;
});

it("reports one byte more than read on this file's TCP sockets", async () => {
  let seen: number[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', (chunk) => {
      seen = [chunk.length, socket.bytesRead];
      socket.end();
    });
  });
  const { closed } = await rawExchange(await listen(server), ['abc']);
  expect({ closed, seen }).toEqual({ closed: true, seen: [3, 4] });
});

it('serves header and pipelined requests through the stream when reads do not add up', async () => {
  const port = await listen(enableProxyProtocol(echoServer()));
  const keepAlive = 'GET /1 HTTP/1.1\r\nHost: test\r\n\r\n';
  const { data } = await rawExchange(port, [concat(HEADER, keepAlive, GET)]);
  const responses = data.split('HTTP/1.1 200 OK').slice(1);
  expect(responses.map((r) => body(`HTTP/1.1 200 OK${r}`).remoteAddress)).toEqual([
    '203.0.113.7',
    '203.0.113.7',
  ]);
});

it('hands a net server exactly the bytes after a header split over reads, once', async () => {
  const server = enableProxyProtocol(
    net.createServer((socket) => {
      let got = '';
      socket.on('data', (chunk) => {
        got += chunk;
        if (got.length >= 4) socket.end(`${socket.remoteAddress} ${got}`);
      });
    }),
  );
  const port = await listen(server);
  const parts = ['PROXY TCP4 203.0.', '113.7 192.0.2.1 51000 443\r\nab', 'cd'];
  const { data } = await rawExchange(port, parts, { delay: 20 });
  expect(data).toBe('203.0.113.7 abcd');
});

it('refuses a connection closed before its header, through the stream', async () => {
  const refused: ProxyProtocolError[] = [];
  const server = enableProxyProtocol(
    http.createServer(() => {}),
    { onError: (error) => refused.push(error) },
  );
  const port = await listen(server);
  const client = net.connect(port, '127.0.0.1', () => client.end('PROXY TCP4 203.0'));
  await once(client, 'close');
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(refused.map((error) => error.code)).toEqual([ErrorCodes.INCOMPLETE_HEADER]);
});
