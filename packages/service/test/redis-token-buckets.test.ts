import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RedisTokenBuckets, waitSecondsOf } from '../src/index.js';
import { testRedis, type TestRedis } from '../../../test-support/redis.js';

/*
 * The token buckets every instance shares (issue 20), against the real Redis at 127.0.0.1:6379 under a
 * key prefix of this test's own. Redis's own clock runs: the refill rates are chosen so that no token
 * comes back while a test runs (one per 1000 s), or so that the Retry-After asked for is exact.
 */

let store: TestRedis;
beforeAll(async () => {
  store = await testRedis();
});
afterAll(() => store.dispose());

describe('RedisTokenBuckets', () => {
  it('grants the burst, then answers the seconds until a token is back, as RateLimiter does', async () => {
    const buckets = new RedisTokenBuckets(store.redis, 'semantics', { perSecond: 0.2, capacity: 3 }, store.prefix);
    expect([await buckets.take('a'), await buckets.take('a'), await buckets.take('a')]).toEqual([0, 0, 0]);
    expect(await buckets.has('a')).toBe(false);
    // (1 − tokens) / 0.2 per second, rounded up: 5 s, or 4 if a whole second passed since the burst.
    expect([4, 5]).toContain(await buckets.take('a'));
    expect([await buckets.has('b'), await buckets.take('b')]).toEqual([true, 0]);
    // Keys live under the prefix and the limit's name, and expire once the bucket would be full again.
    const key = `${store.prefix}ratelimit:semantics:a`;
    expect(await store.keys()).toContain(key);
    const ttl = await store.redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(16_000);
  });

  it('spends one budget however many connections take from it at once', async () => {
    const connections = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const connection = store.redis.duplicate();
        await connection.connect();
        return connection;
      }),
    );
    try {
      const options = { perSecond: 0.001, capacity: 40 };
      const instances = connections.map(
        (connection) => new RedisTokenBuckets(connection, 'shared', options, store.prefix),
      );
      const waits = await Promise.all(Array.from({ length: 120 }, (_, index) => instances[index % 4]!.take('rp-1')));
      expect(waits.filter((wait) => wait === 0)).toHaveLength(40);
      expect(waits.filter((wait) => wait >= 1)).toHaveLength(80);
    } finally {
      for (const connection of connections) connection.disconnect();
    }
  });

  it('keeps two limits of the same key apart by their names', async () => {
    const options = { perSecond: 0.001, capacity: 1 };
    const first = new RedisTokenBuckets(store.redis, 'first', options, store.prefix);
    const second = new RedisTokenBuckets(store.redis, 'second', options, store.prefix);
    expect([await first.take('k'), (await first.take('k')) > 0, await second.take('k')]).toEqual([0, true, 0]);
  });

  it('refuses a bucket that could never refill or never grant', () => {
    for (const options of [
      { perSecond: 0, capacity: 10 },
      { perSecond: 1, capacity: 0 },
      { perSecond: Number.NaN, capacity: 1 },
    ])
      expect(() => new RedisTokenBuckets(store.redis, 'bad', options)).toThrow(RangeError);
  });

  it('reads only a whole number of seconds out of the script, anything else as ERR_UNAVAILABLE', () => {
    fc.assert(
      fc.property(fc.anything(), (reply) => {
        try {
          const wait = waitSecondsOf(reply);
          expect(Number.isSafeInteger(wait) && wait >= 0).toBe(true);
        } catch (error) {
          expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE' });
        }
      }),
    );
    for (const reply of [-1, 1.5, '3', null, Number.MAX_SAFE_INTEGER + 2, [0]])
      expect(() => waitSecondsOf(reply)).toThrow(expect.objectContaining({ code: 'ERR_UNAVAILABLE' }));
  });
});
