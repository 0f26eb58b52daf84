import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { base64UrlEncode } from '@openmyna/core';

export interface MdocRelayOptions {
  /** Largest frame forwarded, in bytes (a DeviceResponse with a portrait is tens of KB). Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** A session with no traffic is closed after this many milliseconds. Default 5 minutes. */
  readonly idleTimeoutMs?: number;
  /** Frames buffered for a peer that has not connected yet. Default 8. */
  readonly maxQueuedMessages?: number;
  /** Called per forwarded frame with its size only: the relay never looks inside (it is ciphertext). */
  readonly onForward?: (session: string, bytes: Uint8Array) => void;
}

interface RelaySession {
  readonly peers: WebSocket[];
  readonly queued: { from: WebSocket; data: Buffer }[];
  timer: NodeJS.Timeout;
}

const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** A fresh, unguessable relay session id (128 bits, base64url). */
export function newRelaySessionId(): string {
  return base64UrlEncode(randomBytes(16));
}

/**
 * The WebSocket relay of in-person presentations (DESIGN.md flow 4): holder and reader connect to
 * `/relay/<session>` and every binary frame from one is forwarded to the other. The relay holds no
 * keys and sees only SessionEstablishment and SessionData — the reader's ephemeral public key and
 * AES-GCM ciphertext. A session admits two peers; a third is refused.
 *
 * @example
 * ```ts
 * const relay = new MdocRelay();
 * const { url } = await relay.listen(0, '127.0.0.1');
 * const holder = await MdocHolderSession.create({ crypto, relay: { url: `${url}/relay`, session: newRelaySessionId() } });
 * ```
 */
export class MdocRelay {
  readonly #sessions = new Map<string, RelaySession>();
  readonly #server: WebSocketServer;
  #http: Server | undefined;
  readonly #options: Required<Omit<MdocRelayOptions, 'onForward'>> & Pick<MdocRelayOptions, 'onForward'>;

  constructor(options: MdocRelayOptions = {}) {
    this.#options = {
      maxMessageBytes: options.maxMessageBytes ?? 1 << 20,
      idleTimeoutMs: options.idleTimeoutMs ?? 5 * 60_000,
      maxQueuedMessages: options.maxQueuedMessages ?? 8,
      ...(options.onForward ? { onForward: options.onForward } : {}),
    };
    this.#server = new WebSocketServer({ noServer: true, maxPayload: this.#options.maxMessageBytes });
  }

  /** Handles an HTTP upgrade for `/relay/<session>`; returns false for other paths (so services can share a server). */
  handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): boolean {
    const match = /^\/relay\/([^/?#]+)$/.exec(new URL(request.url ?? '/', 'http://relay').pathname);
    if (!match || !SESSION_ID.test(match[1]!)) return false;
    const id = match[1]!;
    const existing = this.#sessions.get(id);
    if (existing && existing.peers.length >= 2) {
      socket.end('HTTP/1.1 409 Conflict\r\nConnection: close\r\n\r\n');
      return true;
    }
    this.#server.handleUpgrade(request, socket, head, (ws) => this.#join(id, ws));
    return true;
  }

  /** Starts a standalone HTTP server for the relay. Resolves to its base URL (`ws://host:port/relay`). */
  async listen(port: number, host = '127.0.0.1'): Promise<{ url: string }> {
    const http = createServer((_request, response) =>
      response.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n'),
    );
    http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      if (!this.handleUpgrade(request, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve) => http.listen(port, host, resolve));
    this.#http = http;
    const address = http.address() as AddressInfo;
    return { url: `ws://${host}:${address.port}/relay` };
  }

  async close(): Promise<void> {
    for (const session of this.#sessions.values()) {
      clearTimeout(session.timer);
      for (const peer of session.peers) peer.terminate();
    }
    this.#sessions.clear();
    this.#server.close();
    const http = this.#http;
    if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  /** Sessions with at least one peer connected. */
  get activeSessions(): number {
    return this.#sessions.size;
  }

  #join(id: string, ws: WebSocket): void {
    let session = this.#sessions.get(id);
    if (!session) {
      session = { peers: [], queued: [], timer: setTimeout(() => this.#end(id), this.#options.idleTimeoutMs) };
      this.#sessions.set(id, session);
    }
    const current = session;
    current.peers.push(ws);
    for (const { from, data } of current.queued.splice(0)) if (from !== ws) ws.send(data, { binary: true });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return ws.close(1003, 'binary frames only');
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      current.timer.refresh();
      this.#options.onForward?.(id, bytes);
      const peer = current.peers.find((other) => other !== ws);
      if (peer && peer.readyState === WebSocket.OPEN) peer.send(bytes, { binary: true });
      else if (current.queued.length < this.#options.maxQueuedMessages) current.queued.push({ from: ws, data: bytes });
      else ws.close(1008, 'the peer has not connected');
    });
    ws.on('close', () => this.#end(id));
    ws.on('error', () => this.#end(id));
  }

  #end(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    clearTimeout(session.timer);
    for (const peer of session.peers) if (peer.readyState === WebSocket.OPEN) peer.close(1000, 'session ended');
  }
}
