import { parseIsoDate } from '@openmyna/core';
import {
  CardError,
  decodeBasicFourInfoFile,
  decodeCardFaceFile,
  decodeCardPublicKey,
  decodeCommonCardRecord,
  cvCertificateContents,
  decodeCvCertificate,
  decodeKeyId,
  encodeKeyId,
  issueCvCertificate,
  decodeMyNumberFile,
  encodeCardFaceFile,
  SoftwareCardKey,
  verifyKenhojoRecords,
  verifyKenkakuRecords,
  type CardRsaPublicKey,
} from '@openmyna/card';
import { readRsaPublicKey, SoftwareSigner } from '@openmyna/pki';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

// Every record parser answers arbitrary or mutated bytes with a value or a CardError, never anything
// else; the verifiers answer with a failed summary, never an exception.

const DECODERS: [string, (bytes: Uint8Array) => unknown][] = [
  ['decodeMyNumberFile', decodeMyNumberFile],
  ['decodeBasicFourInfoFile', decodeBasicFourInfoFile],
  ['decodeCardFaceFile', decodeCardFaceFile],
  ['decodeCvCertificate', decodeCvCertificate],
  ['cvCertificateContents', cvCertificateContents],
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

describe('CV certificates as an EF holds them (7F21) and as GET DATA answers them (contents)', () => {
  let signer: SoftwareSigner;
  beforeAll(async () => {
    signer = await SoftwareSigner.generate();
  });
  const keyId = fc
    .tuple(fc.integer({ min: 0, max: 9_999_999 }), fc.integer({ min: 0, max: 999 }), fc.boolean())
    .map(([number, serial, mfLevel]) =>
      encodeKeyId(`${String(number).padStart(7, '0')}/${String(serial).padStart(3, '0')}`, mfLevel),
    );
  const certificate = fc
    .tuple(keyId, keyId, fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.uint8Array({ minLength: 1, maxLength: 4 }))
    .map(([issuerKeyId, subjectKeyId, modulus, exponent]) => ({ issuerKeyId, subjectKeyId, modulus, exponent }));

  it('decodes both forms to the same certificate, and the contents of one are the other', async () => {
    await fc.assert(
      fc.asyncProperty(certificate, async ({ issuerKeyId, subjectKeyId, modulus, exponent }) => {
        const wrapped = await issueCvCertificate({
          issuerKeyId,
          subjectKeyId,
          subjectKey: { modulus, exponent },
          issuer: signer,
        });
        const contents = cvCertificateContents(wrapped);
        expect(Array.from(wrapped.subarray(0, 2))).toEqual([0x7f, 0x21]);
        expect(Array.from(contents.subarray(0, 2))).toEqual([0x5f, 0x4e]);
        expect(decodeCvCertificate(contents)).toEqual(decodeCvCertificate(wrapped));
        expect(decodeCvCertificate(contents).raw).toEqual(wrapped);
        expect(cvCertificateContents(contents)).toEqual(contents);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses every truncation of either form, and trailing bytes, with a CardError', async () => {
    const key = readRsaPublicKey(signer.publicKeyInfo);
    const wrapped = await issueCvCertificate({
      issuerKeyId: encodeKeyId('9000023/001'),
      subjectKeyId: encodeKeyId('1310123/000', true),
      subjectKey: { modulus: key.modulus, exponent: key.publicExponent },
      issuer: signer,
    });
    const contents = cvCertificateContents(wrapped);
    for (const form of [wrapped, contents]) {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: form.length - 1 }), (length) => {
          expect(() => decodeCvCertificate(form.subarray(0, length))).toThrow(CardError);
        }),
      );
      expect(() => decodeCvCertificate(Uint8Array.from([...form, 0x00]))).toThrow(CardError);
    }
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
