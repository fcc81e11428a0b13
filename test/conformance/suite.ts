import { ErrorCodes, type ProxyProtocolError, type RefusedConnection } from '@proxyproto/core';
import request from 'supertest';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { Adapter, ServerKind, StartOptions } from './adapter.js';
import type { Echo } from './echo.js';
import {
  bodies,
  body,
  exchange,
  get,
  SOURCE,
  status,
  tlsExchange,
  v1,
  v2,
  v2Local,
} from './net.js';

/** Addresses of the hops in the trust proxy tests. */
const CLIENT = '198.51.100.9'; // the client an inner proxy saw
const SPOOFED = '6.6.6.6'; // what a client writes into X-Forwarded-For itself
const INNER_PROXY = '10.1.2.3'; // a proxy of ours in front of the load balancer
const INTERNAL = '10.0.0.0/8';

/** `process.emitWarning` calls with `code` during the current test. */
function warnings(code: string): Error[] {
  const seen: Error[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === code) seen.push(warning);
  };
  process.on('warning', listener);
  onTestFinished(() => {
    process.off('warning', listener);
  });
  return seen;
}

/**
 * The behaviour every adapter must have, run against each of them and the bare core: the same
 * requests over real sockets, the same answers from the framework's own `ip`, `ips` and header.
 */
export function describeConformance(adapter: Adapter): void {
  describe(adapter.name, () => {
    const running: (() => Promise<void>)[] = [];
    afterEach(async () => {
      await Promise.all(running.splice(0).map((close) => close()));
    });

    async function start(options: StartOptions): Promise<number> {
      const app = await adapter.start(options);
      running.push(app.close);
      return app.port;
    }

    /** One request behind `header` on a new connection, answered by the app. */
    async function ask(port: number, header: Uint8Array | string, request = get()): Promise<Echo> {
      const { data } = await exchange(port, [header, request]);
      expect(status(data), data).toBe(200);
      return body(data) as Echo;
    }

    describe.each<ServerKind>(['framework', 'user'])('on a %s-created server', (server) => {
      it('reports the v1 source as the ip and the decoded header with the real peer', async () => {
        const port = await start({ server });
        const echo = await ask(port, v1());
        expect(echo).toMatchObject({ ip: SOURCE, remoteAddress: SOURCE, remotePort: 51000 });
        expect(echo.proxyProtocol).toEqual({
          version: 1,
          command: 'PROXY',
          family: 'IPv4',
          source: { address: SOURCE, port: 51000 },
          destination: { address: '192.0.2.1', port: 443 },
          authority: null,
          uniqueId: null,
          crc32c: null,
          ssl: null,
          tlvTypes: [],
          realPeer: { address: '127.0.0.1', port: expect.any(Number), family: 'IPv4' },
        });
      });

      it('reports the v2 IPv6 source with its TLVs decoded', async () => {
        const port = await start({ server });
        const echo = await ask(port, v2());
        expect(echo.ip).toBe('2001:db8::7');
        expect(echo.proxyProtocol).toMatchObject({
          version: 2,
          family: 'IPv6',
          source: { address: '2001:db8::7', port: 51000 },
          destination: { address: '2001:db8::1', port: 443 },
          authority: 'app.example',
          uniqueId: 'conn-42',
          crc32c: expect.any(Number),
          ssl: { client: 0x01, verify: 0, version: 'TLSv1.3', cn: 'client.example' },
          realPeer: { address: '127.0.0.1' },
        });
        expect(echo.proxyProtocol?.tlvTypes).toEqual(expect.arrayContaining([0x02, 0x05, 0x20]));
      });
    });

    it('reads the header before the TLS handshake on an HTTPS server', async () => {
      const port = await start({ server: 'https' });
      const data = await tlsExchange(port, v2(SOURCE), get());
      const echo = body(data) as Echo;
      expect(echo).toMatchObject({ ip: SOURCE, secure: true });
      expect(echo.proxyProtocol).toMatchObject({ version: 2, authority: 'app.example' });
    });

    it('keeps the load balancer address for a LOCAL header (health checks)', async () => {
      const port = await start({ server: 'framework' });
      const echo = await ask(port, v2Local());
      expect(echo.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
      expect(echo.proxyProtocol).toMatchObject({ version: 2, command: 'LOCAL', source: null });
    });

    it('reports the source on every request of a keep-alive connection', async () => {
      const port = await start({ server: 'framework' });
      const { data } = await exchange(port, [v1(), get('/', {}, true), get('/')]);
      const answers = bodies(data) as Echo[];
      expect(answers).toHaveLength(2);
      for (const echo of answers) expect(echo).toMatchObject({ ip: SOURCE, remotePort: 51000 });
    });

    describe('with the framework trusting X-Forwarded-For hops', () => {
      it('ignores X-Forwarded-For when no hop is trusted', async () => {
        const port = await start({ server: 'framework' });
        const echo = await ask(port, v1(), get('/', { 'X-Forwarded-For': SPOOFED }));
        expect(echo.ip).toBe(SOURCE);
      });

      it('ignores X-Forwarded-For from a PROXY source that is not a trusted hop, even though the load balancer is', async () => {
        const port = await start({ server: 'framework', trustProxy: ['loopback', INTERNAL] });
        const echo = await ask(port, v1(SOURCE), get('/', { 'X-Forwarded-For': SPOOFED }));
        expect(echo.ip).toBe(SOURCE);
        expect(echo.ips).not.toContain(SPOOFED);
      });

      it('honours X-Forwarded-For when the PROXY source is a trusted hop', async () => {
        const port = await start({ server: 'framework', trustProxy: INTERNAL });
        const echo = await ask(port, v1(INNER_PROXY), get('/', { 'X-Forwarded-For': CLIENT }));
        expect(echo.ip).toBe(CLIENT);
        expect(echo.ips).toContain(CLIENT);
      });

      it('stops at the first hop that is not trusted', async () => {
        const port = await start({ server: 'framework', trustProxy: INTERNAL });
        const forwarded = `${SPOOFED}, ${CLIENT}, 10.9.9.9`;
        const echo = await ask(port, v1(INNER_PROXY), get('/', { 'X-Forwarded-For': forwarded }));
        expect(echo.ip).toBe(CLIENT);
        expect(echo.ips).toContain(CLIENT);
        expect(echo.ips).not.toContain(SPOOFED);
      });

      it(`${adapter.countsHops ? 'counts' : 'trusts no hop for'} a numeric trust proxy, from the PROXY source`, async () => {
        const port = await start({ server: 'framework', trustProxy: 1 });
        const forwarded = `${SPOOFED}, ${CLIENT}`;
        const echo = await ask(port, v1(SOURCE), get('/', { 'X-Forwarded-For': forwarded }));
        expect(echo.ip).toBe(adapter.countsHops ? CLIENT : SOURCE);
        expect(echo.ips).not.toContain(SPOOFED);
      });

      it("serves an untrusted peer directly and judges its X-Forwarded-For by the peer's address", async () => {
        const port = await start({
          server: 'framework',
          proxyProtocol: { trusted: '192.0.2.0/24', untrusted: 'direct' },
          trustProxy: INTERNAL,
        });
        const response = await request(`http://127.0.0.1:${port}`)
          .get('/')
          .set('X-Forwarded-For', SPOOFED)
          .expect(200);
        const echo = response.body as Echo;
        expect(echo.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
        expect(echo.ips).not.toContain(SPOOFED);
        expect(echo.proxyProtocol).toBeNull();
      });
    });

    describe("with the core's options", () => {
      function refusals(options: StartOptions['proxyProtocol'] = {}) {
        const seen: { error: ProxyProtocolError; connection: RefusedConnection }[] = [];
        const onError = (error: ProxyProtocolError, connection: RefusedConnection) => {
          seen.push({ error, connection });
        };
        return { seen, options: { ...options, onError } };
      }

      it('refuses a peer outside trusted and reports ERR_PROXY_PROTOCOL_UNTRUSTED_SOURCE', async () => {
        const { seen, options } = refusals({ trusted: '127.0.0.1' });
        const port = await start({ server: 'framework', proxyProtocol: options });
        const refused = await exchange(port, [v1(), get()], { localAddress: '127.0.0.2' });
        expect(refused.refused).toBe(true);
        expect(seen.map(({ error }) => error.code)).toEqual([ErrorCodes.UNTRUSTED_SOURCE]);
        expect(seen[0]?.connection.remoteAddress).toMatch(/127\.0\.0\.2$/);
        expect((await ask(port, v1())).ip).toBe(SOURCE);
      });

      it('refuses a request without a header from a trusted peer', async () => {
        const { seen, options } = refusals();
        const port = await start({ server: 'framework', proxyProtocol: options });
        const refused = await exchange(port, [get()]);
        expect(refused.refused).toBe(true);
        expect(seen.map(({ error }) => error.code)).toEqual([ErrorCodes.INVALID_SIGNATURE]);
      });
    });

    const fix = adapter.misconfigurationFix;
    if (fix === undefined) return;

    describe('on a server never passed to the core', () => {
      it('warns once with PROXYPROTO_NOT_ENABLED and the fix, and serves with the socket address', async () => {
        const seen = warnings('PROXYPROTO_NOT_ENABLED');
        const port = await start({ server: 'not-enabled' });
        for (let i = 0; i < 2; i++) {
          const response = await request(`http://127.0.0.1:${port}`).get('/').expect(200);
          expect((response.body as Echo).ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
          expect((response.body as Echo).proxyProtocol).toBeNull();
        }
        expect(seen).toHaveLength(1);
        expect(seen[0]?.message).toMatch(/never passed to enableProxyProtocol/);
        expect(seen[0]?.message).toMatch(fix);
      });

      it('answers 500 in strict mode', async () => {
        const seen = warnings('PROXYPROTO_NOT_ENABLED');
        const port = await start({ server: 'not-enabled', proxyProtocol: { strict: true } });
        await request(`http://127.0.0.1:${port}`).get('/').expect(500);
        await request(`http://127.0.0.1:${port}`).get('/').expect(500);
        expect(seen).toHaveLength(1);
      });

      it('does not warn about an enabled server', async () => {
        const seen = warnings('PROXYPROTO_NOT_ENABLED');
        for (const server of ['framework', 'user'] as const) {
          const port = await start({ server, proxyProtocol: { strict: true } });
          expect((await ask(port, v1())).ip).toBe(SOURCE);
        }
        expect(seen).toHaveLength(0);
      });
    });
  });
}
