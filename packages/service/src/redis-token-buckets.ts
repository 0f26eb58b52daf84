import type { Redis } from 'ioredis';

import { ServiceError } from './errors.js';
import type { TokenBucketOptions, TokenBuckets } from './rate-limit.js';
import { redisScript, type RedisScript } from './redis.js';

/*
 * One bucket is a hash { tokens, at } (at: Redis's own clock in ms). The same arithmetic as RateLimiter,
 * done atomically in Redis so that every instance spends one budget. Redis's TIME, not the instance's
 * clock: instances whose clocks differ cannot refill a bucket early. The key expires once the bucket
 * would be full again (a full bucket is as good as none).
 * KEYS[1] bucket; ARGV[1] capacity, ARGV[2] per second, ARGV[3] 1 = take a token, 0 = only look.
 * Returns 0 (granted / a token is left), else the whole seconds until one is back.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(stored[1]) or capacity
local at = tonumber(stored[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) / 1000 * rate)
if tokens < 1 then return math.max(1, math.ceil((1 - tokens) / rate)) end
if ARGV[3] == '1' then
  tokens = tokens - 1
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
end
return 0
`;

/**
 * Token buckets in Redis, one budget for every instance that shares it: the same semantics as
 * {@link RateLimiter} (capacity, refill per second, `Retry-After` seconds), taken atomically by a Lua
 * script on Redis's clock. Keys: `<prefix>ratelimit:<name>:<key>`, expiring once refilled. While Redis
 * cannot be reached the limits fail closed: `take` and `has` reject with `ERR_UNAVAILABLE` (a 503 in
 * the envelope), never granting a request they could not count.
 *
 * @example
 * ```ts
 * const buckets = new RedisTokenBuckets(redis, 'verifier:api-key', { perSecond: 20, capacity: 40 });
 * if ((await buckets.take(party.id)) > 0) return rateLimited(…);
 * ```
 */
export class RedisTokenBuckets implements TokenBuckets {
  readonly #take: RedisScript;

  constructor(
    redis: Redis,
    private readonly name: string,
    private readonly options: TokenBucketOptions,
    private readonly prefix = '',
  ) {
    if (!(options.perSecond > 0) || !(options.capacity >= 1))
      throw new RangeError('a token bucket needs perSecond > 0 and capacity >= 1');
    this.#take = redisScript(redis, 'openmynaTakeToken', TAKE, 1);
  }

  take(key: string): Promise<number> {
    return this.#run(key, true);
  }

  async has(key: string): Promise<boolean> {
    return (await this.#run(key, false)) === 0;
  }

  async #run(key: string, take: boolean): Promise<number> {
    let reply: unknown;
    try {
      reply = await this.#take(
        [`${this.prefix}ratelimit:${this.name}:${key}`],
        [this.options.capacity, this.options.perSecond, take ? '1' : '0'],
      );
    } catch (error) {
      throw new ServiceError('ERR_UNAVAILABLE', 'the rate limits cannot be checked just now; try again later', {
        cause: error,
      });
    }
    return waitSecondsOf(reply);
  }
}

/** The script's answer: a whole number of seconds, 0 or more; anything else is Redis misbehaving. */
export function waitSecondsOf(reply: unknown): number {
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply) || reply < 0)
    throw new ServiceError('ERR_UNAVAILABLE', 'the rate limits cannot be checked just now; try again later');
  return reply;
}

/**
 * The factory of {@link RedisTokenBuckets} over one connection, for the services' options.
 *
 * @example
 * ```ts
 * createVerifierApp({ …, rateLimits: redisTokenBuckets(redis) });
 * ```
 */
export function redisTokenBuckets(redis: Redis, prefix = '') {
  return (name: string, options: TokenBucketOptions): TokenBuckets =>
    new RedisTokenBuckets(redis, name, options, prefix);
}
