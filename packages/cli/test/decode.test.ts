import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import vectors from '../../core/test/fixtures/captured-vectors.json' with { type: 'json' };
import { run } from '../src/index.js';
import { captureIo } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'proxyproto-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function decodeCli(args: string[], stdin?: Buffer) {
  const io = captureIo();
  if (stdin) io.stdin.end(stdin);
  const code = await (await run(['decode', ...args], io)).exitCode;
  return { code, out: io.out(), err: io.err() };
}

const vector = (name: string) => {
  const found = vectors.find((v) => v.name === name);
  if (!found) throw new Error(`no captured vector ${name}`);
  return found;
};

describe('proxyproto decode', () => {
  it.each(vectors.map((v) => [v.name, v] as const))(
    'explains the captured %s header',
    async (_, v) => {
      const { code, out } = await decodeCli([v.hex]);
      expect(code).toBe(0);
      expect(out).toContain(
        `PROXY protocol v${v.expected.version} header, ${v.hex.length / 2} bytes`,
      );
      const source = v.expected.source as { address: string; port: number } | undefined;
      if (source)
        expect(out).toContain(
          `${source.address.includes(':') ? `[${source.address}]` : source.address}:${source.port}`,
        );
    },
  );

  it('lists every TLV of HAProxy send-proxy-v2-ssl-cn with its value', async () => {
    const { out } = await decodeCli([vector('haproxy-v2-tls-all-options').hex]);
    expect(out).toMatch(/0x02 AUTHORITY\s+"proxy\.example"/);
    expect(out).toMatch(/0x03 CRC32C\s+0x[0-9a-f]{8} \(matches the header\)/);
    expect(out).toMatch(/0x05 UNIQUE_ID\s+"/);
    expect(out).toMatch(/verify 0 \(verified\)/);
    expect(out).toMatch(/0x22 CN\s+"client\.example"/);
    expect(out).toMatch(/0x23 CIPHER\s+"TLS_/);
  });

  it('prints the decoded header as JSON with --json', async () => {
    const v = vector('haproxy-v2-tcp4');
    const { code, out } = await decodeCli(['--json', v.hex + v.trailingHex]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      version: 2,
      length: 28,
      command: 'PROXY',
      source: v.expected.source,
      trailingBytes: v.trailingHex.length / 2,
    });
  });

  it('reads hex with spaces, colons or \\x, a v1 line as text, a file and stdin', async () => {
    const hex = vector('haproxy-v2-tcp4').hex;
    const spaced = hex.match(/../g)?.join(' ') as string;
    const escaped = hex
      .match(/../g)
      ?.map((b) => `\\x${b}`)
      .join('') as string;
    const colons = hex.match(/../g)?.join(':') as string;
    const binary = join(dir, 'header.bin');
    writeFileSync(binary, Buffer.from(hex, 'hex'));
    const text = join(dir, 'header.hex');
    writeFileSync(text, `${spaced}\n`);
    for (const args of [[spaced], [escaped], [colons], [binary], [text]]) {
      const { code, out } = await decodeCli(args);
      expect(code, args[0]).toBe(0);
      expect(out, args[0]).toContain('PROXY protocol v2 header, 28 bytes');
    }
    const fromStdin = await decodeCli(['-'], Buffer.from(hex, 'hex'));
    expect(fromStdin.out).toContain('PROXY protocol v2 header, 28 bytes');
    const line = await decodeCli(['PROXY TCP6 2001:db8::1 2001:db8::2 1000 443']);
    expect(line.out).toContain('source       [2001:db8::1]:1000');
    expect(line.out).toContain('CRLF added');
  });

  it('exits 1 with the error code for a header the server would refuse', async () => {
    const hex = vector('haproxy-v2-crc32c').hex;
    // Flip one bit of the source address: the CRC32C no longer matches.
    const bad =
      hex.slice(0, 33) + (Number.parseInt(hex[33] as string, 16) ^ 1).toString(16) + hex.slice(34);
    const { code, out } = await decodeCli([bad]);
    expect(code).toBe(1);
    expect(out).toContain('ERR_PROXY_PROTOCOL_CRC_MISMATCH');
  });

  it('exits 1 for an incomplete header and for bytes that are no header', async () => {
    const partial = await decodeCli([vector('haproxy-v2-tcp4').hex.slice(0, 30)]);
    expect(partial.code).toBe(1);
    expect(partial.out).toContain('not complete');
    const http = await decodeCli(['GET / HTTP/1.1']);
    expect(http.code).toBe(1);
    expect(http.out).toContain('ERR_PROXY_PROTOCOL_INVALID_SIGNATURE');
  });

  it('exits 2 without an argument', async () => {
    const { code, err } = await decodeCli([]);
    expect(code).toBe(2);
    expect(err).toMatch(/decode needs a header/);
  });
});
