import { parseIsoDate } from '@openmyna/core';
import {
  CardError,
  decodeBasicFourInfoFile,
  decodeCardFaceFile,
  decodeCardPublicKey,
  decodeCommonCardRecord,
  decodeCvCertificate,
  decodeKeyId,
  decodeMyNumberFile,
  encodeCardFaceFile,
  SoftwareCardKey,
  verifyKenhojoRecords,
  verifyKenkakuRecords,
  type CardRsaPublicKey,
} from '@openmyna/card';
import { readRsaPublicKey } from '@openmyna/pki';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

// Every record parser answers arbitrary or mutated bytes with a value or a CardError, never anything
// else; the verifiers answer with a failed summary, never an exception.

const DECODERS: [string, (bytes: Uint8Array) => unknown][] = [
  ['decodeMyNumberFile', decodeMyNumberFile],
  ['decodeBasicFourInfoFile', decodeBasicFourInfoFile],
  ['decodeCardFaceFile', decodeCardFaceFile],
  ['decodeCvCertificate', decodeCvCertificate],
  ['decodeCardPublicKey', decodeCardPublicKey],
  ['decodeKeyId', decodeKeyId],
  ['decodeCommonCardRecord', decodeCommonCardRecord],
];

function typedOrValue(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(CardError);
  }
}

let cardFaceFile: Uint8Array;
const noKeys = new Map<string, CardRsaPublicKey>();

beforeAll(async () => {
  const issuer = await SoftwareCardKey.generate();
  const card = readRsaPublicKey((await SoftwareCardKey.generate()).publicKeyInfo);
  cardFaceFile = await encodeCardFaceFile(
    {
      birthDate: parseIsoDate('1980-02-17'),
      sex: '1',
      cardKey: { modulus: card.modulus, exponent: card.publicExponent },
      nameImage: Uint8Array.of(1, 2, 3),
      addressImage: Uint8Array.of(4, 5, 6),
      photo: Uint8Array.of(7, 8, 9),
      expiry: parseIsoDate('2030-02-17'),
      securityCodeImage: Uint8Array.of(10),
    },
    issuer.key,
  );
});

describe('card record parsers on arbitrary bytes', () => {
  it.each(DECODERS)('%s answers arbitrary bytes with a value or a CardError', (_, decode) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => typedOrValue(decode, bytes)));
  });

  it.each(DECODERS)('%s answers BER-TLV-shaped bytes with a value or a CardError', (_, decode) => {
    const tlv = fc
      .tuple(
        fc.constantFrom(0xff, 0xdf, 0x7f, 0x5f, 0x90),
        fc.integer({ min: 0, max: 0xff }),
        fc.uint8Array({ maxLength: 300 }),
      )
      .map(([first, second, value]) =>
        Uint8Array.from([
          first,
          second,
          ...(value.length < 0x80 ? [value.length] : [0x82, value.length >> 8, value.length & 0xff]),
          ...value,
        ]),
      );
    fc.assert(fc.property(tlv, (bytes) => typedOrValue(decode, bytes)));
  });

  it('refuses a CV certificate whose contents are not TLV objects with a CardError (found by the property)', () => {
    // 7F21 of length 1 holding 00: the outer object decodes, its contents do not.
    expect(() => decodeCvCertificate(Uint8Array.of(0x7f, 0x21, 0x01, 0x00))).toThrow(CardError);
    expect(() => decodeCvCertificate(Uint8Array.of(0x7f, 0x21, 0x02, 0x5f, 0x4e))).toThrow(CardError);
  });

  it('reads a valid card face and refuses every truncation of it with a CardError', () => {
    expect(decodeCardFaceFile(cardFaceFile).face.sex).toBe('1');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: cardFaceFile.length - 1 }), (length) => {
        expect(() => decodeCardFaceFile(cardFaceFile.subarray(0, length))).toThrow(CardError);
      }),
    );
  });

  it('answers any one-byte change of a card face with a value or a CardError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: cardFaceFile.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, flip) => {
          const changed = cardFaceFile.slice();
          changed[at]! ^= flip;
          typedOrValue(decodeCardFaceFile, changed);
        },
      ),
    );
  });
});

describe('record verifiers on arbitrary bytes', () => {
  it('fail closed, naming checks, and never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), (a, b) => {
        const kenhojo = verifyKenhojoRecords({ integrityRecord: a, cvCertificate: b, myNumberFile: a }, noKeys);
        expect(kenhojo.status).toBe('invalid');
        const kenkaku = verifyKenkakuRecords({ cvCertificate: b, cardFaceFile: a, ageRecord: b }, noKeys);
        expect(kenkaku.status).toBe('invalid');
        expect(kenkaku.decidedBy?.check).toMatch(/^kenkaku\./);
      }),
    );
  });
});
