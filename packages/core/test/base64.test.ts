import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  base64Decode,
  base64Encode,
  base64NoPadDecode,
  base64UrlDecode,
  base64UrlEncode,
  base64UrlPaddedDecode,
  CoreError,
} from '@openmyna/core';

// RFC 4648 §10 test vectors.
const VECTORS: [string, string][] = [
  ['', ''],
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
];

describe('base64 (RFC 4648)', () => {
  it('matches the RFC 4648 §10 vectors both ways', () => {
    for (const [text, encoded] of VECTORS) {
      const bytes = new TextEncoder().encode(text);
      expect(base64Encode(bytes)).toBe(encoded);
      expect(base64Decode(encoded)).toEqual(bytes);
      expect(base64UrlEncode(bytes)).toBe(encoded.replace(/=+$/, ''));
      expect(base64NoPadDecode(encoded.replace(/=+$/, ''))).toEqual(bytes);
    }
  });

  it('round-trips any bytes, and agrees with Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(base64Decode(base64Encode(bytes))).toEqual(bytes);
        expect(base64UrlDecode(base64UrlEncode(bytes))).toEqual(bytes);
        expect(base64Encode(bytes)).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64UrlEncode(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
        const padded = Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
        expect(base64UrlPaddedDecode(padded)).toEqual(bytes);
      }),
    );
  });

  it.each([
    ['base64 with a base64url character', () => base64Decode('ab-_')],
    ['base64 without its padding', () => base64Decode('Zg')],
    ['base64 with non-zero trailing bits', () => base64Decode('Zh==')],
    ['base64url with padding', () => base64UrlDecode('Zg==')],
    ['base64url with a base64 character', () => base64UrlDecode('ab+/')],
    ['base64url of impossible length', () => base64UrlDecode('Zm9vY')],
    ['whitespace', () => base64Decode('Zm9v\n')],
  ])('refuses %s with ERR_BASE64', (_, decode) => {
    expect(decode).toThrow(expect.objectContaining({ code: 'ERR_BASE64' }) as Error);
    try {
      decode();
    } catch (error) {
      expect(error).toBeInstanceOf(CoreError);
    }
  });
});
