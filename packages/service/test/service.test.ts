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
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true);
    now += 500;
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
  });
});
