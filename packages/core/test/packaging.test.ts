import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const line = 'PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\\r\\n';

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

// The package's `exports` point at the built files: plain `node`, no TypeScript, must load them.
describe('the built package', () => {
  it('imports as ESM', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `import { decode } from '@proxyproto/core'; console.log(decode(Buffer.from('${line}')).header.source.address)`,
    ]);
    expect(out).toBe('192.0.2.1');
  });
  it('requires as CommonJS', () => {
    const out = run([
      '-e',
      `const { decode, enableProxyProtocol } = require('@proxyproto/core'); console.log(typeof enableProxyProtocol, decode(Buffer.from('${line}')).length)`,
    ]);
    expect(out).toBe('function 45');
  });
});
