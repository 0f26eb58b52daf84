import { createHash } from 'node:crypto';

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

const shas = new Map<string, string>();

/**
 * Runs a Lua script by its SHA-1 (EVALSHA), loading it with EVAL the first time a server has not seen it
 * (after a restart too).
 */
export async function evalScript(
  redis: Redis,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
) {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await redis.eval(script, keys.length, ...keys, ...args);
  }
}
