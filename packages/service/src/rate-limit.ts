/**
 * Token buckets per key (an API key's id): `capacity` requests at once, refilled at `perSecond`. In
 * memory, per instance — behind a load balancer each instance allows its share.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly options: { readonly perSecond: number; readonly capacity: number; readonly clock?: () => number },
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const now = (this.options.clock ?? Date.now)();
    const bucket = this.#buckets.get(key) ?? { tokens: this.options.capacity, at: now };
    bucket.tokens = Math.min(
      this.options.capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond,
    );
    bucket.at = now;
    if (this.#buckets.size > 100_000) this.#buckets.clear();
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
