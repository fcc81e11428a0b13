#!/usr/bin/env node
// `pnpm demo`: the Express echo example behind two local load balancers made with
// `proxyproto lb`, one sending a PROXY v2 header to the PROXY port and one relaying to the
// plain port without it. One request through each, from 127.0.0.2, shows what the app learns.

import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = fileURLToPath(new URL('../packages/cli/dist/cli.js', import.meta.url));
const CLIENT = '127.0.0.2';
const TIMEOUT_MS = 15_000;
const children = [];

/** Starts a child and resolves with the first match of `pattern` on its stdout or stderr. */
function start(name, args, pattern, options = {}) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start:\n${output}`)),
      TIMEOUT_MS,
    );
    const look = (chunk) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  });
}

function get(port, localAddress) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/demo?hello=world', localAddress, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve(body));
      },
    );
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
  });
}

function lb(target, args) {
  return start(
    'proxyproto lb',
    [CLI, 'lb', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target}`, ...args],
    /listening on 127\.0\.0\.1:(\d+)/,
  ).then((match) => Number(match[1]));
}

function show(title, body) {
  const rule = '='.repeat(Math.max(title.length, 72));
  process.stdout.write(`${rule}\n${title}\n${rule}\n${body}\n`);
}

async function main() {
  const [, plainPort, proxyPort] = await start(
    'examples/express-echo',
    ['server.mjs'],
    /plain=\S+:(\d+) proxy=\S+:(\d+)/,
    {
      cwd: fileURLToPath(new URL('../examples/express-echo/', import.meta.url)),
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', PROXY_PORT: '0' },
    },
  );
  const withHeader = await lb(proxyPort, ['--v2', '--authority', 'demo.example']);
  const withoutHeader = await lb(plainPort, ['--plain']);

  let from = CLIENT;
  let through;
  try {
    through = await get(withHeader, from);
  } catch (error) {
    if (error.code !== 'EADDRNOTAVAIL') throw error;
    // macOS configures only 127.0.0.1; the client then shares the balancer's address.
    from = '127.0.0.1';
    process.stdout.write(`(${CLIENT} is not configured here: the client uses 127.0.0.1)\n\n`);
    through = await get(withHeader, from);
  }
  const plain = await get(withoutHeader, from);

  process.stdout.write(`client ${from} -> proxyproto lb (127.0.0.1) -> examples/express-echo\n\n`);
  show(`Through the load balancer (PROXY port ${proxyPort}): the app sees the client`, through);
  show(
    `Plain port ${plainPort}, same kind of balancer without the header: the app sees the balancer`,
    plain,
  );
  const client = (body) => /client_address=(\S+)/.exec(body)?.[1];
  process.stdout.write(
    `client_address: ${client(through)} through the PROXY port, ${client(plain)} on the plain port\n`,
  );
}

function stopChildren() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

main()
  .catch((error) => {
    process.stderr.write(`demo failed: ${error.message}\n`);
    process.exitCode = 1;
  })
  .finally(stopChildren);
