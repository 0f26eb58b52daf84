import type { Redis } from 'ioredis';

import { MdocError } from '../errors.js';
import type { RelayPeer, RelayPeerListener, RelaySendResult, RelaySessions } from './relay-sessions.js';
import { parseRelayStreamEntries } from './relay-stream-entry.js';

/*
 * A session `<id>` in Redis (`{<id>}` is a hash tag: a cluster keeps a session's keys on one node):
 *   <prefix>relay:{<id>}          hash { peers: places taken, ended: ordinal of the peer that left,
 *                                        queued:<n>: bytes peer n sent that the other has not taken }
 *   <prefix>relay:{<id>}:from:<n> stream of what peer n sent: `frame` entries, then an `end` entry
 *   <prefix>relay:{<id>}          also the pub/sub channel: a message "<n>" says stream n has news
 * Every key expires after the idle timeout, refreshed by each frame. A reader deletes the entries it
 * has delivered, so a stream's length is what the other peer has not yet taken, bounded per frame.
 */

/** KEYS[1] hash; ARGV[1] ttl ms. Returns the place taken (3 and more: refused). */
const JOIN = `
local n = redis.call('HINCRBY', KEYS[1], 'peers', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
`;

/**
 * KEYS hash, own stream, other stream; ARGV ttl, bound before the other joined, frame, ordinal, bound
 * after, byte bounds before and after the other joined. 0 sent, 1 full, 2 ended. A counter in the hash
 * sums the bytes kept; the reader takes off what it deleted (TAKEN).
 */
const SEND = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return 2 end
local bound = tonumber(ARGV[2])
local alone = tonumber(redis.call('HGET', KEYS[1], 'peers')) < 2
if not alone then bound = tonumber(ARGV[5]) end
if redis.call('XLEN', KEYS[2]) >= bound then return 1 end
local queued = 'queued:' .. ARGV[4]
local bytes = tonumber(ARGV[6])
if not alone then bytes = tonumber(ARGV[7]) end
if tonumber(redis.call('HGET', KEYS[1], queued) or '0') + #ARGV[3] > bytes then return 1 end
redis.call('HINCRBY', KEYS[1], queued, #ARGV[3])
redis.call('XADD', KEYS[2], '*', 'frame', ARGV[3])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
redis.call('PUBLISH', KEYS[1], ARGV[4])
return 0
`;

/**
 * KEYS as SEND; ARGV ttl, ordinal. A peer alone (the other never joined) deletes the session. Else
 * the first to leave marks the session ended and appends `end` after its frames; the second (the other
 * peer, told so) deletes the session. Returns 1 when it ended it for the other.
 */
const LEAVE = `
local ended = redis.call('HGET', KEYS[1], 'ended')
if ended then
  if ended ~= ARGV[2] then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
-- Alone in the session: it ends with nothing kept (as in memory), so a later peer under this id
-- starts a fresh session instead of reading what this one sent.
if tonumber(redis.call('HGET', KEYS[1], 'peers') or '0') < 2 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return 0
end
redis.call('HSET', KEYS[1], 'ended', ARGV[2])
redis.call('XADD', KEYS[2], '*', 'end', '1')
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
redis.call('PUBLISH', KEYS[1], ARGV[2])
return 1
`;

/**
 * KEYS hash, the stream read; ARGV ordinal of its writer, bytes delivered, then the entries' ids. Deletes
 * them and takes their bytes off the writer's counter — only while the session is there: a counter
 * written into a hash that expired or was deleted would have no expiry.
 */
const TAKEN = `
redis.call('XDEL', KEYS[2], unpack(ARGV, 3))
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local left = redis.call('HINCRBY', KEYS[1], 'queued:' .. ARGV[1], -tonumber(ARGV[2]))
if left < 0 then redis.call('HSET', KEYS[1], 'queued:' .. ARGV[1], 0) end
return 0
`;

const PAGE = 64;
/** The relay's scripts as commands of one connection: KEYS first, then ARGV. */
type Script = (...keysThenArgs: (string | number | Buffer)[]) => Promise<unknown>;

/**
 * Defines JOIN, SEND and LEAVE on `redis` (ioredis's `defineCommand`: EVALSHA, and EVAL when the server
 * does not know a script — on first use and after a restart).
 */
function relayScripts(redis: Redis): { join: Script; send: Script; leave: Script; taken: Script } {
  const define = (name: string, lua: string, numberOfKeys: number): Script => {
    redis.defineCommand(name, { lua, numberOfKeys });
    const command = (redis as unknown as Record<string, Script>)[name]!;
    return (...keysThenArgs) => command.call(redis, ...keysThenArgs);
  };
  return {
    join: define('openmynaRelayJoin', JOIN, 1),
    send: define('openmynaRelaySend', SEND, 3),
    leave: define('openmynaRelayLeave', LEAVE, 3),
    taken: define('openmynaRelayTaken', TAKEN, 2),
  };
}

/** A script's integer answer, checked: anything else means the store is not what we wrote. */
export function relayScriptReply(reply: unknown, max: number): number {
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply) || reply < 0 || reply > max)
    throw new MdocError('ERR_TRANSPORT', 'the relay store returned an unexpected answer');
  return reply === 0 ? 0 : reply; // -0 reads as 0
}

/** Options of {@link RedisRelaySessions}. */
export interface RedisRelaySessionsOptions {
  /** Put before every key and channel (tests, or two deployments sharing one Redis). Default none. */
  readonly prefix?: string;
  /** Keys expire after this long without a frame; default 5 minutes (the relay's idle timeout). */
  readonly idleTimeoutMs?: number;
  /**
   * Frames kept for a peer that has not joined yet. Default 8, as in memory. Once it has joined, up to
   * 16 times as many may wait for its instance to read them; past either bound the sender is closed.
   */
  readonly maxQueuedMessages?: number;
  /** Bytes of the frames kept for a peer that has not joined yet, in all. Default 2 MiB, as in memory. */
  readonly maxQueuedBytes?: number;
  /**
   * Bytes of one peer's frames the other, joined, has not read yet (its instance slow, or gone); past
   * it the sender is closed. Default 4 MiB, as the WebSocket's send buffer (`maxBufferedBytes`).
   */
  readonly maxUnreadBytes?: number;
}

interface Keys {
  readonly hash: string;
  readonly mine: string;
  readonly theirs: string;
}

class RedisPeer implements RelayPeer {
  #listener: RelayPeerListener | undefined;
  #lastId: string | undefined;
  #draining = false;
  #again = false;
  #finished = false;
  #leaving: Promise<void> | undefined;

  constructor(
    private readonly owner: RedisRelaySessions,
    readonly keys: Keys,
    readonly ordinal: 1 | 2,
  ) {}

  async start(listener: RelayPeerListener): Promise<void> {
    this.#listener = listener;
    await this.owner.subscribe(this);
    // Subscribed first, then read: a frame sent in between is read now or announced later.
    this.pump();
  }

  async send(frame: Uint8Array): Promise<RelaySendResult> {
    const { hash, mine, theirs } = this.keys;
    const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    const reply = await this.owner.scripts.send(
      hash,
      mine,
      theirs,
      this.owner.ttlMs,
      this.owner.maxQueuedMessages,
      bytes,
      this.ordinal,
      this.owner.maxUnreadMessages,
      this.owner.maxQueuedBytes,
      this.owner.maxUnreadBytes,
    );
    const results = ['sent', 'full', 'ended'] as const;
    return results[relayScriptReply(reply, 2)]!;
  }

  leave(): Promise<void> {
    this.#leaving ??= (async () => {
      this.#finished = true;
      this.owner.unsubscribe(this);
      const { hash, mine, theirs } = this.keys;
      await this.owner.scripts.leave(hash, mine, theirs, this.owner.ttlMs, this.ordinal);
    })();
    return this.#leaving;
  }

  /** Reads what the other peer sent since the last read; one read at a time, again if news came meanwhile. */
  pump(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = true;
    void this.#drain()
      .catch((error: unknown) => {
        this.#finished = true;
        this.#listener?.end(error);
      })
      .finally(() => (this.#draining = false));
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      let page = PAGE;
      while (page === PAGE && !this.#finished) {
        const start = this.#lastId === undefined ? '-' : `(${this.#lastId}`;
        const entries = parseRelayStreamEntries(
          await this.owner.redis.xrangeBuffer(this.keys.theirs, start, '+', 'COUNT', PAGE),
        );
        page = entries.length;
        for (const entry of entries) {
          if (this.#finished) break;
          this.#lastId = entry.id;
          if (entry.kind === 'end') {
            this.#finished = true;
            this.#listener?.end();
          } else this.#listener?.frame(entry.bytes);
        }
        if (entries.length > 0 && !this.#finished) {
          const bytes = entries.reduce((sum, entry) => sum + (entry.kind === 'frame' ? entry.bytes.byteLength : 0), 0);
          const ids = entries.map((entry) => entry.id);
          await this.owner.scripts.taken(this.keys.hash, this.keys.theirs, 3 - this.ordinal, bytes, ...ids);
        }
      }
    } while (this.#again && !this.#finished);
  }
}

/**
 * Relay sessions shared through Redis, so the two peers of a session may reach different instances.
 * A place is taken by an atomic HINCRBY (a third peer is refused whichever instance it reaches); each
 * peer's frames go to its own Redis stream, kept until the other peer reads them (so frames sent
 * before it joined wait, at most `maxQueuedMessages` frames and `maxQueuedBytes` bytes), in order;
 * leaving appends an end marker after the last frame. Each instance reads with ONE subscriber connection: a pub/sub message per frame
 * says which stream to read (XRANGE on the shared command connection), instead of one blocking XREAD
 * connection per local peer, so an instance holds two connections however many sessions it relays.
 *
 * @example
 * ```ts
 * const relay = new MdocRelay({ sessions: await RedisRelaySessions.connect(redis) });
 * ```
 */
export class RedisRelaySessions implements RelaySessions {
  readonly #channels = new Map<string, { peers: Set<RedisPeer>; subscribed: Promise<unknown> }>();
  readonly prefix: string;
  readonly ttlMs: number;
  readonly maxQueuedMessages: number;
  readonly maxUnreadMessages: number;
  readonly maxQueuedBytes: number;
  readonly maxUnreadBytes: number;
  readonly scripts: ReturnType<typeof relayScripts>;

  private constructor(
    readonly redis: Redis,
    private readonly subscriber: Redis,
    options: RedisRelaySessionsOptions,
  ) {
    this.prefix = options.prefix ?? '';
    this.ttlMs = options.idleTimeoutMs ?? 5 * 60_000;
    this.maxQueuedMessages = options.maxQueuedMessages ?? 8;
    this.maxUnreadMessages = this.maxQueuedMessages * 16;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 2 << 20;
    this.maxUnreadBytes = options.maxUnreadBytes ?? 4 << 20;
    this.scripts = relayScripts(redis);
    subscriber.on('message', (channel: string, from: string) => {
      for (const peer of this.#channels.get(channel)?.peers ?? []) if (String(peer.ordinal) !== from) peer.pump();
    });
    // Messages published while the subscriber was reconnecting are lost: read every stream again.
    subscriber.on('ready', () => {
      for (const { peers } of this.#channels.values()) for (const peer of peers) peer.pump();
    });
    subscriber.on('error', () => undefined);
  }

  /** Opens the instance's subscriber connection (a duplicate of `redis`) and resolves when it is up. */
  static async connect(redis: Redis, options: RedisRelaySessionsOptions = {}): Promise<RedisRelaySessions> {
    const subscriber = redis.duplicate({ lazyConnect: true });
    subscriber.on('error', () => undefined);
    await subscriber.connect();
    return new RedisRelaySessions(redis, subscriber, options);
  }

  async join(id: string): Promise<RelayPeer | undefined> {
    const hash = `${this.prefix}relay:{${id}}`;
    const place = relayScriptReply(await this.scripts.join(hash, this.ttlMs), Number.MAX_SAFE_INTEGER);
    if (place !== 1 && place !== 2) return undefined;
    const stream = (ordinal: number) => `${hash}:from:${ordinal}`;
    return new RedisPeer(this, { hash, mine: stream(place), theirs: stream(3 - place) }, place);
  }

  /** Whether both connections are up (after Redis restarts, each reconnects on its own). */
  get ready(): boolean {
    return this.redis.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Listens for news of `peer`'s session (one channel subscription per session on this instance). */
  subscribe(peer: RedisPeer): Promise<unknown> {
    const name = peer.keys.hash;
    let channel = this.#channels.get(name);
    if (!channel) {
      const created = { peers: new Set<RedisPeer>(), subscribed: this.subscriber.subscribe(name) };
      // A failed subscription is not kept: the next peer of the session tries again.
      created.subscribed.catch(() => this.#channels.get(name) === created && this.#channels.delete(name));
      this.#channels.set(name, (channel = created));
    }
    channel.peers.add(peer);
    return channel.subscribed;
  }

  unsubscribe(peer: RedisPeer): void {
    const channel = this.#channels.get(peer.keys.hash);
    if (!channel?.peers.delete(peer) || channel.peers.size > 0) return;
    this.#channels.delete(peer.keys.hash);
    this.subscriber.unsubscribe(peer.keys.hash).catch(() => undefined);
  }

  close(): Promise<void> {
    this.#channels.clear();
    this.subscriber.disconnect();
    return Promise.resolve();
  }
}
