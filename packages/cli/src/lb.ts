import net from 'node:net';
import type { Endpoint } from './endpoint.js';
import type { HeaderTemplate } from './header-options.js';

export interface LoadBalancerOptions {
  /** Where clients connect. Port 0 picks a free port (see `address`). */
  listen: Endpoint;
  /** The PROXY protocol port of the server behind. */
  target: Endpoint;
  header: HeaderTemplate;
  /** Called once per client connection, after the header is queued for the target. */
  onConnection?: (event: ConnectionEvent) => void;
  /** Called when the target cannot be reached or a relayed socket fails. */
  onError?: (error: Error, client: string) => void;
}

export interface ConnectionEvent {
  client: string;
  headerLength: number;
}

export interface LoadBalancer {
  /** The address actually bound. */
  address: net.AddressInfo;
  /** Stops accepting and cuts every relayed connection. */
  close(): Promise<void>;
}

/**
 * A TCP load balancer in the style of an AWS NLB or HAProxy `mode tcp` with `send-proxy`:
 * every connection to `listen` is relayed to `target`, preceded by a PROXY header naming the
 * client and the address it connected to.
 */
export function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  const { target, header, onConnection, onError } = options;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  // Half-open both ways, so a client that ends its request still reads the whole response.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    track(client);
    const who = `${client.remoteAddress}:${client.remotePort}`;
    let bytes: Uint8Array;
    try {
      bytes = header.encode(
        { address: client.remoteAddress as string, port: client.remotePort as number },
        { address: client.localAddress as string, port: client.localPort as number },
      );
    } catch (error) {
      onError?.(error as Error, who);
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(upstream);
    upstream.setNoDelay(true);
    if (bytes.length > 0) upstream.write(bytes);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', (error) => {
      onError?.(error, who);
      client.destroy();
    });
    // Each side closes only once both directions are done, or on a reset: then the other goes.
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    onConnection?.({ client: who, headerLength: bytes.length });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', reject);
      resolve({
        address: server.address() as net.AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
