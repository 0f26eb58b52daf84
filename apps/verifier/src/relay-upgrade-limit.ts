import type { IncomingMessage } from 'node:http';

import {
  clientAddress,
  memoryTokenBuckets,
  secretsEqual,
  sourceOf,
  trustedProxySet,
  type TokenBucketFactory,
  type TokenBucketOptions,
} from '@openmyna/service';

/**
 * Upgrades to `/relay/<session>` per source address: 60 at once, one more a second. A phone opens one
 * per in-person presentation, but phones behind one carrier-grade NAT share an IPv4 address.
 */
export const RELAY_UPGRADE_LIMIT: TokenBucketOptions = { perSecond: 1, capacity: 60 };

/** The header by which the service's own reader (at a counter) shows `internalToken`. */
export const RELAY_INTERNAL_HEADER = 'x-openmyna-relay-reader';

/** Options of {@link relayUpgradeLimit}. */
export interface RelayUpgradeLimitOptions {
  /** Where the buckets live: memory (default) or, with `--redis`, one budget for every instance. */
  readonly rateLimits?: TokenBucketFactory;
  /** Default {@link RELAY_UPGRADE_LIMIT}. */
  readonly limit?: TokenBucketOptions;
  /** Reverse proxies whose `X-Forwarded-For` names the client, as for the HTTP limits. */
  readonly trustedProxies?: readonly string[];
  /**
   * A secret the service's own reader sends in {@link RELAY_INTERNAL_HEADER}: its upgrades all come
   * from the service's address and are not counted, or every counter would share one bucket.
   */
  readonly internalToken?: string;
}

/**
 * The relay's per-source limit on upgrades (`MdocRelay`'s `admitSource` and `sourceAddress`): token
 * buckets named `verifier:relay-upgrades`, keyed by the client address (an IPv6 address by its /64),
 * so that with Redis configured the limit is shared across instances. The relay answers 429 past it,
 * and 503 when Redis is unreachable (fail closed, as the HTTP limits).
 *
 * @example
 * ```ts
 * const relay = new MdocRelay({ sessions, ...relayUpgradeLimit({ rateLimits: redisTokenBuckets(redis) }) });
 * ```
 */
export function relayUpgradeLimit(options: RelayUpgradeLimitOptions = {}) {
  const buckets = (options.rateLimits ?? memoryTokenBuckets)(
    'verifier:relay-upgrades',
    options.limit ?? RELAY_UPGRADE_LIMIT,
  );
  const trusted = trustedProxySet(options.trustedProxies ?? []);
  const internal = (request: IncomingMessage) => {
    const shown = request.headers[RELAY_INTERNAL_HEADER];
    return (
      options.internalToken !== undefined && typeof shown === 'string' && secretsEqual(shown, options.internalToken)
    );
  };
  return {
    admitSource: async (source: string): Promise<boolean> => (await buckets.take(sourceOf(source))) === 0,
    sourceAddress: (request: IncomingMessage): string | undefined => {
      if (internal(request)) return undefined;
      const forwarded = request.headers['x-forwarded-for'];
      return clientAddress(
        request.socket.remoteAddress,
        Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
        trusted,
      );
    },
  };
}
