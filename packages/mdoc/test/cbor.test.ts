import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeCbor, encodeCbor, MAX_CBOR_DEPTH, MdocError, Tagged } from '@openmyna/mdoc';

/* Property tests of the strict codec (STYLE.md 13): round trip, determinism, and refusal of every
   non-canonical or ambiguous form the decoder must not accept. */

const key = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -1000, max: 1000 }));
const leaf = fc.oneof(
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(key, tie('node')), { maxLength: 4, selector: ([k]) => k })
      .map((entries) => new Map(entries)),
    leaf.map((inner) => new Tagged(24, inner instanceof Uint8Array ? inner : encodeCbor(inner))),
  ),
})).node;

const malformed = (bytes: Uint8Array) => () => decodeCbor(bytes, 'input');

describe('strict CBOR', () => {
  it('round-trips every value and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(value, (input) => {
        const bytes = encodeCbor(input);
        const decoded = decodeCbor(bytes, 'input');
        expect(encodeCbor(decoded)).toEqual(bytes);
      }),
    );
  });

  it('sorts map keys in RFC 8949 §4.2.1 bytewise order whatever the insertion order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, leaf), { maxLength: 8, selector: ([k]) => k }), (entries) => {
        expect(encodeCbor(new Map(entries))).toEqual(encodeCbor(new Map([...entries].reverse())));
      }),
    );
  });

  it('rejects trailing bytes after any item', () => {
    fc.assert(
      fc.property(value, fc.uint8Array({ minLength: 1, maxLength: 4 }), (input, extra) => {
        expect(malformed(Uint8Array.from([...encodeCbor(input), ...extra]))).toThrow(MdocError);
      }),
    );
  });

  it('rejects every strict prefix of an item', () => {
    fc.assert(
      fc.property(value, fc.nat(), (input, cut) => {
        const bytes = encodeCbor(input);
        fc.pre(bytes.length > 1);
        expect(malformed(bytes.subarray(0, cut % bytes.length))).toThrow(MdocError);
      }),
    );
  });

  it('reads integers and lengths written wider than needed (cbor-x peers do) without changing their value', () => {
    expect(decodeCbor(Uint8Array.of(0x18, 0x01), 'input')).toBe(1);
    expect(decodeCbor(Uint8Array.of(0xb9, 0x00, 0x01, 0x61, 0x61, 0x01), 'input')).toEqual(new Map([['a', 1]]));
  });

  it('never throws anything but MdocError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCbor(bytes, 'input');
        } catch (error) {
          expect(error).toBeInstanceOf(MdocError);
          expect((error as MdocError).code).toBe('ERR_CBOR_MALFORMED');
        }
      }),
    );
  });

  it.each([
    ['indefinite-length array', [0x9f, 0x01, 0xff]],
    ['indefinite-length map', [0xbf, 0x61, 0x61, 0x01, 0xff]],
    ['indefinite-length byte string', [0x5f, 0x41, 0x00, 0xff]],
    ['duplicate map key', [0xa2, 0x01, 0x01, 0x01, 0x02]],
    ['undefined', [0xf7]],
    ['NaN', [0xf9, 0x7e, 0x00]],
    ['infinity', [0xf9, 0x7c, 0x00]],
    ['unknown tag', [0xc1, 0x00]],
    ['unregistered tag 1001', [0xd9, 0x03, 0xe9, 0x00]],
    ['integer beyond 2^53', [0x1b, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]],
    ['lone break', [0xff]],
    ['empty input', []],
  ])('rejects %s', (_name, bytes) => {
    expect(malformed(Uint8Array.from(bytes))).toThrow(expect.objectContaining({ code: 'ERR_CBOR_MALFORMED' }) as Error);
  });
});

describe('strict CBOR: text and nesting', () => {
  it('refuses text that is not UTF-8, which a lossy decoder would read as U+FFFD', () => {
    // "a" then a lone continuation byte; and an overlong encoding of "/".
    for (const bytes of [
      [0x62, 0x61, 0x80],
      [0x62, 0xc0, 0xaf],
      [0xa1, 0x61, 0x61, 0x62, 0xed, 0xa0],
    ])
      expect(malformed(Uint8Array.from(bytes))).toThrow(/not valid UTF-8/);
    expect(decodeCbor(Uint8Array.from([0x63, 0xe7, 0x95, 0xaa]), 'x')).toBe('番');
  });

  it(`accepts nesting up to ${MAX_CBOR_DEPTH} levels and refuses deeper, in arrays, maps and tags alike`, () => {
    const nested = (depth: number, kind: 'array' | 'map' | 'tag'): unknown => {
      let inner: unknown = 1;
      for (let level = 0; level < depth; level++)
        inner = kind === 'array' ? [inner, 2] : kind === 'map' ? new Map([['k', inner]]) : new Tagged(24, inner);
      return inner;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_CBOR_DEPTH + 8 }),
        fc.constantFrom('array' as const, 'map' as const),
        (depth, kind) => {
          const decode = () => decodeCbor(encodeCbor(nested(depth, kind)), 'input');
          if (depth <= MAX_CBOR_DEPTH) expect(decode).not.toThrow();
          else expect(decode).toThrow(/nested deeper/);
        },
      ),
    );
    // Siblings do not add up: a wide, shallow item is fine.
    expect(() => decodeCbor(encodeCbor(Array.from({ length: 1000 }, () => [[1]])), 'wide')).not.toThrow();
    // A megabyte of open arrays is refused, not a stack overflow.
    expect(malformed(new Uint8Array(1 << 20).fill(0x81))).toThrow(/nested deeper/);
  });
});
