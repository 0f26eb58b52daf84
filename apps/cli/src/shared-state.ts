import { RedisRelaySessions, type RelaySessions } from '@openmyna/mdoc/node';
import { connectRedis, redisTokenBuckets, type TokenBucketFactory } from '@openmyna/service';
import type { Logger } from 'pino';

/** What instances behind one load balancer share through `--redis` (docs/operations.md, "Several instances"). */
export interface SharedState {
  /** One budget per rate limit for every instance (fail closed: a 503 while Redis is unreachable). */
  readonly rateLimits: TokenBucketFactory;
  /** In-person relay sessions reachable from every instance (the verifier's; the relay closes them). */
  relaySessions(): Promise<RelaySessions>;
  close(): void;
}

/** Connects to `--redis` when it is given (else undefined: one instance, everything in memory). */
export async function connectSharedState(url: string | undefined, logger: Logger): Promise<SharedState | undefined> {
  if (url === undefined) return undefined;
  const redis = await connectRedis(url, {
    onError: (error) => logger.warn({ err: error.message }, 'Redis (--redis) connection failed; retrying'),
  });
  return {
    rateLimits: redisTokenBuckets(redis),
    relaySessions: () => RedisRelaySessions.connect(redis),
    close: () => redis.disconnect(),
  };
}
