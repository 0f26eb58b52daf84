import { isIP } from 'node:net';

import type { Context, MiddlewareHandler } from 'hono';

import type { ErrorEnvelopeHandlers } from './error-envelope.js';

/** What these helpers need of a request's context: its environment (the connection), headers, JSON. */
type RequestContext = Pick<Context, 'env' | 'header' | 'json'>;

/** A token bucket's size: `capacity` requests at once, refilled at `perSecond`. */
export interface TokenBucketOptions {
  readonly perSecond: number;
  readonly capacity: number;
}

/**
 * Token buckets per key, wherever they are kept: {@link RateLimiter} in this process's memory, or
 * `RedisTokenBuckets` shared by every instance. Callers await both.
 */
export interface TokenBuckets {
  /** Takes one token for `key`: 0 when granted, else the whole seconds until a token is back. */
  take(key: string): number | Promise<number>;
  /** Whether `key` has a token left, without taking one. */
  has(key: string): boolean | Promise<boolean>;
}

/**
 * Makes the buckets of one limit, named so that two limits never share a key (`verifier:api-key`).
 *
 * @example
 * ```ts
 * const buckets: TokenBucketFactory = (name, options) => new RedisTokenBuckets(redis, name, options);
 * app.use('/open', perSourceLimit(envelope, { perSecond: 10, capacity: 60 }, buckets('issuer:open', …)));
 * ```
 */
export type TokenBucketFactory = (name: string, options: TokenBucketOptions) => TokenBuckets;

/** The single-process default: each limit's buckets in this process's memory. */
export const memoryTokenBuckets: TokenBucketFactory = (_name, options) => new RateLimiter(options);

/**
 * Token buckets per key (an API key's id): `capacity` requests at once, refilled at `perSecond`. In
 * memory, per instance — behind a load balancer each instance allows its share (`RedisTokenBuckets`
 * shares one budget).
 */
export class RateLimiter implements TokenBuckets {
  /** Buckets in least-recently-used order (a take moves its key to the end). */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** How many keys are kept; past it, full buckets (as good as none) go first, then the least recently used. */
  static readonly MAX_KEYS = 100_000;

  constructor(
    private readonly options: { readonly perSecond: number; readonly capacity: number; readonly clock?: () => number },
  ) {}

  /**
   * Takes one token for `key`. Returns 0 when granted, else the whole seconds until a token is back
   * (what a 429's `Retry-After` says).
   */
  take(key: string): number {
    const now = (this.options.clock ?? Date.now)();
    const bucket = this.#buckets.get(key) ?? { tokens: this.options.capacity, at: now };
    bucket.tokens = Math.min(
      this.options.capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond,
    );
    bucket.at = now;
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > RateLimiter.MAX_KEYS) this.#evict(now);
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / this.options.perSecond));
    bucket.tokens -= 1;
    return 0;
  }

  /**
   * Makes room without forgiving anyone: buckets that have refilled to capacity hold nothing and go
   * first (from the least recently used 1 %); only if none has, the least recently used one goes. A
   * flood of new keys thus cannot wipe out the bucket of a key that is still spent.
   */
  #evict(now: number): void {
    let scanned = 0;
    let removed = 0;
    for (const [key, bucket] of this.#buckets) {
      if (++scanned > RateLimiter.MAX_KEYS / 100) break;
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond >= this.options.capacity) {
        this.#buckets.delete(key);
        removed++;
      }
    }
    if (removed === 0) this.#buckets.delete(this.#buckets.keys().next().value!);
  }

  /** Whether `key` has a token left, without taking one. */
  has(key: string): boolean {
    const bucket = this.#buckets.get(key);
    if (!bucket) return true;
    const now = (this.options.clock ?? Date.now)();
    return bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond >= 1;
  }
}

/** A 429 in the envelope with `Retry-After` (RFC 9110 §10.2.3): the seconds until the next try may pass. */
export function rateLimited(
  c: RequestContext,
  envelope: ErrorEnvelopeHandlers,
  retryAfterSeconds: number,
  message: string,
): Response {
  c.header('Retry-After', String(retryAfterSeconds));
  return envelope.respond(c, 'ERR_RATE_LIMITED', message);
}

/**
 * The address a request came from (the TCP peer, as @hono/node-server exposes it), or undefined for a
 * request handed to `app.fetch` in process, which no network client can make.
 */
export function sourceAddress(c: Pick<Context, 'env'>): string | undefined {
  const env = c.env as { clientAddress?: string; incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const address = env?.clientAddress ?? env?.incoming?.socket?.remoteAddress;
  return address === undefined ? undefined : sourceOf(address);
}

/**
 * The source a rate limit counts: an IPv4 address as it is (IPv4-mapped IPv6 as IPv4), an IPv6 address
 * by its /64 — one subscriber's prefix, whose 2^64 addresses would otherwise each get a bucket.
 */
export function sourceOf(address: string): string {
  const canonical = canonicalAddress(address);
  if (!canonical.includes(':')) return canonical;
  return `${canonical.split(':').slice(0, 4).join(':')}::/64`;
}

/** Trusted proxy addresses in canonical form ({@link trustedProxySet}), so each request only looks them up. */
export type TrustedProxies = ReadonlySet<string> & { readonly __canonical: true };

/** The set of trusted proxies, each address in its canonical spelling ({@link canonicalAddress}), made once. */
export function trustedProxySet(addresses: Iterable<string>): TrustedProxies {
  return new Set([...addresses].map(canonicalAddress)) as unknown as TrustedProxies;
}

/**
 * One spelling per address: IPv4 dotted; IPv4-mapped IPv6 as its IPv4; other IPv6 as eight lower-case
 * groups without leading zeros (`2001:DB8::5` and `2001:db8:0:0::5` alike read `2001:db8:0:0:0:0:0:5`).
 * Anything that is not an IP address is returned as it is.
 */
export function canonicalAddress(address: string): string {
  const text = address
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind !== 6) return address;
  let groups: string[];
  const [head = '', tail] = text.toLowerCase().split('::') as [string, string | undefined];
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  const fromDotted = (part: string[]) => {
    const last = part.at(-1);
    if (!last?.includes('.')) return part;
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    return [...part.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  if (tail === undefined) groups = fromDotted(split(head));
  else {
    const left = split(head);
    const right = fromDotted(split(tail));
    groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  }
  groups = groups.map((group) => parseInt(group, 16).toString(16));
  // ::ffff:a.b.c.d — an IPv4 client on a dual-stack socket.
  if (groups.slice(0, 5).every((group) => group === '0') && groups[5] === 'ffff') {
    const [high, low] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)];
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return groups.join(':');
}

/**
 * The client's address for a request from `peer` (the TCP peer): when the peer is one of
 * `trustedProxies`, the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (each proxy
 * appends the address it saw; entries left of it were written by the client and prove nothing); else
 * the peer. IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) count as their IPv4 address. The server's edge
 * (the CLI's listener) puts the result in the environment as `clientAddress`, which
 * {@link sourceAddress} prefers.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | null | undefined,
  trustedProxies: TrustedProxies,
): string | undefined {
  if (peer === undefined) return undefined;
  let client = canonicalAddress(peer);
  if (!trustedProxies.has(client) || !forwardedFor) return client;
  const hops = forwardedFor.split(',').map((hop) => hop.trim());
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = hops[index]!;
    // A malformed entry ends the chain: the last address known good is the client.
    if (!isIP(hop)) return client;
    client = canonicalAddress(hop);
    if (!trustedProxies.has(client)) return client;
  }
  return client;
}

/**
 * Limits requests per source address with a token bucket: for endpoints anyone may call that create
 * state (a provisioning session, a challenge, an answer to a presentation). 429 with `Retry-After`.
 */
export function perSourceLimit(
  envelope: ErrorEnvelopeHandlers,
  options: TokenBucketOptions,
  limiter: TokenBuckets = new RateLimiter(options),
): MiddlewareHandler {
  return async (c, next) => {
    const source = sourceAddress(c);
    const wait = source === undefined ? 0 : await limiter.take(source);
    if (wait > 0) return rateLimited(c, envelope, wait, 'too many requests from this address; slow down');
    await next();
  };
}

/**
 * Counts failed authentications per source address: once a source has spent `capacity` failures (refilled
 * at `perSecond`), it gets 429 with `Retry-After` before its credential is even compared — so guessing
 * API keys or the admin token costs time.
 */
export class AuthenticationFailures {
  /** The default budget: 10 failures, one back every 5 s. */
  static readonly DEFAULTS: TokenBucketOptions = { perSecond: 0.2, capacity: 10 };
  readonly #limiter: TokenBuckets;

  constructor(
    options: TokenBucketOptions = AuthenticationFailures.DEFAULTS,
    limiter: TokenBuckets = new RateLimiter(options),
  ) {
    this.#limiter = limiter;
  }

  /** A 429 response when `c`'s source has no failures left, else undefined (go on and authenticate). */
  async blocked(c: RequestContext, envelope: ErrorEnvelopeHandlers): Promise<Response | undefined> {
    const source = sourceAddress(c);
    if (source === undefined || (await this.#limiter.has(source))) return undefined;
    // Spent: this attempt counts too. A token that came back meanwhile lets it through.
    const wait = await this.#limiter.take(source);
    return wait === 0 ? undefined : rateLimited(c, envelope, wait, 'too many failed authentications; slow down');
  }

  /** Records a failed authentication of `c`'s source. */
  async failed(c: Pick<Context, 'env'>): Promise<void> {
    const source = sourceAddress(c);
    if (source !== undefined) await this.#limiter.take(source);
  }
}
