import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { bearerToken, RateLimiter, secretsEqual, tokenDigest } from '../src/index.js';

describe('service plumbing', () => {
  it('reads bearer tokens strictly, and nothing else', () => {
    expect(bearerToken('Bearer abc.DEF-123')).toBe('abc.DEF-123');
    expect(bearerToken('bearer abc')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    fc.assert(fc.property(fc.string(), (header) => [undefined, header.slice(7)].includes(bearerToken(header))));
  });

  it('compares secrets whatever their lengths, and never accepts an empty one', () => {
    expect(secretsEqual('s3cret', 's3cret')).toBe(true);
    expect(secretsEqual('s3cret', 's3cret!')).toBe(false);
    expect(secretsEqual('', '')).toBe(false);
    expect(tokenDigest('key')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('limits each key to its bucket and refills with time', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, capacity: 3, clock: () => now });
    // 0 = granted; otherwise the whole seconds until a token is back (a 429's Retry-After).
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([0, 0, 0, 1]);
    expect(limiter.take('b')).toBe(0);
    now += 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.has('a')).toBe(false);
    expect(limiter.take('a')).toBeGreaterThanOrEqual(1);
    const slow = new RateLimiter({ perSecond: 0.2, capacity: 1, clock: () => now });
    slow.take('x');
    expect(slow.take('x')).toBe(5);
  });
});
