import {
  bytesToBinaryString,
  encodeLength,
  encodeTag,
  encodeTlv,
  formatCardDate,
  parseCardDate,
  parseSexCode,
  validateMyNumber,
  type BasicFourInfo,
  type TlvObject,
} from '@openmyna/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { fail, pass, skip, summarize, type CheckResult, type Signer, type VerificationSummary } from '@openmyna/pki';

import {
  checkCvCertificate,
  verifyCardSignature,
  type CardRsaPublicKey,
  type CardSignatureCheck,
} from './cv-certificate.js';
import { CardError } from './errors.js';
import { readRecordChildren, readRecordObject } from './record-reading.js';
import { constantTimeEqual } from '@openmyna/core';

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * 入力補助 EF 0001 as the card stores it (card-spec §3.1): `FF 10 0C` + the 12 digits + `FF FF`,
 * 17 bytes, all of which the integrity record's DF31 covers.
 */
export function encodeMyNumberFile(myNumber: string): Uint8Array {
  if (!/^\d{12}$/.test(myNumber)) throw new CardError('ERR_CARD_RECORD', 'a 個人番号 has 12 digits');
  return new Uint8Array([...encodeTlv(0xff10, utf8.encode(myNumber)), 0xff, 0xff]);
}

/** Reads EF 0001; the check digit's validity is reported, not assumed. */
export function decodeMyNumberFile(bytes: Uint8Array): { myNumber: string; checkDigitValid: boolean } {
  const object = readRecordObject(bytes, 0xff10, 'the 個人番号 EF');
  const text = bytesToBinaryString(object.value);
  if (!/^\d{12}$/.test(text)) throw new CardError('ERR_CARD_RECORD', 'the 個人番号 EF does not hold 12 digits');
  return { myNumber: text, checkDigitValid: validateMyNumber(text).valid };
}

/**
 * 入力補助 EF 0002 (card-spec §3.2): `FF 20 { DF21 offsets, DF22 氏名, DF23 住所, DF24 YYYYMMDD, DF25 sex }`
 * where DF21 holds the absolute offsets of DF22–DF25 from the start of the file.
 */
export function encodeBasicFourInfoFile(info: BasicFourInfo): Uint8Array {
  const fields = [
    encodeTlv(0xdf22, utf8.encode(info.name)),
    encodeTlv(0xdf23, utf8.encode(info.address)),
    encodeTlv(0xdf24, utf8.encode(formatCardDate(info.birthDate))),
    encodeTlv(0xdf25, utf8.encode(info.sex)),
  ];
  const tableLength = 3 + 8;
  const contentLength = tableLength + fields.reduce((total, field) => total + field.length, 0);
  const headerLength = encodeTag(0xff20).length + encodeLength(contentLength).length;
  const table = new Uint8Array(8);
  let offset = headerLength + tableLength;
  fields.forEach((field, index) => {
    table[index * 2] = offset >> 8;
    table[index * 2 + 1] = offset & 0xff;
    offset += field.length;
  });
  return encodeTlv(0xff20, [encodeTlv(0xdf21, table), ...fields]);
}

/** A decoded EF 0002 and the bytes its integrity digest (DF32) covers. */
export interface BasicFourInfoFile {
  readonly info: BasicFourInfo;
  /** From DF22 to the end of the FF20 value (card-spec §3.3). */
  readonly digestSource: Uint8Array;
}

/** Reads EF 0002, checking the offset table against where each field really is. */
export function decodeBasicFourInfoFile(bytes: Uint8Array): BasicFourInfoFile {
  const object = readRecordObject(bytes, 0xff20, 'the 基本4情報 EF');
  const children = readRecordChildren(object, 'the 基本4情報 EF');
  const tags = children.map((child) => child.tag);
  if (tags.join() !== [0xdf21, 0xdf22, 0xdf23, 0xdf24, 0xdf25].join()) {
    throw new CardError('ERR_CARD_RECORD', 'the 基本4情報 EF holds DF21 to DF25 in order');
  }
  const [table, name, address, birth, sex] = children as [TlvObject, TlvObject, TlvObject, TlvObject, TlvObject];
  if (table.value.length !== 8) throw new CardError('ERR_CARD_RECORD', 'the DF21 offset table has 8 bytes');
  [name, address, birth, sex].forEach((field, index) => {
    const stated = (table.value[index * 2]! << 8) | table.value[index * 2 + 1]!;
    if (stated !== field.offset)
      throw new CardError('ERR_CARD_RECORD', `offset ${index} of the DF21 table does not point at its field`);
  });
  let info: BasicFourInfo;
  try {
    info = {
      name: strictUtf8.decode(name.value),
      address: strictUtf8.decode(address.value),
      birthDate: parseCardDate(bytesToBinaryString(birth.value)),
      sex: parseSexCode(bytesToBinaryString(sex.value)),
    };
  } catch (error) {
    throw new CardError('ERR_CARD_RECORD', 'a field of the 基本4情報 EF cannot be read', { cause: error });
  }
  return { info, digestSource: bytes.subarray(name.offset, object.offset + object.raw.length) };
}

/**
 * 入力補助 EF 0003 (card-spec §3.3): `FF30 { DF31 SHA-256(EF 0001), DF32 SHA-256(EF 0002 from DF22),
 * DF33 signature over DF31 ‖ DF32 }`, signed by the issuer key certified in EF 0004.
 */
export async function encodeIntegrityRecord(
  myNumberFile: Uint8Array,
  basicFourInfoFile: Uint8Array,
  signer: Signer,
): Promise<Uint8Array> {
  const digests = new Uint8Array([
    ...encodeTlv(0xdf31, sha256(myNumberFile)),
    ...encodeTlv(0xdf32, sha256(decodeBasicFourInfoFile(basicFourInfoFile).digestSource)),
  ]);
  return encodeTlv(0xff30, [digests, encodeTlv(0xdf33, await signer.sign(digests))]);
}

/** Inputs of {@link verifyKenhojoRecords}: whatever the access path revealed. */
export interface KenhojoRecords {
  readonly integrityRecord: Uint8Array;
  /** EF 0004. */
  readonly cvCertificate: Uint8Array;
  /** EF 0001, when read (PIN or 照合番号A). */
  readonly myNumberFile?: Uint8Array;
  /** EF 0002, when read (PIN or 照合番号B). */
  readonly basicFourInfoFile?: Uint8Array;
}

/** What {@link verifyKenhojoRecords} found. */
export interface KenhojoRecordsVerification extends VerificationSummary {
  /** The 4 info of the 基本4情報 EF, only when every check passed (as read for its digest: no second decode). */
  readonly basicFourInfo?: BasicFourInfo;
}

/**
 * Verifies 入力補助 records as a relying party must: the CV certificate under a trusted CA key, the
 * integrity signature under the certified key, each digest over the bytes as read, and the 個人番号
 * check digit. Returns the named checks (STYLE.md 8).
 */
export function verifyKenhojoRecords(
  records: KenhojoRecords,
  caKeys: ReadonlyMap<string, CardRsaPublicKey>,
  verify: CardSignatureCheck = verifyCardSignature,
): KenhojoRecordsVerification {
  const checks: CheckResult[] = [];
  const certificate = checkCvCertificate('kenhojo.cv-certificate', records.cvCertificate, caKeys, verify);
  checks.push(certificate.result);
  const integrity = checkIntegrityRecord(records.integrityRecord, certificate.subjectKey, verify);
  checks.push(integrity.result);
  if (records.myNumberFile) {
    checks.push(...checkMyNumberFile(records.myNumberFile, integrity.myNumberDigest));
  } else {
    checks.push(skip('kenhojo.my-number-digest', 'the 個人番号 EF was not read'));
  }
  let basicFourInfo: BasicFourInfoFile | undefined;
  if (records.basicFourInfoFile) {
    try {
      basicFourInfo = decodeBasicFourInfoFile(records.basicFourInfoFile);
    } catch {
      basicFourInfo = undefined;
    }
    const digestSource = basicFourInfo?.digestSource;
    const fourInfoDigest = integrity.fourInfoDigest;
    checks.push(
      digestSource && fourInfoDigest && constantTimeEqual(sha256(digestSource), fourInfoDigest)
        ? pass('kenhojo.basic-four-info-digest')
        : fail('kenhojo.basic-four-info-digest', 'DF32 does not match the 基本4情報 EF as read'),
    );
  } else {
    checks.push(skip('kenhojo.basic-four-info-digest', 'the 基本4情報 EF was not read'));
  }
  const summary = summarize(checks);
  return summary.status === 'valid' && basicFourInfo ? { ...summary, basicFourInfo: basicFourInfo.info } : summary;
}

/**
 * The integrity record `FF30 { DF31 digest of EF 0001, DF32 digest of EF 0002, DF33 signature }`: checks
 * the signature over DF31‖DF32 under the certified key and hands back the digests it vouches for.
 */
function checkIntegrityRecord(
  integrityRecord: Uint8Array,
  signerKey: CardRsaPublicKey | undefined,
  verify: CardSignatureCheck,
): { result: CheckResult; myNumberDigest?: Uint8Array; fourInfoDigest?: Uint8Array } {
  try {
    const object = readRecordObject(integrityRecord, 0xff30, 'the integrity record');
    const [df31, df32, df33, extra] = readRecordChildren(object, 'the integrity record');
    if (df31?.tag !== 0xdf31 || df32?.tag !== 0xdf32 || df33?.tag !== 0xdf33 || extra)
      throw new CardError('ERR_CARD_RECORD', 'DF31, DF32, DF33');
    const signed = new Uint8Array(df31.raw.length + df32.raw.length);
    signed.set(df31.raw);
    signed.set(df32.raw, df31.raw.length);
    const result =
      signerKey && verify(signerKey, signed, df33.value)
        ? pass('kenhojo.integrity-signature')
        : fail('kenhojo.integrity-signature', 'the integrity record is not signed by the certified key');
    return { result, myNumberDigest: df31.value, fourInfoDigest: df32.value };
  } catch {
    return { result: fail('kenhojo.integrity-signature', 'the integrity record cannot be read') };
  }
}

/** The 個人番号 EF as read: its digest against DF31, then its check digit. */
function checkMyNumberFile(myNumberFile: Uint8Array, myNumberDigest: Uint8Array | undefined): CheckResult[] {
  const checks: CheckResult[] = [
    myNumberDigest && constantTimeEqual(sha256(myNumberFile), myNumberDigest)
      ? pass('kenhojo.my-number-digest')
      : fail('kenhojo.my-number-digest', 'DF31 does not match the 個人番号 EF as read'),
  ];
  try {
    checks.push(
      decodeMyNumberFile(myNumberFile).checkDigitValid
        ? pass('kenhojo.my-number-check-digit')
        : fail('kenhojo.my-number-check-digit', 'the check digit is wrong'),
    );
  } catch {
    checks.push(fail('kenhojo.my-number-check-digit', 'the 個人番号 EF cannot be read'));
  }
  return checks;
}
