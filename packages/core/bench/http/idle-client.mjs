// Idle connections for the memory part of the HTTP bench, in their own process.
//
//   node bench/http/idle-client.mjs <port> <count> <source-addresses>
//
// Opens <count> TCP connections to 127.0.0.1:<port> that send nothing, spread over the source
// addresses 127.0.0.2, 127.0.0.3, ... (<source-addresses> of them) so the ephemeral ports of
// one address do not run short. IPC: -> { type: 'open', open, failed, firstError } once all
// attempts are settled; <- 'close' destroys them all and exits.

import net from 'node:net';

const [port, count, sources] = process.argv.slice(2).map(Number);
const IN_FLIGHT = 256;

const sockets = [];
let started = 0;
let settled = 0;
let failed = 0;
let firstError;

function openOne() {
  const i = started++;
  const socket = net.connect({
    host: '127.0.0.1',
    port,
    localAddress: `127.0.0.${2 + (i % sources)}`,
  });
  let done = false;
  const settle = () => {
    if (done) return;
    done = true;
    settled++;
    if (started < count) openOne();
    else if (settled === count)
      process.send({ type: 'open', open: sockets.length, failed, firstError });
  };
  socket.once('connect', () => {
    sockets.push(socket);
    settle();
  });
  socket.on('error', (error) => {
    if (!done) {
      failed++;
      firstError ??= error.message;
    }
    settle();
  });
}

for (let i = 0; i < Math.min(IN_FLIGHT, count); i++) openOne();

process.on('message', (message) => {
  if (message !== 'close') return;
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
process.on('disconnect', () => process.exit(0));
