import type { Socket } from 'node:net';

import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import {
  MdocRelay,
  MemoryRelaySessions,
  newRelaySessionId,
  RedisRelaySessions,
  RELAY_SLOW_READER,
  type MdocRelayOptions,
  type RelaySessions,
} from '@openmyna/mdoc/node';

import { testRedis, type TestRedis } from '../../../test-support/redis.js';

/*
 * The relay's bounds (issue 20 review): a reader that stops reading, upgrades from one source past its
 * rate, and bytes kept for a peer that has not joined.
 */

const relays: MdocRelay[] = [];
const sockets: WebSocket[] = [];
let store: TestRedis | undefined;
const connections: Redis[] = [];
const closing: RelaySessions[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const relay of relays.splice(0)) await relay.close();
  for (const sessions of closing.splice(0)) await sessions.close();
  for (const connection of connections.splice(0)) connection.disconnect();
  await store?.dispose();
  store = undefined;
});

async function listening(options: MdocRelayOptions): Promise<string> {
  const relay = new MdocRelay(options);
  relays.push(relay);
  return (await relay.listen(0)).url;
}

/** Opens a WebSocket, or resolves to the HTTP status that refused it. */
function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  const ws = new WebSocket(url, { headers });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('error', reject);
  });
}

async function opened(url: string): Promise<WebSocket> {
  const ws = await open(url);
  if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
  return ws;
}

const closed = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );

describe('relay: a reader that stops reading (backpressure)', () => {
  // Found in review: frames went to `ws.send` whatever the peer's send buffer held, so a reader that
  // read nothing while the other side kept sending made the relay buffer without bound.
  it('closes the session with 1008 once the send buffer would pass maxBufferedBytes', async () => {
    const frameBytes = 256 << 10;
    const url = await listening({ maxMessageBytes: frameBytes, maxBufferedBytes: 4 * frameBytes });
    const session = newRelaySessionId();
    const reader = await opened(`${url}/${session}`);
    const readerClosed = closed(reader);
    let received = 0;
    reader.on('message', () => received++);
    (reader as unknown as { _socket: Socket })._socket.pause();
    const sender = await opened(`${url}/${session}`);
    const senderClosed = closed(sender);
    // 64 MiB at most: far beyond what the kernel's socket buffers hold, so the relay's buffer must grow.
    let sent = 0;
    const frame = new Uint8Array(frameBytes).fill(0x5a);
    while (sent < 256 && sender.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => sender.send(frame, { binary: true }, () => resolve()));
      sent++;
    }
    (reader as unknown as { _socket: Socket })._socket.resume();
    // Without the bound every frame arrives and no close follows: the test then fails on the outcome.
    const outcome = await Promise.race([
      readerClosed,
      new Promise<'all frames'>((resolve) => reader.on('message', () => received === sent && resolve('all frames'))),
    ]);
    expect(outcome).toEqual({ code: RELAY_SLOW_READER.code, reason: RELAY_SLOW_READER.reason });
    expect(received).toBeLessThan(sent);
    // The other peer is told the session ended.
    expect(await senderClosed).toMatchObject({ code: 1000, reason: 'session ended' });
  }, 60_000);
});

describe('relay: upgrades per source address', () => {
  it('refuses upgrades the limiter refuses with 429, counting by the source address', async () => {
    const seen: string[] = [];
    const url = await listening({
      admitSource: (source) => {
        seen.push(source);
        return seen.length <= 2;
      },
    });
    const session = newRelaySessionId();
    await opened(`${url}/${session}`);
    await opened(`${url}/${session}`);
    expect(await open(`${url}/${newRelaySessionId()}`)).toBe(429);
    expect(seen).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('asks sourceAddress for the client address (behind a proxy), and answers 503 when the limiter fails', async () => {
    const seen: string[] = [];
    const url = await listening({
      sourceAddress: (request) => String(request.headers['x-forwarded-for']),
      admitSource: (source) => {
        seen.push(source);
        if (source === '192.0.2.9') throw new Error('Redis is down');
        return source !== '192.0.2.8';
      },
    });
    expect(await open(`${url}/${newRelaySessionId()}`, { 'x-forwarded-for': '192.0.2.7' })).toBeInstanceOf(WebSocket);
    expect(await open(`${url}/${newRelaySessionId()}`, { 'x-forwarded-for': '192.0.2.8' })).toBe(429);
    expect(await open(`${url}/${newRelaySessionId()}`, { 'x-forwarded-for': '192.0.2.9' })).toBe(503);
    expect(seen).toEqual(['192.0.2.7', '192.0.2.8', '192.0.2.9']);
  });
});

async function redisSessions(maxQueuedBytes: number): Promise<RelaySessions> {
  const shared = (store = await testRedis());
  const connection = shared.redis.duplicate();
  await connection.connect();
  connections.push(connection);
  return RedisRelaySessions.connect(connection, { prefix: shared.prefix, maxQueuedBytes });
}

describe.each([
  ['in memory', (maxQueuedBytes: number) => Promise.resolve(new MemoryRelaySessions(8, maxQueuedBytes))],
  ['in Redis', redisSessions],
] as const)('relay sessions %s: bytes kept for a peer that has not joined', (_name, make) => {
  it("answers 'full' past maxQueuedBytes (well within the frame count), and keeps what fitted", async () => {
    const sessions = await make(100);
    closing.push(sessions);
    const early = (await sessions.join('bytesbudgetbytes'))!;
    await early.start({ frame: () => undefined, end: () => undefined });
    const frame = (value: number) => new Uint8Array(40).fill(value);
    expect(await early.send(frame(1))).toBe('sent');
    expect(await early.send(frame(2))).toBe('sent');
    expect(await early.send(frame(3))).toBe('full');
    const late = (await sessions.join('bytesbudgetbytes'))!;
    const seen: number[] = [];
    await new Promise<void>((resolve) => {
      void late.start({
        frame: (bytes) => seen.push(bytes[0]!) === 2 && resolve(),
        end: () => resolve(),
      });
    });
    expect(seen).toEqual([1, 2]);
    // Once both are there the bound no longer applies: frames go straight to the other peer.
    expect(await early.send(new Uint8Array(400))).toBe('sent');
    await early.leave();
    await late.leave();
  });
});

describe('relay: the byte bound through the WebSocket', () => {
  it("closes a lone peer whose frames pass maxQueuedBytes with 1008 'the peer has not connected'", async () => {
    const url = await listening({ maxQueuedBytes: 100 });
    const alone = await opened(`${url}/${newRelaySessionId()}`);
    const aloneClosed = closed(alone);
    for (let index = 0; index < 3; index++) alone.send(new Uint8Array(40), { binary: true });
    expect(await aloneClosed).toEqual({ code: 1008, reason: 'the peer has not connected' });
  });
});
