import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

import { RedisRelaySessions, type RelaySessions } from '@openmyna/mdoc/node';

import { testRedis, type TestRedis } from '../../../test-support/redis.js';

/*
 * Found in review: once both peers had joined, a Redis stream was bounded only by frames (16 times
 * `maxQueuedMessages`, 128 frames of up to 1 MiB each): a peer whose reader's instance did not read
 * (crashed, or slow) made Redis keep 128 MiB per direction of one session, for as long as it sent.
 */

let store: TestRedis | undefined;
const connections: Redis[] = [];
const closing: RelaySessions[] = [];

afterEach(async () => {
  for (const sessions of closing.splice(0)) await sessions.close();
  for (const connection of connections.splice(0)) connection.disconnect();
  await store?.dispose();
  store = undefined;
});

async function redisSessions(maxUnreadBytes: number): Promise<RedisRelaySessions> {
  const shared = (store = await testRedis());
  const connection = shared.redis.duplicate();
  await connection.connect();
  connections.push(connection);
  const sessions = await RedisRelaySessions.connect(connection, { prefix: shared.prefix, maxUnreadBytes });
  closing.push(sessions);
  return sessions;
}

describe('relay sessions in Redis: bytes the other peer has not read', () => {
  it("answers 'full' past maxUnreadBytes once both joined, and what the reader takes is budget again", async () => {
    const sessions = await redisSessions(100);
    const writer = (await sessions.join('unreadbytesunread'))!;
    await writer.start({ frame: () => undefined, end: () => undefined });
    // Joined (both places taken) but not reading: its instance crashed, or is slow.
    const reader = (await sessions.join('unreadbytesunread'))!;
    const frame = (value: number) => new Uint8Array(40).fill(value);
    expect(await writer.send(frame(1))).toBe('sent');
    expect(await writer.send(frame(2))).toBe('sent');
    expect(await writer.send(frame(3))).toBe('full');
    const seen: number[] = [];
    await new Promise<void>((resolve) => {
      void reader.start({ frame: (bytes) => seen.push(bytes[0]!) === 2 && resolve(), end: () => resolve() });
    });
    expect(seen).toEqual([1, 2]);
    // The reader gives back the bytes it took (with the entries it deletes), so the writer may go on.
    const hash = `${store!.prefix}relay:{unreadbytesunread}`;
    while (Number(await store!.redis.hget(hash, 'queued:1')) !== 0)
      await new Promise((resolve) => setImmediate(resolve));
    expect(await writer.send(frame(4))).toBe('sent');
    await writer.leave();
    await reader.leave();
    // Nothing outlives the session, the byte counter included.
    expect(await store!.keys()).toEqual([]);
  });
});
