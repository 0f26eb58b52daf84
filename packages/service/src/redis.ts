import { Redis } from 'ioredis';

import { ServiceError } from './errors.js';

/** Options of {@link connectRedis}. */
export interface RedisConnectOptions {
  /** Called for each connection error after the first connection (ioredis reconnects by itself). */
  readonly onError?: (error: Error) => void;
  /** How long one command may take before it fails (default 2 s): a hung Redis fails, it does not hang requests. */
  readonly commandTimeoutMs?: number;
}

/**
 * Connects to the Redis that every instance shares (`redis://…` or `rediss://…`), failing fast while it
 * is unreachable: commands are not queued offline and time out, so a caller answers at once (the rate
 * limits fail closed with a 503) instead of hanging; ioredis keeps reconnecting in the background.
 * Rejects with `ERR_UNAVAILABLE` when the first connection fails.
 *
 * @example
 * ```ts
 * const redis = await connectRedis('redis://127.0.0.1:6379', { onError: (error) => logger.warn({ err: error.message }) });
 * ```
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command Redis ran whose reply was lost (a reset connection, a failover) is failed, never sent
    // again: no script here may run twice (a second JOIN takes a second place, a second SEND duplicates
    // a frame, a second TAKE spends a second token).
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  let connected = false;
  redis.on('error', (error: Error) => {
    if (connected) options.onError?.(error);
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    // The URL may carry a password: the message names no part of it.
    throw new ServiceError('ERR_UNAVAILABLE', 'Redis (--redis) cannot be reached', { cause: error });
  }
  connected = true;
  return redis;
}

/** A Lua script run on one connection: `keys` then `args`, as the script reads them in KEYS and ARGV. */
export type RedisScript = (keys: readonly string[], args: readonly (string | number | Buffer)[]) => Promise<unknown>;

/**
 * Defines `lua` as the command `name` of `redis` (ioredis's `defineCommand`: EVALSHA, and EVAL when the
 * server does not know the script — on first use and after a restart) and returns a caller for it.
 */
export function redisScript(redis: Redis, name: string, lua: string, numberOfKeys: number): RedisScript {
  redis.defineCommand(name, { lua, numberOfKeys });
  const command = (redis as unknown as Record<string, (...parts: (string | number | Buffer)[]) => Promise<unknown>>)[
    name
  ]!;
  return (keys, args) => command.call(redis, ...keys, ...args);
}
