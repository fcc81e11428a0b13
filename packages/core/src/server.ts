import { Server as HttpServer } from 'node:http';
import type { Server, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { decode } from './codec.js';
import {
  ErrorCodes,
  ProxyProtocolError,
  type ProxyProtocolErrorCode,
  protocolError,
} from './errors.js';
import { compileTrust, type TrustCheck, type TrustedSources } from './trust.js';
import type { ProxyHeader } from './types.js';
import { V1_MAX_LENGTH } from './v1.js';
import { V2_FIXED_LENGTH, V2_MAX_LENGTH, V2_SIGNATURE } from './v2.js';

export interface ProxyProtocolOptions {
  /**
   * Peers allowed to send a PROXY header (your load balancers), in the forms Express's
   * `trust proxy` takes. Default: every peer, as HAProxy's `accept-proxy` does, because the port
   * is meant to be reachable from the load balancer only. Setting it is strongly recommended.
   */
  trusted?: TrustedSources;
  /**
   * What a peer outside `trusted` gets: `'reject'` (default) closes the connection at once;
   * `'direct'` serves it as a plain connection with its real address, and whatever it sends,
   * PROXY header or not, goes to the application unread. There is no auto-detection.
   */
  untrusted?: 'reject' | 'direct';
  /** Milliseconds for a complete header to arrive, from accept. Default 5000; 0 disables. */
  headerTimeout?: number;
  /** Largest header accepted, in bytes (107 to 65551). Default 4096. */
  maxHeaderSize?: number;
  /** Called for every refused connection, after it is closed. */
  onError?: (error: ProxyProtocolError, connection: RefusedConnection) => void;
}

/** What is known about a connection that was refused. */
export interface RefusedConnection {
  /** The real peer: the load balancer, or whoever connected. */
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  socket: Socket;
}

/** The TCP peer the connection really came from (the load balancer's address). */
export interface RealPeer {
  address: string;
  port: number;
  family: string;
}

/** A connection's PROXY header together with the load balancer that sent it. */
export interface ProxyProtocolInfo extends ProxyHeader {
  /** The TCP peer that sent the header (your load balancer), whatever the header says. */
  realPeer: RealPeer;
}

/** Counters since `enableProxyProtocol`, for logs and metrics. */
export interface ProxyProtocolStats {
  /** Connections whose header carried a client address, now used as the remote address. */
  accepted: number;
  /** Connections with a LOCAL, UNKNOWN, UNSPEC or UNIX header: the real peer is kept. */
  local: number;
  /** Untrusted connections served directly (`untrusted: 'direct'`). */
  direct: number;
  /** Connections waiting for their header right now. */
  pending: number;
  /** Refused connections by error code. */
  refused: Partial<Record<ProxyProtocolErrorCode, number>>;
}

/** Event emitted on the server for every refused connection: `(error, connection)`. */
export const PROXY_PROTOCOL_ERROR_EVENT = 'proxyProtocolError';

export const DEFAULT_HEADER_TIMEOUT = 5000;
export const DEFAULT_MAX_HEADER_SIZE = 4096;

type ConnectionListener = (this: Server, socket: Socket) => void;

interface ServerState {
  server: Server;
  /** The server's own connection listeners, run once the header is in. */
  listeners: ConnectionListener[];
  trust: TrustCheck;
  /** No trust list: every peer may send a header, the trust check is skipped. */
  trustsAll: boolean;
  direct: boolean;
  headerTimeout: number;
  maxHeaderSize: number;
  onError: ProxyProtocolOptions['onError'];
  /** TLS servers wrap the socket later; its handle must report the client too. */
  wrapsHandle: boolean;
  pauseOnConnect: boolean;
  /** An HTTP/1 server not paused on connect: the bytes after the header go back after the hand-over (see onData). */
  putBackAfterHandOver: boolean;
  /**
   * Connections awaiting their header, oldest first, as a list linked through them (no
   * allocation to join or leave it, where a Set measured ~3% of a connection-per-request
   * server's throughput). All wait the same `headerTimeout`, so their deadlines come in the
   * same order, and one timer for the oldest serves them all.
   */
  oldest: Connection | null;
  newest: Connection | null;
  pending: number;
  /** The deadline timer of the oldest pending connection, if one is armed. */
  timer: NodeJS.Timeout | null;
  stats: Omit<ProxyProtocolStats, 'pending'>;
}

/** Per connection: while the header is awaited, then what it said. */
interface Connection {
  state: ServerState;
  socket: ProxiedSocket;
  /** Neighbours in the server's list of connections awaiting their header. */
  older: Connection | null;
  newer: Connection | null;
  waiting: boolean;
  /** The bytes of an incomplete header so far (at most 107 for v1, 15 for a v2 start). */
  buffer: Buffer | null;
  /** A v2 header whose length is known: one buffer of that length, `received` bytes filled. */
  partial: Buffer | null;
  received: number;
  /** When the header is due (`performance.now()` time), with a header timeout. */
  deadline: number;
  header: ProxyHeader | undefined;
  /** The real peer, once read (see `readPeer`). */
  peer: RealPeer | undefined;
  /** `getProxyProtocolInfo()`, made on first use and shared by the connection's requests. */
  info: ProxyProtocolInfo | undefined;
  /** Node's read callback of the TCP handle, while ours stands in for it (see `readFromHandle`). */
  onread: HandleReadCallback | null;
  /** The bytes ours has been handed so far, to check each read against `socket.bytesRead`. */
  bytesRead: number;
}

/** What a stream handle calls for each read: an ArrayBuffer of the bytes, or none at the end. */
type HandleReadCallback = (this: StreamHandle, arrayBuffer?: ArrayBuffer) => unknown;

/** The TCP handle under a socket (`socket._handle`), as far as the socket layer touches it. */
type StreamHandle = object & {
  getpeername?: unknown;
  onread?: unknown;
  [kPeer]?: RealPeer;
  [kConnection]?: Connection;
};

const kState = Symbol('proxyproto.server');
const kConnection = Symbol('proxyproto.connection');
const kPeer = Symbol('proxyproto.peer');

type ProxiedServer = Server & { [kState]?: ServerState };
type ProxiedSocket = Socket & {
  [kConnection]?: Connection;
  _peername?: { address: string; port: number; family: string };
  _handle?: StreamHandle | null;
  _parent?: ProxiedSocket;
};

function invalidOption(message: string): never {
  throw new ProxyProtocolError(ErrorCodes.INVALID_OPTION, message);
}

function readOptions(options: ProxyProtocolOptions) {
  if (options === null || typeof options !== 'object') invalidOption('options must be an object');
  const { untrusted = 'reject', headerTimeout = DEFAULT_HEADER_TIMEOUT } = options;
  const { maxHeaderSize = DEFAULT_MAX_HEADER_SIZE, onError } = options;
  if (untrusted !== 'reject' && untrusted !== 'direct') {
    invalidOption(`untrusted must be 'reject' or 'direct', not ${String(untrusted)}`);
  }
  if (typeof headerTimeout !== 'number' || !(headerTimeout >= 0) || headerTimeout > 2 ** 31 - 1) {
    invalidOption('headerTimeout must be a number of milliseconds (0 disables it)');
  }
  if (
    !Number.isInteger(maxHeaderSize) ||
    maxHeaderSize < V1_MAX_LENGTH ||
    maxHeaderSize > V2_MAX_LENGTH
  ) {
    invalidOption(`maxHeaderSize must be an integer from ${V1_MAX_LENGTH} to ${V2_MAX_LENGTH}`);
  }
  if (onError !== undefined && typeof onError !== 'function') {
    invalidOption('onError must be a function');
  }
  return {
    trust: compileTrust(options.trusted),
    trustsAll: options.trusted === undefined || options.trusted === true,
    direct: untrusted === 'direct',
    headerTimeout,
    maxHeaderSize,
    onError,
  };
}

/**
 * Makes `server` (net, http, https, http2, tls) require a PROXY protocol header on every
 * connection from a trusted peer before the server sees the connection, and report the header's
 * source as `socket.remoteAddress` / `remotePort` / `remoteFamily`. Call it before or after
 * `listen()`; it returns the server.
 */
export function enableProxyProtocol<S extends Server>(
  server: S,
  options: ProxyProtocolOptions = {},
): S {
  if (
    server === null ||
    typeof server !== 'object' ||
    typeof (server as Partial<Server>).listeners !== 'function'
  ) {
    invalidOption('enableProxyProtocol() needs a net.Server (http, https, http2, tls or net)');
  }
  const target = server as ProxiedServer;
  if (target[kState] !== undefined) {
    invalidOption('PROXY protocol is already enabled on this server');
  }
  const pauseOnConnect = (server as { pauseOnConnect?: boolean }).pauseOnConnect === true;
  const state: ServerState = {
    server,
    listeners: [],
    ...readOptions(options),
    wrapsHandle: server instanceof TlsServer,
    pauseOnConnect,
    putBackAfterHandOver: server instanceof HttpServer && !pauseOnConnect,
    oldest: null,
    newest: null,
    pending: 0,
    timer: null,
    stats: { accepted: 0, local: 0, direct: 0, refused: {} },
  };
  target[kState] = state;
  moveListeners(server, state);
  server.on('connection', onConnection);
  // Connection listeners added later (`server.on('connection', ...)` after this call) are moved
  // behind the header too. A microtask runs before any I/O, so no connection can slip past.
  server.on('newListener', (event: string | symbol, listener: ConnectionListener) => {
    if (event === 'connection' && listener !== onConnection) {
      queueMicrotask(() => moveListeners(server, state));
    }
  });
  // Sockets handed in with server.emit('connection') are not the server's own: they may still
  // wait when it closes, and keep the timer.
  server.on('close', () => {
    if (state.oldest === null && state.timer !== null) {
      clearTimeout(state.timer);
      state.timer = null;
    }
  });
  wrapCloseMethod(server, state, 'closeAllConnections');
  wrapCloseMethod(server, state, 'closeIdleConnections');
  return server;
}

/**
 * Moves the server's connection listeners other than ours behind the header, as the server
 * holds them (see `adopt` for once() wrappers): those before ours in the server's list (all of
 * them before ours is added; later, prependListener() ones) run before the ones already moved,
 * the rest after.
 */
function moveListeners(server: Server, state: ServerState): void {
  const raw = server.rawListeners('connection') as ConnectionListener[];
  const at = raw.indexOf(onConnection);
  const before = at < 0 ? raw : raw.slice(0, at);
  const after = at < 0 ? [] : raw.slice(at + 1);
  for (const moved of [...before, ...after]) server.removeListener('connection', moved);
  state.listeners = [
    ...before.map((listener) => adopt(state, listener)),
    ...state.listeners,
    ...after.map((listener) => adopt(state, listener)),
  ];
}

/** `closeAllConnections()` / `closeIdleConnections()` also close connections still awaiting a header. */
function wrapCloseMethod(server: Server, state: ServerState, name: string): void {
  const target = server as unknown as Record<string, unknown>;
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function closeWithPending(this: Server, ...args: unknown[]) {
    for (let c = state.oldest; c !== null; ) {
      const { socket, newer } = c;
      finishWaiting(socket, state);
      socket.destroy();
      c = newer;
    }
    return original.apply(this, args);
  };
}

function onConnection(this: ProxiedServer, socket: ProxiedSocket): void {
  const state = this[kState] as ServerState;
  const connection: Connection = {
    state,
    socket,
    older: null,
    newer: null,
    waiting: false,
    buffer: null,
    partial: null,
    received: 0,
    deadline: 0,
    header: undefined,
    peer: undefined,
    info: undefined,
    onread: null,
    bytesRead: 0,
  };
  socket[kConnection] = connection;
  // The real peer is read from the kernel only when something needs it: a trust list (here),
  // a header split over reads, a refusal, getRealPeer() (see `readPeer`). A getpeername per
  // connection measured ~5% of a connection-per-request server's throughput, and after the
  // header nothing else needs it: the socket then reports the header's client.
  if (!state.trustsAll) {
    const address = readPeer(connection)?.address;
    // A UNIX socket peer has no address: no trust list can name it, so it is held to a header
    // as a trusted peer is (as before trust lists existed for it).
    if (address !== undefined && !state.trust(address)) {
      if (state.direct) {
        state.stats.direct++;
        handOver(state, socket);
        return;
      }
      refuse(
        state,
        socket,
        protocolError(
          ErrorCodes.UNTRUSTED_SOURCE,
          `PROXY protocol connection refused: ${address} is not a trusted source`,
        ),
      );
      return;
    }
  }
  if (state.headerTimeout > 0) {
    // No timer per connection (one measured ~2% of a connection-per-request server's
    // throughput): a deadline, and the server's one timer armed for the oldest.
    connection.deadline = performance.now() + state.headerTimeout;
    if (state.timer === null) armDeadlines(state, state.headerTimeout);
  }
  connection.waiting = true;
  connection.older = state.newest;
  if (state.newest === null) state.oldest = connection;
  else state.newest.newer = connection;
  state.newest = connection;
  state.pending++;
  if (state.pauseOnConnect || !readFromHandle(connection)) {
    readFromStream(socket);
    if (state.pauseOnConnect) socket.resume();
  }
}

/** Set when a read did not add up on this Node: the header is then read from the stream. */
let handleReadsDiffer = false;

/**
 * Reads the header where Node's socket gets its bytes, the TCP handle's `onread` callback, in
 * place of Node's own until the header is in. Node calls it with an ArrayBuffer of exactly the
 * bytes read, which ours decodes where they lie; Node's own callback would wrap them in a Buffer
 * and run them through the readable stream to a 'data' listener, with a listener for 'end' and
 * one for 'error' beside it, and the stream's flowing state to undo before the hand-over. That
 * measured 1.7%-1.8% of a connection-per-request server's throughput (40 and 30 rounds). The
 * socket's own `bytesRead` confirms every read: a read that does not add up, the end of the
 * stream and an error all go to Node's callback, and the stream takes over (`readFromStream`).
 * Nothing else can raise 'error' on the socket meanwhile: nobody else holds a socket the server
 * accepted itself, and nothing writes to it. `onread` is Node's internal, as `_peername` is (see
 * `setRemote`); a Node without it, a server paused on connect and a socket handed in read the
 * header from the stream.
 */
function readFromHandle(connection: Connection): boolean {
  const { socket } = connection;
  const handle = socket._handle;
  if (handleReadsDiffer || !handle || typeof handle.onread !== 'function') return false;
  // A socket handed in with `server.emit('connection')` is read through its stream, as before:
  // it may hold bytes put back by a sniffer in front, be paused, have an idle timeout or 'data'
  // listeners of its own, and its previous owner may still write to it (and so fail with an
  // 'error' that needs a listener). Only a socket this server accepted is known to be fresh.
  if ((socket as { server?: unknown }).server !== connection.state.server) return false;
  connection.onread = handle.onread as HandleReadCallback;
  handle[kConnection] = connection;
  handle.onread = onHandleRead;
  return true;
}

function onHandleRead(this: StreamHandle, arrayBuffer?: ArrayBuffer): unknown {
  const connection = this[kConnection] as Connection;
  const { socket } = connection;
  const onread = connection.onread as HandleReadCallback;
  if (arrayBuffer !== undefined) {
    const bytesRead = connection.bytesRead + arrayBuffer.byteLength;
    if (bytesRead === socket.bytesRead) {
      connection.bytesRead = bytesRead;
      onData.call(socket, Buffer.from(arrayBuffer));
      return undefined;
    }
    handleReadsDiffer = true;
  }
  // Node's callback turns the end of the stream into 'end', an error into 'error', and a read
  // ours cannot account for into a chunk for onData: the stream's listeners take them from here.
  stopReadingFromHandle(connection);
  readFromStream(socket);
  return onread.call(this, arrayBuffer);
}

function stopReadingFromHandle(connection: Connection): void {
  const handle = connection.socket._handle;
  if (handle && handle.onread === onHandleRead) handle.onread = connection.onread;
  connection.onread = null;
}

function readFromStream(socket: ProxiedSocket): void {
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onSocketError);
}

function onData(this: ProxiedSocket, chunk: Buffer): void {
  const connection = this[kConnection] as Connection;
  const { state } = connection;
  let bytes: Buffer;
  // The bytes of this read past a v2 header completed in `partial`: the application's, put back
  // as they are rather than copied after the header.
  let beyond: Buffer | null = null;
  const { partial } = connection;
  if (partial !== null) {
    // The rest of a v2 header: nothing in it can be judged before the whole has arrived, so
    // each read is copied once into the header's own buffer (no copy of all so far per read,
    // and no Buffer kept per read of a sender trickling a byte at a time).
    const take = Math.min(chunk.length, partial.length - connection.received);
    chunk.copy(partial, connection.received, 0, take);
    connection.received += take;
    if (connection.received < partial.length) return;
    connection.partial = null;
    bytes = partial;
    if (take < chunk.length) beyond = chunk.subarray(take);
  } else {
    bytes = connection.buffer === null ? chunk : Buffer.concat([connection.buffer, chunk]);
  }
  // A v2 header announces its length in its first 16 bytes: refuse an oversized one before
  // decoding any of it (its TLVs and CRC32C could be 64 KiB of work).
  const needed = declaredV2Length(bytes);
  if (needed > state.maxHeaderSize) {
    refuse(
      state,
      this,
      protocolError(
        ErrorCodes.HEADER_TOO_LONG,
        `PROXY v2 header of ${needed} bytes is longer than maxHeaderSize (${state.maxHeaderSize})`,
      ),
    );
    return;
  }
  let result: ReturnType<typeof decode>;
  try {
    result = decode(bytes);
  } catch (error) {
    refuse(state, this, error as ProxyProtocolError);
    return;
  }
  if (result === null) {
    // More to wait for: read the peer while it can be read. A reset makes the kernel forget it
    // (getpeername fails with ENOTCONN), and the refusal should still name it.
    readPeer(connection);
    if (needed > 0) {
      connection.buffer = null;
      connection.partial = Buffer.allocUnsafe(needed);
      bytes.copy(connection.partial);
      connection.received = bytes.length;
    } else {
      connection.buffer = bytes; // the start of a v1 line, or of the v2 fixed part
    }
    return;
  }
  finishWaiting(this, state);
  const { header } = result;
  connection.header = header;
  const { source } = header;
  if (
    source !== undefined &&
    header.command === 'PROXY' &&
    (header.family === 'IPv4' || header.family === 'IPv6')
  ) {
    setRemote(this, state, {
      address: source.address,
      port: source.port as number,
      family: header.family,
    });
    state.stats.accepted++;
  } else {
    state.stats.local++;
  }
  // What followed the header in this read is the application's first bytes (an HTTP request,
  // a TLS ClientHello): back into the socket, for the server's handler. Flowing stops first,
  // or the stream would emit them again before anyone listens. Then the socket is left as a
  // fresh one is: the first 'data' listener (http), a read() (tls, http2), resume() or pipe()
  // start it; with pauseOnConnect it stays paused until resume().
  if (state.pauseOnConnect) this.pause();
  else (this as { readableFlowing: boolean | null }).readableFlowing = null;
  // HTTP/1 gets them after the hand-over, as if they had just arrived: the parser's 'data'
  // listener has made the socket flowing, so unshift() hands them straight to it, where before
  // the hand-over they would wait in the buffer for the stream to flow on the next tick (that
  // path measured ~2-3% of a connection-per-request server's throughput). Not TLS and HTTP/2,
  // which take buffered bytes while they set up, nor a net.Server, whose connection listener
  // may do the same (wrap the socket in TLS).
  // (`partial` holds exactly the length its header announced, so `beyond` is all that follows.)
  const rest = result.length < bytes.length ? bytes.subarray(result.length) : beyond;
  const after = state.putBackAfterHandOver;
  if (rest !== null && !after) this.unshift(rest);
  handOver(state, this);
  if (rest !== null && after && !this.destroyed) this.unshift(rest);
}

/** The length a v2 header announces once its signature and 16 bytes are in, or 0. */
function declaredV2Length(bytes: Buffer): number {
  if (bytes.length < V2_FIXED_LENGTH || bytes[0] !== 0x0d) return 0;
  for (let i = 1; i < V2_SIGNATURE.length; i++) if (bytes[i] !== V2_SIGNATURE[i]) return 0;
  return V2_FIXED_LENGTH + (((bytes[14] as number) << 8) | (bytes[15] as number));
}

let peernameWorks: boolean | undefined;

function getProxiedPeername(
  this: { [kPeer]: RealPeer },
  out: { address?: string; port?: number; family?: string },
): number {
  const peer = this[kPeer];
  out.address = peer.address;
  out.port = peer.port;
  out.family = peer.family;
  return 0;
}

/**
 * Makes the socket report the client. Node caches the peer in `socket._peername` and reads it
 * from there first; setting it costs nothing per access, where redefining `remoteAddress` per
 * socket measurably slows every request on the connection. The first connection checks that
 * this still works on the running Node, and falls back to defining the properties if not.
 */
function setRemote(socket: ProxiedSocket, state: ServerState, peer: RealPeer): void {
  socket._peername = peer;
  if (state.wrapsHandle) {
    // TLS sockets ask the TCP handle underneath for the peer: answer for it.
    const handle = socket._handle;
    if (handle) {
      handle[kPeer] = peer;
      handle.getpeername = getProxiedPeername;
    }
  }
  if (peernameWorks === undefined) peernameWorks = socket.remoteAddress === peer.address;
  if (!peernameWorks) {
    Object.defineProperties(socket, {
      remoteAddress: { value: peer.address, configurable: true },
      remotePort: { value: peer.port, configurable: true },
      remoteFamily: { value: peer.family, configurable: true },
    });
  }
}

/**
 * A connection listener as the core keeps it. A `once()` wrapper (it carries the original as
 * `listener`) becomes a one-shot of ours that leaves the list when it runs, so it neither runs
 * twice nor stays in the list for good.
 */
function adopt(state: ServerState, raw: ConnectionListener): ConnectionListener {
  const original = (raw as { listener?: ConnectionListener }).listener;
  if (typeof original !== 'function') return raw;
  const oneShot: ConnectionListener = function (this: Server, socket: Socket) {
    // A new array: handOver() may be walking the old one.
    state.listeners = state.listeners.filter((listener) => listener !== oneShot);
    original.call(this, socket);
  };
  return oneShot;
}

function handOver(state: ServerState, socket: Socket): void {
  const { listeners, server } = state;
  for (let i = 0; i < listeners.length; i++)
    (listeners[i] as ConnectionListener).call(server, socket);
}

/** Stops waiting for the header: listeners, the pending list (and so its deadline). */
function finishWaiting(socket: ProxiedSocket, state: ServerState): void {
  const connection = socket[kConnection];
  if (connection === undefined || !connection.waiting) return;
  if (connection.onread !== null) stopReadingFromHandle(connection);
  else {
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('error', onSocketError);
  }
  connection.waiting = false;
  connection.buffer = null;
  connection.partial = null;
  const { older, newer } = connection;
  if (older === null) state.oldest = newer;
  else older.newer = newer;
  if (newer === null) state.newest = older;
  else newer.older = older;
  connection.older = null;
  connection.newer = null;
  state.pending--;
}

/**
 * The connection's real peer: read once, from the raw socket's TCP handle itself, past
 * `_peername` and the TLS answer that `setRemote` put in place (both say the header's client).
 * Undefined when it cannot be read: a stream that is not a TCP socket, or a connection closed
 * or reset before anything read it (the kernel no longer knows the peer).
 */
function readPeer(connection: Connection): RealPeer | undefined {
  if (connection.peer === undefined) {
    const handle = connection.socket._handle;
    const getpeername = handle ? Object.getPrototypeOf(handle)?.getpeername : undefined;
    if (typeof getpeername === 'function') {
      const out: Partial<RealPeer> = {};
      if (getpeername.call(handle, out) === 0 && out.address !== undefined) {
        connection.peer = {
          address: out.address,
          port: out.port as number,
          family: out.family as string,
        };
      }
    }
  }
  return connection.peer;
}

function refuse(state: ServerState, socket: ProxiedSocket, error: ProxyProtocolError): void {
  const connection = socket[kConnection];
  const peer = connection && readPeer(connection);
  const remoteAddress = peer?.address;
  const remotePort = peer?.port;
  finishWaiting(socket, state);
  socket.destroy();
  const { refused } = state.stats;
  refused[error.code] = (refused[error.code] ?? 0) + 1;
  const info: RefusedConnection = { remoteAddress, remotePort, socket };
  state.onError?.(error, info);
  if (state.server.listenerCount(PROXY_PROTOCOL_ERROR_EVENT) > 0) {
    state.server.emit(PROXY_PROTOCOL_ERROR_EVENT, error, info);
  }
}

function armDeadlines(state: ServerState, delay: number): void {
  state.timer = setTimeout(closeOverdue, Math.max(1, Math.ceil(delay)), state);
  state.timer.unref();
}

/** Refuses every pending connection past its deadline, then waits for the next deadline. */
function closeOverdue(state: ServerState): void {
  state.timer = null;
  const now = performance.now();
  try {
    // Each refusal takes the oldest off the list (an onError hook may take others off too).
    for (let c = state.oldest; c !== null && c.deadline <= now; c = state.oldest) {
      refuse(
        state,
        c.socket,
        protocolError(
          ErrorCodes.HEADER_TIMEOUT,
          `No complete PROXY header within ${state.headerTimeout} ms`,
        ),
      );
    }
  } finally {
    // Also when an onError hook or event listener threw: the rest still have deadlines.
    const next = state.oldest;
    if (next !== null && state.timer === null) armDeadlines(state, next.deadline - now);
  }
}

function onEnd(this: ProxiedSocket): void {
  const connection = this[kConnection] as Connection;
  refuse(
    connection.state,
    this,
    protocolError(
      ErrorCodes.INCOMPLETE_HEADER,
      'Connection closed by the peer before a complete PROXY header',
    ),
  );
}

function onSocketError(this: ProxiedSocket, cause: Error): void {
  const connection = this[kConnection] as Connection;
  refuse(
    connection.state,
    this,
    new ProxyProtocolError(
      ErrorCodes.SOCKET_ERROR,
      `Socket error before a complete PROXY header: ${cause.message}`,
      { cause },
    ),
  );
}

function connectionOf(socket: unknown): Connection | undefined {
  if (socket === null || typeof socket !== 'object') return undefined;
  const s = socket as ProxiedSocket;
  // A TLS socket (https, http2) wraps the raw socket the header arrived on.
  return s[kConnection] ?? s._parent?.[kConnection];
}

/**
 * The PROXY header a connection arrived with, or undefined (no header read: not a PROXY
 * server, an untrusted peer served directly). Takes a socket, a TLS socket or `req.socket`.
 */
export function getProxyHeader(socket: unknown): ProxyHeader | undefined {
  return connectionOf(socket)?.header;
}

/**
 * The peer the connection really came from, the load balancer, whatever the header said.
 * For connections that carried no header, the socket's own peer.
 */
export function getRealPeer(socket: unknown): RealPeer | undefined {
  const connection = connectionOf(socket);
  if (connection?.header !== undefined) return readPeer(connection);
  const s = socket as Partial<Socket> | null;
  if (s?.remoteAddress === undefined) return undefined;
  return {
    address: s.remoteAddress,
    port: s.remotePort as number,
    family: s.remoteFamily as string,
  };
}

/**
 * The header and the real peer of a connection in one object (what adapters put on the
 * request), or undefined when no header was read. Made once per connection.
 */
export function getProxyProtocolInfo(socket: unknown): ProxyProtocolInfo | undefined {
  const connection = connectionOf(socket);
  if (connection?.header === undefined) return undefined;
  if (connection.info === undefined) {
    const realPeer = readPeer(connection);
    if (realPeer === undefined) return undefined;
    connection.info = { ...connection.header, realPeer };
  }
  return connection.info;
}

/** Checks options as `enableProxyProtocol` would, without a server: to fail at startup. */
export function validateProxyProtocolOptions(options: ProxyProtocolOptions): void {
  readOptions(options);
}

/** True once `enableProxyProtocol` has been called on the server. */
export function isProxyProtocolEnabled(server: unknown): boolean {
  return (server as ProxiedServer | null)?.[kState] !== undefined;
}

/**
 * True if the connection was accepted by a server with `enableProxyProtocol`: it either carried
 * a header or came from an untrusted peer served directly. Adapters use it to detect a server
 * that was never set up.
 */
export function isProxyProtocolConnection(socket: unknown): boolean {
  return connectionOf(socket) !== undefined;
}

/** Counters for the server since `enableProxyProtocol`, or undefined if it is not enabled. */
export function getProxyProtocolStats(server: Server): ProxyProtocolStats | undefined {
  const state = (server as ProxiedServer)[kState];
  if (state === undefined) return undefined;
  const { accepted, local, direct, refused } = state.stats;
  return { accepted, local, direct, pending: state.pending, refused: { ...refused } };
}
