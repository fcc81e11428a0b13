// Compiled by `tsc`, never run: the published types of @proxyproto/fastify type
// request.proxyProtocol through Fastify's declaration merging.
import { proxyProtocol } from '@proxyproto/fastify';
import Fastify from 'fastify';

const fastify = Fastify({ trustProxy: '10.0.0.0/8' });
await fastify.register(proxyProtocol, { trusted: '10.0.0.0/8', headerTimeout: 2000 });
fastify.get('/', async (request) => {
  const source: string | undefined = request.proxyProtocol?.source?.address;
  const uniqueId: Uint8Array | undefined = request.proxyProtocol?.uniqueId;
  const balancer: string | undefined = request.proxyProtocol?.realPeer.address;
  // @ts-expect-error the header is absent on direct connections: it must be narrowed first
  const unchecked: string = request.proxyProtocol.source.address;
  // @ts-expect-error addresses are strings
  const port: number = request.proxyProtocol?.source?.address;
  return { source, uniqueId, balancer, unchecked, port };
});
// @ts-expect-error untrusted is 'reject' or 'direct'
await fastify.register(proxyProtocol, { untrusted: 'drop' });
