import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { base64UrlEncode } from '@openmyna/core';

import { MemoryRelaySessions, type RelayPeer, type RelaySessions } from './relay-sessions.js';

export interface MdocRelayOptions {
  /** Largest frame forwarded, in bytes (a DeviceResponse with a portrait is tens of KB). Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** A session with no traffic is closed after this many milliseconds. Default 5 minutes. */
  readonly idleTimeoutMs?: number;
  /** Frames buffered for a peer that has not connected yet (in-memory sessions). Default 8. */
  readonly maxQueuedMessages?: number;
  /** Bytes of those frames, in all (in-memory sessions). Default 2 MiB. */
  readonly maxQueuedBytes?: number;
  /**
   * Bytes waiting in a WebSocket's send buffer (a peer that stops reading) past which its session is
   * closed (1008), so a reader that reads nothing cannot make the relay buffer without bound; the same
   * bound holds a sender's frames waiting for a store that stalls (`RELAY_SENDER_BACKLOG`). Default
   * 4 × `maxMessageBytes`; keep it at least `maxMessageBytes`, or a largest frame always closes.
   */
  readonly maxBufferedBytes?: number;
  /**
   * Whether an upgrade from `source` (the client's address, by `sourceAddress`) may go on; false is
   * answered `429 Too Many Requests`, a throw `503`. A rate limit per source, e.g. token buckets shared
   * through Redis. Default: every upgrade may.
   */
  readonly admitSource?: (source: string) => boolean | Promise<boolean>;
  /**
   * The client's address of an upgrade request. Default: the TCP peer's; behind a reverse proxy, the
   * address it forwarded (the service's `clientAddress`). Undefined: not limited.
   */
  readonly sourceAddress?: (request: IncomingMessage) => string | undefined;
  /**
   * Where sessions live: in this process (default), or `RedisRelaySessions` when several instances
   * serve `/relay` behind one address. The relay closes them when it closes.
   */
  readonly sessions?: RelaySessions;
  /** Called per forwarded frame with its size only: the relay never looks inside (it is ciphertext). */
  readonly onForward?: (session: string, bytes: Uint8Array) => void;
}

/** A WebSocket of this instance and its place in a session. */
interface Connection {
  readonly id: string;
  readonly ws: WebSocket;
  readonly peer: RelayPeer;
  readonly timer: NodeJS.Timeout;
  /** Frames go to the store one after the other, and leaving waits for them: order is kept. */
  sending: Promise<void>;
  /** Bytes of the frames in `sending` not yet taken by the store, bounded by `maxBufferedBytes`. */
  waitingBytes: number;
  left: Promise<void> | undefined;
}

const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** The close code and reason of a session whose peer stopped reading (RFC 6455 §7.4.1: policy violation). */
export const RELAY_SLOW_READER = { code: 1008, reason: 'the peer does not read its frames' } as const;

/** The close code and reason of a peer whose frames wait for the store past `maxBufferedBytes` (RFC 6455 §7.4.1). */
export const RELAY_SENDER_BACKLOG = { code: 1008, reason: 'the relay cannot keep up with the peer' } as const;

/** Options the relay keeps, defaults applied. */
type ResolvedOptions = Required<Omit<MdocRelayOptions, 'onForward' | 'sessions' | 'admitSource' | 'sourceAddress'>> &
  Pick<MdocRelayOptions, 'onForward' | 'admitSource' | 'sourceAddress'>;

function resolveOptions(options: MdocRelayOptions): ResolvedOptions {
  const maxMessageBytes = options.maxMessageBytes ?? 1 << 20;
  return {
    maxMessageBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? 5 * 60_000,
    maxQueuedMessages: options.maxQueuedMessages ?? 8,
    maxQueuedBytes: options.maxQueuedBytes ?? 2 << 20,
    maxBufferedBytes: options.maxBufferedBytes ?? 4 * maxMessageBytes,
    ...(options.onForward ? { onForward: options.onForward } : {}),
    ...(options.admitSource ? { admitSource: options.admitSource } : {}),
    ...(options.sourceAddress ? { sourceAddress: options.sourceAddress } : {}),
  };
}

/** A fresh, unguessable relay session id (128 bits, base64url). */
export function newRelaySessionId(): string {
  return base64UrlEncode(randomBytes(16));
}

function refuse(socket: Socket, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
}

/**
 * The WebSocket relay of in-person presentations (DESIGN.md flow 4): holder and reader connect to
 * `/relay/<session>` and every binary frame from one is forwarded to the other. The relay holds no
 * keys and sees only SessionEstablishment and SessionData — the reader's ephemeral public key and
 * AES-GCM ciphertext. A session admits two peers; a third is refused (409). With `sessions` shared
 * through Redis, the two peers may reach different instances.
 *
 * @example
 * ```ts
 * const relay = new MdocRelay();
 * const { url } = await relay.listen(0, '127.0.0.1');
 * const holder = await MdocHolderSession.create({ crypto, relay: { url: `${url}/relay`, session: newRelaySessionId() } });
 * ```
 */
export class MdocRelay {
  readonly #sessions: RelaySessions;
  /** This instance's WebSockets, by session. */
  readonly #connections = new Map<string, Set<Connection>>();
  readonly #leaving = new Set<Promise<void>>();
  readonly #server: WebSocketServer;
  #http: Server | undefined;
  readonly #options: ResolvedOptions;

  constructor(options: MdocRelayOptions = {}) {
    this.#options = resolveOptions(options);
    this.#sessions =
      options.sessions ?? new MemoryRelaySessions(this.#options.maxQueuedMessages, this.#options.maxQueuedBytes);
    this.#server = new WebSocketServer({ noServer: true, maxPayload: this.#options.maxMessageBytes });
  }

  /** Handles an HTTP upgrade for `/relay/<session>`; returns false for other paths (so services can share a server). */
  handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): boolean {
    // The request-target as sent, without parsing it as a URL: `//`, `//x:y@` and the like are not
    // URLs, and an exception here would end the process (it runs in the server's 'upgrade' listener).
    const path = (request.url ?? '/').split(/[?#]/, 1)[0]!;
    const match = /^\/relay\/([^/]+)$/.exec(path);
    if (!match || !SESSION_ID.test(match[1]!)) return false;
    void this.#admit(match[1]!, request, socket, head);
    return true;
  }

  /** Starts a standalone HTTP server for the relay. Resolves to its base URL (`ws://host:port/relay`). */
  async listen(port: number, host = '127.0.0.1'): Promise<{ url: string }> {
    const http = createServer((_request, response) =>
      response.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n'),
    );
    http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      if (!this.handleUpgrade(request, socket, head)) refuse(socket, '404 Not Found');
    });
    await new Promise<void>((resolve) => http.listen(port, host, resolve));
    this.#http = http;
    const address = http.address() as AddressInfo;
    return { url: `ws://${host}:${address.port}/relay` };
  }

  /** Closes every WebSocket of this instance (ending their sessions), then the sessions store and the server. */
  async close(): Promise<void> {
    for (const connections of [...this.#connections.values()])
      for (const connection of connections) {
        connection.ws.terminate();
        this.#release(connection);
      }
    await Promise.allSettled([...this.#leaving]);
    await this.#sessions.close();
    this.#server.close();
    const http = this.#http;
    if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  /** Sessions with at least one peer connected to this instance. */
  get activeSessions(): number {
    return this.#connections.size;
  }

  /** Whether the upgrade's source is within its rate (true when no limit is set or the source is unknown). */
  async #sourceAdmitted(request: IncomingMessage): Promise<boolean> {
    const { admitSource, sourceAddress } = this.#options;
    if (!admitSource) return true;
    const source = sourceAddress ? sourceAddress(request) : request.socket.remoteAddress;
    return source === undefined || (await admitSource(source));
  }

  /**
   * Checks the source's rate, takes a place in the session, then completes the WebSocket handshake
   * (429 past the rate, 409 when the session is full, 503 when the limiter or the store fails).
   */
  async #admit(id: string, request: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    let peer: RelayPeer | undefined;
    try {
      if (!(await this.#sourceAdmitted(request))) return refuse(socket, '429 Too Many Requests');
      peer = await this.#sessions.join(id);
    } catch {
      return refuse(socket, '503 Service Unavailable');
    }
    if (!peer) return refuse(socket, '409 Conflict');
    const joined = peer;
    const abandon = () => void joined.leave().catch(() => undefined);
    if (socket.destroyed) return abandon();
    socket.once('close', abandon);
    this.#server.handleUpgrade(request, socket, head, (ws) => {
      socket.off('close', abandon);
      this.#connect(id, joined, ws);
    });
  }

  #connect(id: string, peer: RelayPeer, ws: WebSocket): void {
    const connection: Connection = {
      id,
      ws,
      peer,
      timer: setTimeout(() => this.#finish(connection, 1000, 'session ended'), this.#options.idleTimeoutMs),
      sending: Promise.resolve(),
      waitingBytes: 0,
      left: undefined,
    };
    let local = this.#connections.get(id);
    if (!local) this.#connections.set(id, (local = new Set()));
    local.add(connection);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return ws.close(1003, 'binary frames only');
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      // A store that stalls (Redis reconnecting) must not make the relay hold a sender's frames without bound.
      if (connection.waitingBytes + bytes.byteLength > this.#options.maxBufferedBytes)
        return this.#finish(connection, RELAY_SENDER_BACKLOG.code, RELAY_SENDER_BACKLOG.reason);
      connection.waitingBytes += bytes.byteLength;
      connection.timer.refresh();
      this.#options.onForward?.(id, bytes);
      connection.sending = connection.sending
        .then(() => peer.send(bytes))
        .finally(() => (connection.waitingBytes -= bytes.byteLength))
        .then(
          (result) => {
            if (result === 'full') this.#finish(connection, 1008, 'the peer has not connected');
            else if (result === 'ended') this.#finish(connection, 1000, 'session ended');
          },
          () => this.#finish(connection, 1011, 'the relay is unavailable'),
        );
    });
    ws.on('close', () => this.#release(connection));
    ws.on('error', () => this.#release(connection));
    peer
      .start({
        frame: (bytes) => this.#deliver(connection, bytes),
        end: (error) =>
          error === undefined
            ? this.#finish(connection, 1000, 'session ended')
            : this.#finish(connection, 1011, 'the relay is unavailable'),
      })
      .catch(() => this.#finish(connection, 1011, 'the relay is unavailable'));
  }

  /**
   * Sends the other peer's frame on this WebSocket, unless that would put more than `maxBufferedBytes`
   * in its send buffer: a peer that does not read ends the session instead of growing the buffer.
   */
  #deliver(connection: Connection, bytes: Uint8Array): void {
    const { ws } = connection;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount + bytes.byteLength > this.#options.maxBufferedBytes)
      return this.#finish(connection, RELAY_SLOW_READER.code, RELAY_SLOW_READER.reason);
    connection.timer.refresh();
    ws.send(bytes, { binary: true });
  }

  /** Closes the WebSocket and leaves the session at once (a client that never answers the close does not hold it). */
  #finish(connection: Connection, code: number, reason: string): void {
    if (connection.ws.readyState === WebSocket.OPEN || connection.ws.readyState === WebSocket.CONNECTING)
      connection.ws.close(code, reason);
    this.#release(connection);
  }

  /** Leaves the session once the frames already accepted from this WebSocket have gone to the store. */
  #release(connection: Connection): void {
    if (connection.left) return;
    clearTimeout(connection.timer);
    const local = this.#connections.get(connection.id);
    local?.delete(connection);
    if (local?.size === 0) this.#connections.delete(connection.id);
    const left = connection.sending.then(() => connection.peer.leave()).catch(() => undefined);
    connection.left = left;
    this.#leaving.add(left);
    void left.finally(() => this.#leaving.delete(left));
  }
}
