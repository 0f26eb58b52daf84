import { bytesToBinaryString } from '@openmyna/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('bytesToBinaryString', () => {
  it('has one code unit per byte, equal to the byte, past the slice size too (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10_000 }), (bytes) => {
        const text = bytesToBinaryString(bytes);
        expect(text.length).toBe(bytes.length);
        expect(Uint8Array.from(text, (character) => character.charCodeAt(0))).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('gives different strings for different bytes, so it can key a cache (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        const same = a.length === b.length && a.every((byte, index) => byte === b[index]);
        expect(bytesToBinaryString(a) === bytesToBinaryString(b)).toBe(same);
      }),
    );
  });

  it('reads a view, not its whole buffer', () => {
    const buffer = Uint8Array.of(1, 2, 3, 4, 5);
    expect(bytesToBinaryString(buffer.subarray(1, 3))).toBe('\u0002\u0003');
  });
});
