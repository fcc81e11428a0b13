import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';

export declare const DEFAULT_BODY_LIMIT: number;

export interface EchoConfig {
  host: string;
  port: number;
  proxyPort: number;
  trusted: true | string[];
  headerTimeout: number;
  bodyLimit: number;
  trustProxy: string[];
}

export declare function readConfig(env?: NodeJS.ProcessEnv): EchoConfig;
export declare function serverVersion(framework: string, version: string): string;
export declare function requestId(req: IncomingMessage): string;
export declare function hostOf(req: IncomingMessage): string;
export declare function proxyProtocolLines(info: unknown): string[];
export declare function renderEcho(
  request: {
    serverVersion: string;
    clientAddress: string | undefined;
    req: IncomingMessage;
    body: Buffer | undefined;
    proxyProtocol: unknown;
  },
  env?: NodeJS.ProcessEnv,
): string;
export declare const RESPONSE_HEADERS: Record<string, string>;
export declare function logAccess(
  req: IncomingMessage,
  res: ServerResponse,
  options: { id: string; client: () => string | undefined; extra?: () => Record<string, unknown> },
): void;
export declare function readBody(req: IncomingMessage, limit: number): Promise<Buffer>;
export declare function errorText(status: number, message: string): string;
export declare function logRefused(
  error: Error & { code: string },
  connection: { remoteAddress: string | undefined; remotePort: number | undefined },
): void;
export declare function announce(name: string, plain: Server, proxy: Server): void;
export declare function closeOnSignal(close: () => unknown): void;
