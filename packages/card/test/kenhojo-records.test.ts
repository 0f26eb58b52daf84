import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { basicFourInfoOf, formatIsoDate, generatePopulation } from '@openmyna/core';
import {
  CardError,
  decodeBasicFourInfoFile,
  decodeCardPublicKey,
  decodeCvCertificate,
  decodeKeyId,
  decodeMyNumberFile,
  encodeBasicFourInfoFile,
  encodeIntegrityRecord,
  encodeKeyId,
  encodeMyNumberFile,
  issueCvCertificate,
  verifyKenhojoRecords,
  type CardRsaPublicKey,
} from '@openmyna/card';
import { readRsaPublicKey, SoftwareSigner } from '@openmyna/pki';
import { beforeAll, describe, expect, it } from 'vitest';

import { makeKenhojoIssuer } from '../../../test-support/authorities.js';
import { readVectorJson, readVectorText } from '../../../test-support/test-vectors.js';

const ef0001 = hexToBytes(readVectorText('card-format/text-ap-ef0001-physical.hex').trim());
const ef0002 = hexToBytes(readVectorText('card-format/text-ap-ef0002.hex').trim());
const vectors = readVectorJson<{
  myNumberEF: { sha256OfPhysical: string };
  attributesEF: { sha256OfIntegrityDigestSource: string };
}>('card-format/text-ap-records.json');

describe('入力補助 records on the real card bytes (vectors/card-format)', () => {
  it('decodes EF 0001 and EF 0002 to their documented values', () => {
    expect(decodeMyNumberFile(ef0001)).toEqual({ myNumber: '537686677188', checkDigitValid: true });
    const { info, digestSource } = decodeBasicFourInfoFile(ef0002);
    expect(info.name).toBe('黒桐　幹也');
    expect(info.address).toBe('東京都清瀬市観布子南１２－７－２０２');
    expect(formatIsoDate(info.birthDate)).toBe('1980-02-17');
    expect(info.sex).toBe('1');
    expect(bytesToHex(sha256(digestSource))).toBe(vectors.attributesEF.sha256OfIntegrityDigestSource);
    expect(bytesToHex(sha256(ef0001))).toBe(vectors.myNumberEF.sha256OfPhysical);
  });

  it('re-encodes both files byte for byte from the decoded values', () => {
    expect(bytesToHex(encodeMyNumberFile('537686677188'))).toBe(bytesToHex(ef0001));
    expect(bytesToHex(encodeBasicFourInfoFile(decodeBasicFourInfoFile(ef0002).info))).toBe(bytesToHex(ef0002));
  });

  it('rejects a wrong offset table and a wrong outer tag', () => {
    const offset = ef0002.slice();
    offset[7] = 0x0f;
    expect(() => decodeBasicFourInfoFile(offset)).toThrow(/offset 0/);
    const tag = ef0002.slice();
    tag[1] = 0x21;
    expect(() => decodeBasicFourInfoFile(tag)).toThrow(CardError);
    const myNumber = ef0001.slice();
    myNumber[1] = 0x11;
    expect(() => decodeMyNumberFile(myNumber)).toThrow(CardError);
    expect(() => decodeMyNumberFile(ef0001.subarray(0, 10))).toThrow(CardError);
  });

  it('round-trips the 4 info of synthetic persons, long addresses included (long BER lengths)', () => {
    for (const person of generatePopulation({ seed: 'kenhojo' }, 300)) {
      const info = basicFourInfoOf(person);
      const file = encodeBasicFourInfoFile(info);
      expect(decodeBasicFourInfoFile(file).info).toEqual(info);
    }
    const long = {
      name: '寿限無　寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末',
      address: '東京都'.repeat(40),
      birthDate: { year: 1990, month: 1, day: 1 },
      sex: '2' as const,
    };
    expect(decodeBasicFourInfoFile(encodeBasicFourInfoFile(long)).info).toEqual(long);
  });
});

describe('card-verifiable certificates (card-spec §3.7)', () => {
  it('writes and reads key IDs', () => {
    expect(bytesToHex(encodeKeyId('9000033/001'))).toBe('39303030303333' + '0805' + '303031' + '00000000');
    expect(bytesToHex(encodeKeyId('9000020/001', true)).endsWith('000000a8')).toBe(true);
    expect(decodeKeyId(encodeKeyId('1322121/000'))).toBe('1322121/000');
    expect(() => encodeKeyId('5000033')).toThrow(CardError);
    expect(() => decodeKeyId(new Uint8Array(16))).toThrow(CardError);
  });

  it('decodes the published J-LIS CA keys’ form and our own certificates', async () => {
    const ca = await SoftwareSigner.generate();
    const subject = await SoftwareSigner.generate();
    const subjectKey = readRsaPublicKey(subject.publicKeyInfo);
    const certificate = await issueCvCertificate({
      issuerKeyId: encodeKeyId('9000033/001'),
      subjectKeyId: encodeKeyId('1322121/000'),
      subjectKey: { modulus: subjectKey.modulus, exponent: subjectKey.publicExponent },
      issuer: ca,
    });
    expect(bytesToHex(certificate.subarray(0, 5))).toBe('7f21820233');
    const decoded = decodeCvCertificate(certificate);
    expect(decoded).toMatchObject({ issuerKeyId: '9000033/001', subjectKeyId: '1322121/000' });
    expect(decoded.body).toHaveLength(297);
    expect(decodeCardPublicKey(decoded.body.subarray(32)).modulus).toEqual(subjectKey.modulus);
  });
});

describe('verifyKenhojoRecords', () => {
  let caKeys: Map<string, CardRsaPublicKey>;
  let records: {
    integrityRecord: Uint8Array;
    cvCertificate: Uint8Array;
    myNumberFile: Uint8Array;
    basicFourInfoFile: Uint8Array;
  };

  beforeAll(async () => {
    const face = await makeKenhojoIssuer('1322121/000');
    caKeys = face.caKeys;
    records = {
      integrityRecord: await encodeIntegrityRecord(ef0001, ef0002, face.issuer),
      cvCertificate: face.cvCertificate,
      myNumberFile: ef0001,
      basicFourInfoFile: ef0002,
    };
  });

  it('accepts records signed by a certified key, over exactly the bytes read', () => {
    const result = verifyKenhojoRecords(records, caKeys);
    expect(result.status).toBe('valid');
    expect(result.checks.map((check) => check.check)).toEqual([
      'kenhojo.cv-certificate',
      'kenhojo.integrity-signature',
      'kenhojo.my-number-digest',
      'kenhojo.my-number-check-digit',
      'kenhojo.basic-four-info-digest',
    ]);
    expect(bytesToHex(records.integrityRecord.subarray(0, 5))).toBe('ff3082014b');
    expect(records.integrityRecord).toHaveLength(336);
    expect(result.basicFourInfo).toEqual(decodeBasicFourInfoFile(ef0002).info);
  });

  it('gives the 4 info it read only when every check passed', () => {
    const changed = ef0002.slice();
    changed[20]! ^= 0x01;
    expect(verifyKenhojoRecords({ ...records, basicFourInfoFile: changed }, caKeys).basicFourInfo).toBeUndefined();
    expect(verifyKenhojoRecords(records, new Map()).basicFourInfo).toBeUndefined();
  });

  it('names the failing check for each tampering', () => {
    const flip = (bytes: Uint8Array, index: number) => {
      const copy = bytes.slice();
      copy[index]! ^= 0x01;
      return copy;
    };
    expect(verifyKenhojoRecords({ ...records, myNumberFile: flip(ef0001, 5) }, caKeys).decidedBy?.check).toBe(
      'kenhojo.my-number-digest',
    );
    expect(verifyKenhojoRecords({ ...records, basicFourInfoFile: flip(ef0002, 20) }, caKeys).decidedBy?.check).toBe(
      'kenhojo.basic-four-info-digest',
    );
    expect(
      verifyKenhojoRecords({ ...records, integrityRecord: flip(records.integrityRecord, 10) }, caKeys).decidedBy?.check,
    ).toBe('kenhojo.integrity-signature');
    expect(
      verifyKenhojoRecords({ ...records, cvCertificate: flip(records.cvCertificate, 100) }, caKeys).decidedBy?.check,
    ).toBe('kenhojo.cv-certificate');
    expect(verifyKenhojoRecords(records, new Map()).decidedBy?.reason).toContain('not trusted');
  });

  it('checks only what the access path revealed (照合番号B shows no 個人番号)', () => {
    const { myNumberFile: _hidden, ...pathB } = records;
    const result = verifyKenhojoRecords(pathB, caKeys);
    expect(result.status).toBe('valid');
    expect(result.checks.find((check) => check.check === 'kenhojo.my-number-digest')?.status).toBe('skip');
  });
});
