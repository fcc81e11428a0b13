import type { Socket } from 'node:net';
import type { ProxyHeader, RealPeer } from '@proxyproto/core';

/** What every adapter's test app answers: the framework's view of the client, as JSON. */
export interface Echo {
  ip: string | null;
  ips: string[];
  remoteAddress: string | null;
  remotePort: number | null;
  secure: boolean;
  proxyProtocol: EchoedHeader | null;
}

export interface EchoedHeader {
  version: 1 | 2;
  command: string;
  family: string;
  source: { address: string; port?: number } | null;
  destination: { address: string; port?: number } | null;
  authority: string | null;
  uniqueId: string | null;
  crc32c: number | null;
  ssl: { client: number; verify: number; version: string | null; cn: string | null } | null;
  tlvTypes: number[];
  realPeer: RealPeer;
}

export interface EchoInput {
  ip: string | undefined;
  ips: readonly string[] | undefined;
  socket: Socket;
  secure: boolean;
  proxyProtocol: (ProxyHeader & { realPeer: RealPeer }) | undefined;
}

export function echo({ ip, ips, socket, secure, proxyProtocol: info }: EchoInput): Echo {
  return {
    ip: ip ?? null,
    ips: [...(ips ?? [])],
    remoteAddress: socket.remoteAddress ?? null,
    remotePort: socket.remotePort ?? null,
    secure,
    proxyProtocol:
      info === undefined
        ? null
        : {
            version: info.version,
            command: info.command,
            family: info.family,
            source: info.source ?? null,
            destination: info.destination ?? null,
            authority: info.authority ?? null,
            uniqueId: info.uniqueId ? Buffer.from(info.uniqueId).toString('latin1') : null,
            crc32c: info.crc32c ?? null,
            ssl: info.ssl
              ? {
                  client: info.ssl.client,
                  verify: info.ssl.verify,
                  version: info.ssl.version ?? null,
                  cn: info.ssl.cn ?? null,
                }
              : null,
            tlvTypes: info.tlvs.map((tlv) => tlv.type),
            realPeer: info.realPeer,
          },
  };
}
