// wrk as the HTTP benches run it: one thread, the Lua script that puts a PROXY header in front
// of each connection's first request, and its WRK_RESULT line parsed.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LUA = fileURLToPath(new URL('./proxy-header.lua', import.meta.url));

/**
 * Runs wrk against 127.0.0.1:`port` for `seconds` with `connections` connections; `mode` is
 * 'close' or 'keepalive', `header` the PROXY header's bytes or null. Resolves with wrk's
 * counts: requests, duration_us, connect/read/write/status/timeout errors, p50_us, p99_us.
 */
export function runWrk({ port, mode, header, seconds, connections }) {
  return new Promise((resolve, reject) => {
    const args = [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--timeout',
      '5s',
      '-s',
      LUA,
      `http://127.0.0.1:${port}/`,
      '--',
      mode,
      header ? Buffer.from(header).toString('hex') : '-',
      String(connections),
    ];
    const wrk = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    wrk.stdout.on('data', (d) => {
      out += d;
    });
    wrk.stderr.on('data', (d) => {
      out += d;
    });
    wrk.on('error', reject);
    wrk.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`wrk exited ${code}: ${out.trim()}`));
        return;
      }
      resolve(JSON.parse(line.slice('WRK_RESULT '.length)));
    });
  });
}
