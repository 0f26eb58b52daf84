/** What a frame forwarded through {@link RelayPeer.send} came to. */
export type RelaySendResult =
  /** Delivered, or kept for the other peer. */
  | 'sent'
  /** The other peer has not taken the frames already kept for it (it has not joined, or reads nothing). */
  | 'full'
  /** The session is over (the other peer left, or it timed out). */
  | 'ended';

/** Receives the other peer's frames, in the order they were sent, then the end of the session. */
export interface RelayPeerListener {
  frame(bytes: Uint8Array): void;
  /** The session ended: the other peer left or timed out (or, with `error`, the store failed). Nothing more comes. */
  end(error?: unknown): void;
}

/** One of the two places in a relay session, held by a WebSocket on this instance. */
export interface RelayPeer {
  /** 1 for the peer that joined first, 2 for the other. */
  readonly ordinal: 1 | 2;
  /** Starts delivering the other peer's frames (those kept before first), then the session's end. */
  start(listener: RelayPeerListener): Promise<void>;
  /** Forwards one frame to the other peer, without reading it. */
  send(frame: Uint8Array): Promise<RelaySendResult>;
  /** Leaves the session, which ends it for the other peer after the frames already sent. Idempotent. */
  leave(): Promise<void>;
}

/**
 * Where relay sessions live: {@link MemoryRelaySessions} in this process (one instance), or
 * `RedisRelaySessions`, which routes frames between instances that share a Redis.
 */
export interface RelaySessions {
  /** Takes a place in session `id`; undefined when two peers hold it already (a third is refused). */
  join(id: string): Promise<RelayPeer | undefined>;
  /** Releases what the sessions hold on this instance (not a shared store's data). */
  close(): Promise<void>;
}

interface MemorySession {
  readonly peers: MemoryPeer[];
  /** Frames sent while the other peer had not started, oldest first. */
  readonly queued: { readonly from: MemoryPeer; readonly data: Uint8Array }[];
  ended: boolean;
}

class MemoryPeer implements RelayPeer {
  listener: RelayPeerListener | undefined;
  constructor(
    private readonly sessions: MemoryRelaySessions,
    private readonly id: string,
    private readonly session: MemorySession,
    readonly ordinal: 1 | 2,
  ) {}

  start(listener: RelayPeerListener): Promise<void> {
    if (this.session.ended) {
      listener.end();
      return Promise.resolve();
    }
    this.listener = listener;
    const queued = this.session.queued.splice(0);
    // Frames this peer sent stay queued for the other; those sent to it are delivered now, in order.
    for (const entry of queued) if (entry.from === this) this.session.queued.push(entry);
    for (const entry of queued) if (entry.from !== this) listener.frame(entry.data);
    return Promise.resolve();
  }

  send(frame: Uint8Array): Promise<RelaySendResult> {
    if (this.session.ended) return Promise.resolve('ended');
    const other = this.session.peers.find((peer) => peer !== this);
    if (other?.listener) other.listener.frame(frame);
    else if (this.#fitsQueue(frame)) this.session.queued.push({ from: this, data: frame });
    else return Promise.resolve('full');
    return Promise.resolve('sent');
  }

  /** Whether one more frame stays within the queue's bounds, in frames and in bytes. */
  #fitsQueue(frame: Uint8Array): boolean {
    const { queued } = this.session;
    const bytes = queued.reduce((sum, entry) => sum + entry.data.byteLength, frame.byteLength);
    return queued.length < this.sessions.maxQueuedMessages && bytes <= this.sessions.maxQueuedBytes;
  }

  leave(): Promise<void> {
    this.sessions.end(this.id, this.session);
    return Promise.resolve();
  }
}

/**
 * Relay sessions in this process's memory: the single-instance default. A frame for a peer that has
 * not joined is kept (at most `maxQueuedMessages` frames and `maxQueuedBytes` bytes, counted over both
 * directions); a peer leaving ends the session, and the id is free again.
 */
export class MemoryRelaySessions implements RelaySessions {
  readonly #sessions = new Map<string, MemorySession>();

  constructor(
    readonly maxQueuedMessages = 8,
    readonly maxQueuedBytes = 2 << 20,
  ) {}

  join(id: string): Promise<RelayPeer | undefined> {
    let session = this.#sessions.get(id);
    if (!session) {
      session = { peers: [], queued: [], ended: false };
      this.#sessions.set(id, session);
    }
    if (session.peers.length >= 2) return Promise.resolve(undefined);
    const peer = new MemoryPeer(this, id, session, session.peers.length === 0 ? 1 : 2);
    session.peers.push(peer);
    return Promise.resolve(peer);
  }

  /** Ends `session` for both peers (called by a peer's `leave`). */
  end(id: string, session: MemorySession): void {
    if (session.ended) return;
    session.ended = true;
    session.queued.length = 0;
    if (this.#sessions.get(id) === session) this.#sessions.delete(id);
    for (const peer of session.peers) peer.listener?.end();
  }

  close(): Promise<void> {
    for (const [id, session] of [...this.#sessions]) this.end(id, session);
    return Promise.resolve();
  }
}
