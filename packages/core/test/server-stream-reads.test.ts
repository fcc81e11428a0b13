// The socket layer reads a header from the TCP handle's read callback and checks every read
// against the socket's `bytesRead`. When a read does not add up (a Node that hands reads over
// differently), that read and the rest of the header go through the socket's stream instead.
// Here every socket reports a `bytesRead` that never adds up, so that path runs. Its own file:
// the first such read switches the process over to the stream for good.

import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { ErrorCodes, enableProxyProtocol, type ProxyProtocolError } from '../src/index.js';
import { body, closeAll, concat, echoServer, GET, listen, rawExchange } from './net-helpers.js';

afterEach(closeAll);

const HEADER = 'PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n';

/**
 * A plain listener that hands each connection to `target` (`server.emit('connection')`, as
 * Node documents for sockets accepted elsewhere), with a `bytesRead` that never adds up.
 */
async function front(target: net.Server): Promise<number> {
  const entry = net.createServer((socket) => {
    Object.defineProperty(socket, 'bytesRead', { get: () => -1 });
    target.emit('connection', socket);
  });
  return listen(entry);
}

it('serves header and pipelined requests through the stream when reads do not add up', async () => {
  const server = enableProxyProtocol(echoServer());
  await listen(server);
  const port = await front(server);
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
  await listen(server);
  const port = await front(server);
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
  await listen(server);
  const port = await front(server);
  const client = net.connect(port, '127.0.0.1', () => client.end('PROXY TCP4 203.0'));
  await once(client, 'close');
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(refused.map((error) => error.code)).toEqual([ErrorCodes.INCOMPLETE_HEADER]);
});
