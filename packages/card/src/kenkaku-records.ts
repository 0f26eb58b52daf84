import {
  CoreError,
  encodeLength,
  encodeTag,
  encodeTlv,
  formatCardDate,
  parseCardDate,
  parseSexCode,
  type CalendarDate,
  type SexCode,
  type TlvObject,
} from '@openmyna/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import {
  fail,
  pass,
  recoverPkcs1SignedData,
  rsaPublicNumbers,
  summarize,
  type CheckResult,
  type VerificationSummary,
} from '@openmyna/pki';

import type { CardPrivateKey } from './card-private-key.js';
import {
  decodeCardPublicKey,
  checkCvCertificate,
  encodeCardPublicKey,
  verifyCardSignature,
  type CardRsaPublicKey,
} from './cv-certificate.js';
import { CardError } from './errors.js';
import { readRecordChildren, readRecordObject } from './record-reading.js';
import { constantTimeEqual } from '@openmyna/core';

/** The card face's contents (券面事項確認AP EF 0002, card-spec §3.5). */
export interface CardFace {
  readonly birthDate: CalendarDate;
  readonly sex: SexCode;
  /** The AP's own public key (DF24), which answers the card-presence challenge. */
  readonly cardKey: CardRsaPublicKey;
  /** 氏名 as printed: a 1-bit greyscale PNG. */
  readonly nameImage: Uint8Array;
  /** 住所 as printed: a 1-bit greyscale PNG. */
  readonly addressImage: Uint8Array;
  /** 顔写真. */
  readonly photo: Uint8Array;
  readonly expiry: CalendarDate;
  /** セキュリティコード as printed: a PNG. */
  readonly securityCodeImage: Uint8Array;
}

/** The prefix of the card face's DigestInfo: SHA-256's AlgorithmIdentifier and a 96-byte OCTET STRING (card-spec §3.5). */
const CARD_FACE_DIGEST_INFO_PREFIX = hexToBytes('3071300d060960864801650304020105000460');

/**
 * The 96 bytes the card-face signature covers: SHA-256 of the DF22‖DF23‖DF24 objects (birth date, sex,
 * card key), of DF25‖DF26 (name and address images) and of DF27 (photo), concatenated.
 */
function cardFaceDigests(objects: {
  df22: Uint8Array;
  df23: Uint8Array;
  df24: Uint8Array;
  df25: Uint8Array;
  df26: Uint8Array;
  df27: Uint8Array;
}): Uint8Array {
  return new Uint8Array([
    ...sha256(new Uint8Array([...objects.df22, ...objects.df23, ...objects.df24])),
    ...sha256(new Uint8Array([...objects.df25, ...objects.df26])),
    ...sha256(objects.df27),
  ]);
}

/**
 * 券面事項確認AP EF 0002: `FF20 { DF21 offsets, DF22 birth date, DF23 sex, DF24 card key, DF25 name
 * image, DF26 address image, DF27 photo, DF28 signature, DF29 expiry, DF2A security-code image }`,
 * DF21 holding the absolute offsets of the nine objects. DF28 is PKCS#1 v1.5 over a DigestInfo whose
 * OCTET STRING is the 96 bytes of three SHA-256 digests; DF29 and DF2A are not covered.
 */
export async function encodeCardFaceFile(face: CardFace, issuer: CardPrivateKey): Promise<Uint8Array> {
  const ascii = (text: string) => new TextEncoder().encode(text);
  const df22 = encodeTlv(0xdf22, ascii(formatCardDate(face.birthDate)));
  const df23 = encodeTlv(0xdf23, ascii(face.sex));
  const df24 = encodeTlv(0xdf24, encodeCardPublicKey(face.cardKey));
  const df25 = encodeTlv(0xdf25, face.nameImage);
  const df26 = encodeTlv(0xdf26, face.addressImage);
  const df27 = encodeTlv(0xdf27, face.photo);
  const digests = cardFaceDigests({ df22, df23, df24, df25, df26, df27 });
  const df28 = encodeTlv(0xdf28, await issuer.signPkcs1(new Uint8Array([...CARD_FACE_DIGEST_INFO_PREFIX, ...digests])));
  const df29 = encodeTlv(0xdf29, ascii(formatCardDate(face.expiry)));
  const df2a = encodeTlv(0xdf2a, face.securityCodeImage);
  const fields = [df22, df23, df24, df25, df26, df27, df28, df29, df2a];
  const tableLength = 3 + fields.length * 2;
  const contentLength = tableLength + fields.reduce((total, field) => total + field.length, 0);
  const table = new Uint8Array(fields.length * 2);
  let offset = encodeTag(0xff20).length + encodeLength(contentLength).length + tableLength;
  fields.forEach((field, index) => {
    table[index * 2] = offset >> 8;
    table[index * 2 + 1] = offset & 0xff;
    offset += field.length;
  });
  if (offset > 0xffff) throw new CardError('ERR_CARD_RECORD', 'the card face does not fit 16-bit offsets');
  return encodeTlv(0xff20, [encodeTlv(0xdf21, table), ...fields]);
}

type TenObjects = [
  TlvObject,
  TlvObject,
  TlvObject,
  TlvObject,
  TlvObject,
  TlvObject,
  TlvObject,
  TlvObject,
  TlvObject,
  TlvObject,
];

/** A decoded card face and the material its signature check needs. */
export interface CardFaceFile {
  readonly face: CardFace;
  readonly digests: Uint8Array;
  readonly signature: Uint8Array;
}

/** Reads EF 0002, checking the offset table against where each object really is. */
export function decodeCardFaceFile(bytes: Uint8Array): CardFaceFile {
  const object = readRecordObject(bytes, 0xff20, 'the card face');
  const children = readRecordChildren(object, 'the card face');
  const tags = [0xdf21, 0xdf22, 0xdf23, 0xdf24, 0xdf25, 0xdf26, 0xdf27, 0xdf28, 0xdf29, 0xdf2a];
  if (children.map((child) => child.tag).join() !== tags.join())
    throw new CardError('ERR_CARD_RECORD', 'the card face holds DF21 to DF2A in order');
  // The tag check above guarantees ten objects.
  const [table, df22, df23, df24, df25, df26, df27, df28, df29, df2a] = children as unknown as TenObjects;
  const fields = [df22, df23, df24, df25, df26, df27, df28, df29, df2a];
  if (table.value.length !== fields.length * 2)
    throw new CardError('ERR_CARD_RECORD', 'the DF21 offset table has 18 bytes');
  fields.forEach((field, index) => {
    if (((table.value[index * 2]! << 8) | table.value[index * 2 + 1]!) !== field.offset) {
      throw new CardError('ERR_CARD_RECORD', `offset ${index} of the DF21 table does not point at its object`);
    }
  });
  try {
    return {
      face: {
        birthDate: parseCardDate(String.fromCharCode(...df22.value)),
        sex: parseSexCode(String.fromCharCode(...df23.value)),
        cardKey: decodeCardPublicKey(df24.value),
        nameImage: df25.value,
        addressImage: df26.value,
        photo: df27.value,
        expiry: parseCardDate(String.fromCharCode(...df29.value)),
        securityCodeImage: df2a.value,
      },
      digests: cardFaceDigests({
        df22: df22.raw,
        df23: df23.raw,
        df24: df24.raw,
        df25: df25.raw,
        df26: df26.raw,
        df27: df27.raw,
      }),
      signature: df28.value,
    };
  } catch (error) {
    if (error instanceof CardError) throw error;
    throw new CardError('ERR_CARD_RECORD', 'a field of the card face cannot be read', {
      cause: error instanceof CoreError ? error : undefined,
    });
  }
}

/** A signed `tag { image-or-date, card key, signature }` record: EF 0001 (FF10: DF11/12/13) and EF 0005 (FF40: DF41/42/43). */
async function encodeSignedRecord(
  tag: number,
  first: number,
  value: Uint8Array,
  cardKey: CardRsaPublicKey,
  issuer: CardPrivateKey,
): Promise<Uint8Array> {
  const a = encodeTlv(first, value);
  const b = encodeTlv(first + 1, encodeCardPublicKey(cardKey));
  const signed = new Uint8Array([...a, ...b]);
  const signature = await issuer.signPkcs1(
    new Uint8Array([...hexToBytes('3031300d060960864801650304020105000420'), ...sha256(signed)]),
  );
  return encodeTlv(tag, [a, b, encodeTlv(first + 2, signature)]);
}

/** EF 0001, the age record opened by the birth-date key: `FF10 { DF11 YYYYMMDD, DF12 card key, DF13 signature }`. */
export function encodeAgeRecord(
  birthDate: CalendarDate,
  cardKey: CardRsaPublicKey,
  issuer: CardPrivateKey,
): Promise<Uint8Array> {
  return encodeSignedRecord(0xff10, 0xdf11, new TextEncoder().encode(formatCardDate(birthDate)), cardKey, issuer);
}

/** EF 0005, the 個人番号 as printed: `FF40 { DF41 PNG, DF42 card key, DF43 signature }`. */
export function encodeMyNumberImageRecord(
  image: Uint8Array,
  cardKey: CardRsaPublicKey,
  issuer: CardPrivateKey,
): Promise<Uint8Array> {
  return encodeSignedRecord(0xff40, 0xdf41, image, cardKey, issuer);
}

/** What the 券面 access path revealed, for {@link verifyKenkakuRecords}. */
export interface KenkakuRecords {
  /** EF 0004. */
  readonly cvCertificate: Uint8Array;
  readonly cardFaceFile?: Uint8Array;
  readonly ageRecord?: Uint8Array;
  readonly myNumberImageRecord?: Uint8Array;
  /** The card-presence proof: a fresh challenge and the AP's signature over it (`80 2A 00 00`). */
  readonly presence?: { readonly challenge: Uint8Array; readonly signature: Uint8Array };
}

/**
 * Verifies 券面 records: the CV certificate under a trusted CA key, each record's signature under the
 * certified key (the card face's with its 96-byte digest list), that every record names the same card
 * key, and — given a challenge the verifier chose — that the card holding that key is present.
 */
export function verifyKenkakuRecords(
  records: KenkakuRecords,
  caKeys: ReadonlyMap<string, CardRsaPublicKey>,
): VerificationSummary {
  const checks: CheckResult[] = [];
  const certificate = checkCvCertificate('kenkaku.cv-certificate', records.cvCertificate, caKeys);
  checks.push(certificate.result);
  const issuerKey = certificate.subjectKey;
  const cardKeys: CardRsaPublicKey[] = [];
  if (records.cardFaceFile) {
    const cardFace = checkCardFaceFile(records.cardFaceFile, issuerKey);
    checks.push(cardFace.result);
    if (cardFace.cardKey) cardKeys.push(cardFace.cardKey);
  }
  for (const [name, record, tag] of [
    ['age-record', records.ageRecord, 0xff10],
    ['my-number-image', records.myNumberImageRecord, 0xff40],
  ] as const) {
    if (!record) continue;
    const signedRecord = checkSignedRecord(name, record, tag, issuerKey);
    checks.push(...signedRecord.checks);
    if (signedRecord.cardKey) cardKeys.push(signedRecord.cardKey);
  }
  const [first] = cardKeys;
  checks.push(
    first && cardKeys.every((key) => constantTimeEqual(key.modulus, first.modulus))
      ? pass('kenkaku.card-key-consistent')
      : fail(
          'kenkaku.card-key-consistent',
          first ? 'the records name different card keys' : 'no record names a card key',
        ),
  );
  if (records.presence && first) {
    checks.push(
      verifyCardSignature(first, records.presence.challenge, records.presence.signature)
        ? pass('kenkaku.card-presence')
        : fail('kenkaku.card-presence', 'the challenge was not signed by the card the records belong to'),
    );
  }
  return summarize(checks);
}

/** The card face: the issuer's signature recovers the DigestInfo over its 96-byte digest list. */
function checkCardFaceFile(
  cardFaceFile: Uint8Array,
  issuerKey: CardRsaPublicKey | undefined,
): { result: CheckResult; cardKey?: CardRsaPublicKey } {
  try {
    const file = decodeCardFaceFile(cardFaceFile);
    const recovered = issuerKey
      ? recoverPkcs1SignedData(rsaPublicNumbers(issuerKey.modulus, issuerKey.exponent), file.signature)
      : undefined;
    const expected = new Uint8Array([...CARD_FACE_DIGEST_INFO_PREFIX, ...file.digests]);
    const result =
      recovered && constantTimeEqual(recovered, expected)
        ? pass('kenkaku.card-face-signature')
        : fail('kenkaku.card-face-signature', 'the card face is not signed by the certified key');
    return { result, cardKey: file.face.cardKey };
  } catch {
    return { result: fail('kenkaku.card-face-signature', 'the card face cannot be read') };
  }
}

/**
 * A signed record (EF 0001 or EF 0005): the signature over its first two objects, under the certified key.
 * A card key that cannot be decoded adds "cannot be read" after the signature's own check.
 */
function checkSignedRecord(
  name: 'age-record' | 'my-number-image',
  record: Uint8Array,
  tag: number,
  issuerKey: CardRsaPublicKey | undefined,
): { checks: CheckResult[]; cardKey?: CardRsaPublicKey } {
  const checks: CheckResult[] = [];
  try {
    const [value, key, signature] = readRecordChildren(readRecordObject(record, tag, name), name);
    if (!value || !key || !signature) throw new CardError('ERR_CARD_RECORD', 'three objects');
    const valid =
      issuerKey !== undefined &&
      verifyCardSignature(issuerKey, new Uint8Array([...value.raw, ...key.raw]), signature.value);
    checks.push(
      valid ? pass(`kenkaku.${name}-signature`) : fail(`kenkaku.${name}-signature`, 'not signed by the certified key'),
    );
    return { checks, cardKey: decodeCardPublicKey(key.value) };
  } catch {
    checks.push(fail(`kenkaku.${name}-signature`, 'the record cannot be read'));
    return { checks };
  }
}
