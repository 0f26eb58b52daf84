import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeCbor, encodeCbor, MdocError, Tagged } from '@openmyna/mdoc';

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
