import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  CoreError,
  decodeTlv,
  decodeTlvChildren,
  decodeTlvRecord,
  decodeTlvSequence,
  encodeLength,
  encodeTag,
  encodeTlv,
  findTlv,
  type TlvObject,
} from '@openmyna/core';

import { readVectorJson, readVectorText } from '../../../test-support/test-vectors.js';

const text = new TextDecoder();
const ef0002 = hexToBytes(readVectorText('card-format/text-ap-ef0002.hex').trim());
const ef0001 = hexToBytes(readVectorText('card-format/text-ap-ef0001-physical.hex').trim());

interface TextApRecords {
  attributesEF: {
    offsetTable: { values: number[] };
    fields: { tag: string; offset: number; valueHex: string; decoded: string }[];
  };
}

describe('BER-TLV on the real card-format bytes (vectors/card-format)', () => {
  it('decodes 入力補助 EF 0002 (FF20 with the DF21 offset table)', () => {
    const record = decodeTlv(ef0002);
    expect(record.tag).toBe(0xff20);
    expect(record.constructed).toBe(true);
    const children = decodeTlvChildren(record);
    expect(children.map((child) => child.tag)).toEqual([0xdf21, 0xdf22, 0xdf23, 0xdf24, 0xdf25]);
    const vectors = readVectorJson<TextApRecords>('card-format/text-ap-records.json').attributesEF;
    const table = findTlv(children, 0xdf21)!.value;
    const offsets = [0, 2, 4, 6].map((i) => (table[i]! << 8) | table[i + 1]!);
    expect(offsets).toEqual(vectors.offsetTable.values);
    for (const field of vectors.fields) {
      const child = findTlv(children, parseInt(field.tag, 16))!;
      expect(child.offset).toBe(field.offset);
      expect(bytesToHex(child.value)).toBe(field.valueHex);
      expect(text.decode(child.value)).toBe(field.decoded);
    }
  });

  it('re-encodes EF 0002 byte for byte from its decoded values', () => {
    const children = decodeTlvChildren(decodeTlv(ef0002));
    const rebuilt = encodeTlv(
      0xff20,
      children.map((child) => encodeTlv(child.tag, child.value)),
    );
    expect(bytesToHex(rebuilt)).toBe(bytesToHex(ef0002));
  });

  it('decodes EF 0001 as a record followed by FF filler', () => {
    const { object, fillerLength } = decodeTlvRecord(ef0001);
    // FF10 has the constructed bit, yet the card stores the 12 ASCII digits directly in it.
    expect(object.tag).toBe(0xff10);
    expect(text.decode(object.value)).toBe('537686677188');
    expect(fillerLength).toBe(2);
    expect(bytesToHex(encodeTlv(0xff10, object.value))).toBe(bytesToHex(ef0001.subarray(0, 15)));
  });
});

describe('BER-TLV strictness', () => {
  it.each([
    ['empty input', ''],
    ['tag only', 'df'],
    ['tag without length', 'df21'],
    ['truncated value', 'df210301'],
    ['truncated long length', 'df2182'],
    ['indefinite length', 'ff2080df210100000000'],
    ['non-minimal short length (81 05)', 'df218105' + '00'.repeat(5)],
    ['non-minimal long length (82 00 90)', 'df21820090' + '00'.repeat(0x90)],
    ['5-byte length', 'df21850000000001'],
    ['tag with a leading zero group (9F 80 01)', '9f800100'],
    ['tag longer than 3 bytes', 'df81818101' + '00'],
    ['trailing byte after the object', 'df210100' + '00'],
  ])('rejects %s', (_label, hex) => {
    expect(() => decodeTlv(hexToBytes(hex))).toThrow(CoreError);
  });

  it.each([
    ['a child overrunning its parent', 'ff2004df210200' + '00'],
    ['garbage after the last child', 'ff2004df210000'],
    ['a truncated child header', 'ff2001df'],
  ])('rejects %s when reading children', (_label, hex) => {
    expect(() => decodeTlvChildren(decodeTlv(hexToBytes(hex)))).toThrow(CoreError);
  });

  it('keeps child offsets relative to the whole input', () => {
    const [first, second] = decodeTlvChildren(decodeTlv(hexToBytes('ff2007df2101aa9001bb')));
    expect(first!.offset).toBe(3);
    expect(second!.offset).toBe(7);
    expect(decodeTlvChildren(decodeTlv(hexToBytes('ff2000')))).toEqual([]);
  });

  it('names the failure with a stable code', () => {
    const code = (hex: string) => {
      try {
        decodeTlv(hexToBytes(hex));
      } catch (error) {
        return (error as CoreError).code;
      }
      return 'none';
    };
    expect(code('df210301')).toBe('ERR_TLV_TRUNCATED');
    expect(code('df218105' + '00'.repeat(5))).toBe('ERR_TLV_LENGTH');
    expect(code('df210100' + '00')).toBe('ERR_TLV_TRAILING_DATA');
    expect(code('9f800100')).toBe('ERR_TLV_TAG');
  });

  it('checks record filler', () => {
    expect(decodeTlvRecord(hexToBytes('df210100' + '0000')).fillerLength).toBe(2);
    expect(() => decodeTlvRecord(hexToBytes('df210100' + 'ff00'))).toThrow(
      expect.objectContaining({ code: 'ERR_TLV_FILLER' }),
    );
    expect(() => decodeTlvRecord(hexToBytes('df210100' + '12'))).toThrow(
      expect.objectContaining({ code: 'ERR_TLV_FILLER' }),
    );
  });

  it('encodes minimal lengths and checks tags', () => {
    expect(bytesToHex(encodeLength(0x7f))).toBe('7f');
    expect(bytesToHex(encodeLength(0x80))).toBe('8180');
    expect(bytesToHex(encodeLength(0x14b))).toBe('82014b');
    expect(bytesToHex(encodeLength(0x10000))).toBe('83010000');
    expect(bytesToHex(encodeTag(0xff20))).toBe('ff20');
    expect(bytesToHex(encodeTag(0x5f4e))).toBe('5f4e');
    expect(bytesToHex(encodeTag(0x7f21))).toBe('7f21');
    expect(() => encodeTag(0xdf)).toThrow(expect.objectContaining({ code: 'ERR_TLV_TRUNCATED' }));
    expect(() => encodeTag(0x0101)).toThrow(expect.objectContaining({ code: 'ERR_TLV_TAG' }));
    expect(() => encodeTag(0x1_000_000)).toThrow(expect.objectContaining({ code: 'ERR_TLV_TAG' }));
    expect(() => encodeLength(-1)).toThrow(expect.objectContaining({ code: 'ERR_TLV_VALUE_TOO_LONG' }));
  });
});

// Tags as the card uses them: one byte (90, 91), two bytes in the private class (DF21, FF20), and
// application-class CV-certificate tags (5F4E, 7F21).
const primitiveTag = fc.oneof(
  fc.constantFrom(0x04, 0x90, 0x91, 0x86),
  fc.integer({ min: 0x01, max: 0x7f }).map((n) => 0xdf00 | n),
  fc.integer({ min: 0x01, max: 0x7f }).map((n) => 0x5f00 | n),
  fc
    .tuple(fc.integer({ min: 0x81, max: 0xff }), fc.integer({ min: 0, max: 0x7f }))
    .map(([a, b]) => 0x9f0000 | (a << 8) | b),
);
const constructedTag = fc.oneof(
  fc.integer({ min: 0x01, max: 0x7f }).map((n) => 0xff00 | n),
  fc.integer({ min: 0x01, max: 0x7f }).map((n) => 0x7f00 | n),
  fc.constantFrom(0x30, 0xa1),
);

type Tree = { tag: number; value: Uint8Array } | { tag: number; children: Tree[] };

const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ tag: primitiveTag, value: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ tag: constructedTag, children: fc.array(tie('tree'), { maxLength: 4 }) }),
  ),
}));

function encodeTree(node: Tree): Uint8Array {
  return 'value' in node ? encodeTlv(node.tag, node.value) : encodeTlv(node.tag, node.children.map(encodeTree));
}

function sameTree(decoded: TlvObject, node: Tree): void {
  expect(decoded.tag).toBe(node.tag);
  if ('value' in node) expect(bytesToHex(decoded.value)).toBe(bytesToHex(node.value));
  else {
    const children = decodeTlvChildren(decoded);
    expect(children).toHaveLength(node.children.length);
    children.forEach((child, i) => sameTree(child, node.children[i]!));
  }
}

describe('BER-TLV properties', () => {
  it('round-trips any tree of data objects', () => {
    fc.assert(
      fc.property(tree, (node) => {
        const encoded = encodeTree(node);
        const decoded = decodeTlv(encoded);
        sameTree(decoded, node);
        expect(decoded.raw).toEqual(encoded);
      }),
    );
  });

  it('rejects a non-minimal length anywhere in an encoding', () => {
    fc.assert(
      fc.property(primitiveTag, fc.uint8Array({ maxLength: 200 }), (tag, value) => {
        const tagBytes = encodeTag(tag);
        const padded = value.length < 0x80 ? [0x81, value.length] : [0x82, 0x00, value.length];
        const encoded = new Uint8Array([...tagBytes, ...padded, ...value]);
        expect(() => decodeTlv(encoded)).toThrow(expect.objectContaining({ code: 'ERR_TLV_LENGTH' }));
      }),
    );
  });

  it('rejects any truncation of a valid encoding', () => {
    fc.assert(
      fc.property(tree, fc.nat(), (node, cut) => {
        const encoded = encodeTree(node);
        const prefix = encoded.subarray(0, cut % encoded.length);
        expect(() => decodeTlv(prefix)).toThrow(CoreError);
      }),
    );
  });

  it('reads children of any data object without anything but a result or a CoreError', () => {
    fc.assert(
      fc.property(primitiveTag, fc.uint8Array({ maxLength: 40 }), (tag, value) => {
        try {
          decodeTlvChildren(decodeTlv(encodeTlv(tag, value)));
        } catch (error) {
          expect(error).toBeInstanceOf(CoreError);
        }
      }),
    );
  });

  it('rejects trailing bytes after a valid encoding', () => {
    fc.assert(
      fc.property(tree, fc.uint8Array({ minLength: 1, maxLength: 8 }), (node, extra) => {
        const encoded = encodeTree(node);
        expect(() => decodeTlv(new Uint8Array([...encoded, ...extra]))).toThrow(CoreError);
      }),
    );
  });

  it('answers arbitrary bytes with a result or a CoreError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeTlvSequence(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CoreError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
