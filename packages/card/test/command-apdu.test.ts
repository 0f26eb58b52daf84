import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  CardError,
  decodeCommandApdu,
  decodeResponseApdu,
  encodeCommandApdu,
  encodeResponseApdu,
} from '@openmyna/card';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readVectorJson } from '../../../test-support/test-vectors.js';

const vectors = readVectorJson<{ commands: { hex: string; meaning: string }[] }>('card-format/apdu-examples.json');

describe('command APDUs (ISO/IEC 7816-4 §5.1)', () => {
  it.each(vectors.commands.map((command) => [command.hex, command.meaning] as const))('round-trips %s (%s)', (hex) => {
    const apdu = decodeCommandApdu(hexToBytes(hex));
    expect(bytesToHex(encodeCommandApdu(apdu))).toBe(hex);
  });

  it('decodes each of the seven cases', () => {
    expect(decodeCommandApdu(hexToBytes('00a40000'))).toMatchObject({ ins: 0xa4, le: undefined, extended: false });
    expect(decodeCommandApdu(hexToBytes('00b0000000')).le).toBe(256);
    expect(decodeCommandApdu(hexToBytes('00a4020c02000a')).data).toEqual(hexToBytes('000a'));
    expect(decodeCommandApdu(hexToBytes('802a008003aabbcc00'))).toMatchObject({ le: 256, data: hexToBytes('aabbcc') });
    expect(decodeCommandApdu(hexToBytes('00b08a00000000'))).toMatchObject({ le: 65536, extended: true });
    expect(decodeCommandApdu(hexToBytes('00b08a00000400'))).toMatchObject({ le: 1024, extended: true });
    expect(decodeCommandApdu(hexToBytes('80a20000000003aabbcc'))).toMatchObject({
      le: undefined,
      extended: true,
      data: hexToBytes('aabbcc'),
    });
    expect(decodeCommandApdu(hexToBytes('80a20000000003aabbcc0000'))).toMatchObject({ le: 65536, extended: true });
  });

  it.each([
    ['too short', '00a400'],
    ['Lc longer than the data', '00a4020c0300'],
    ['Lc shorter than the data', '00a4020c01000a0b0c'],
    ['an extended Lc of zero with data', '00a40000000000aa'],
    ['a truncated extended header', '00b0000000ff'],
    ['extended data with a one-byte Le', '80a20000000003aabbcc00'],
  ])('refuses %s', (_label, hex) => {
    expect(() => decodeCommandApdu(hexToBytes(hex))).toThrow(CardError);
  });

  const apdu = fc.record({
    cla: fc.integer({ min: 0, max: 255 }),
    ins: fc.integer({ min: 0, max: 255 }),
    p1: fc.integer({ min: 0, max: 255 }),
    p2: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 600 }),
    le: fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
  });

  it('round-trips any APDU through encode and decode (property)', () => {
    fc.assert(
      fc.property(apdu, (command) => {
        const decoded = decodeCommandApdu(encodeCommandApdu(command));
        expect(decoded).toMatchObject({
          cla: command.cla,
          ins: command.ins,
          p1: command.p1,
          p2: command.p2,
          le: command.le,
        });
        expect(bytesToHex(decoded.data)).toBe(bytesToHex(command.data));
      }),
    );
  });

  it('answers arbitrary bytes with an APDU or a CardError (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const decoded = decodeCommandApdu(bytes);
          expect(bytesToHex(encodeCommandApdu(decoded))).toBe(bytesToHex(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(CardError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('checks fields when encoding', () => {
    expect(() => encodeCommandApdu({ cla: 256, ins: 0, p1: 0, p2: 0 })).toThrow(CardError);
    expect(() => encodeCommandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, le: 0 })).toThrow(CardError);
    expect(() =>
      encodeCommandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, data: new Uint8Array(300), extended: false }),
    ).toThrow(CardError);
  });
});

describe('response APDUs', () => {
  it('splits data and status word', () => {
    expect(decodeResponseApdu(hexToBytes('01029000'))).toEqual({ data: hexToBytes('0102'), sw: 0x9000 });
    expect(bytesToHex(encodeResponseApdu({ data: hexToBytes('aa'), sw: 0x63c2 }))).toBe('aa63c2');
    expect(() => decodeResponseApdu(hexToBytes('90'))).toThrow(CardError);
  });
});
