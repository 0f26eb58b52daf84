import { parseIsoDate } from '@openmyna/core';
import {
  createKenkakuApplet,
  decodeCardFaceFile,
  encodeAgeRecord,
  encodeCardFaceFile,
  encodeKeyId,
  encodeMyNumberImageRecord,
  inProcessTransport,
  issueCvCertificate,
  KenkakuReader,
  MemoryRetryCounterStore,
  protectPin,
  RetryCounter,
  SmartCard,
  SoftwareCardKey,
  verifyKenkakuRecords,
  type CardFace,
  type CardRsaPublicKey,
} from '@openmyna/card';
import { readRsaPublicKey, SoftwareSigner } from '@openmyna/pki';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { JPKI_ATR } from './jpki-card.js';
import { bytesToHex } from '@noble/hashes/utils.js';

// Image bytes are carried, not interpreted, by the records: stand-ins with the right magic numbers.
const png = (seed: number) =>
  Uint8Array.from([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...Array.from({ length: 300 }, (_, i) => (i * seed) & 0xff),
  ]);
const jp2 = Uint8Array.from([
  0x00,
  0x00,
  0x00,
  0x0c,
  0x6a,
  0x50,
  0x20,
  0x20,
  0x0d,
  0x0a,
  0x87,
  0x0a,
  ...new Uint8Array(4000).fill(7),
]);
const encode = (text: string) => new TextEncoder().encode(text);

let caKeys: Map<string, CardRsaPublicKey>;
let files: {
  cardFaceFile: Uint8Array;
  ageRecord: Uint8Array;
  myNumberImageRecord: Uint8Array;
  cvCertificate: Uint8Array;
};
let cardKey: Awaited<ReturnType<typeof SoftwareCardKey.generate>>;
let face: CardFace;

beforeAll(async () => {
  const ca = await SoftwareSigner.generate();
  const issuer = await SoftwareCardKey.generate();
  cardKey = await SoftwareCardKey.generate();
  const caKey = readRsaPublicKey(ca.publicKeyInfo);
  const issuerKey = readRsaPublicKey(issuer.publicKeyInfo);
  const cardPublic = readRsaPublicKey(cardKey.publicKeyInfo);
  caKeys = new Map([['9000023/001', { modulus: caKey.modulus, exponent: caKey.publicExponent }]]);
  face = {
    birthDate: parseIsoDate('1980-02-17'),
    sex: '1',
    cardKey: { modulus: cardPublic.modulus, exponent: cardPublic.publicExponent },
    nameImage: png(3),
    addressImage: png(5),
    photo: jp2,
    expiry: parseIsoDate('2035-02-17'),
    securityCodeImage: png(7),
  };
  files = {
    cardFaceFile: await encodeCardFaceFile(face, issuer.key),
    ageRecord: await encodeAgeRecord(face.birthDate, face.cardKey, issuer.key),
    myNumberImageRecord: await encodeMyNumberImageRecord(png(11), face.cardKey, issuer.key),
    cvCertificate: await issueCvCertificate({
      issuerKeyId: encodeKeyId('9000023/001'),
      subjectKeyId: encodeKeyId('1322124/000'),
      subjectKey: { modulus: issuerKey.modulus, exponent: issuerKey.publicExponent },
      issuer: ca,
    }),
  };
}, 60_000);

describe('券面事項確認AP records (card-spec §3.5)', () => {
  it('round-trips the card face with a correct offset table and DF21–DF2A in order', () => {
    const decoded = decodeCardFaceFile(files.cardFaceFile);
    expect(decoded.face).toEqual(face);
    expect(decoded.digests).toHaveLength(96);
    expect(Array.from(files.cardFaceFile.subarray(0, 3))).toEqual([0xff, 0x20, 0x82]);
    const broken = files.cardFaceFile.slice();
    broken[9]! ^= 0x01;
    expect(() => decodeCardFaceFile(broken)).toThrow(/offset/);
  });

  it('verifies the card face, age and 個人番号-image records under the certified key', () => {
    const result = verifyKenkakuRecords({ ...files }, caKeys);
    expect(result.status).toBe('valid');
    expect(result.checks.map((check) => check.check)).toEqual([
      'kenkaku.cv-certificate',
      'kenkaku.card-face-signature',
      'kenkaku.age-record-signature',
      'kenkaku.my-number-image-signature',
      'kenkaku.card-key-consistent',
    ]);
  });

  it('names the check that fails when a covered part changes, and ignores the uncovered expiry', () => {
    const decoded = decodeCardFaceFile(files.cardFaceFile);
    const photoAt = files.cardFaceFile.indexOf(0x6a, 20);
    const changedPhoto = files.cardFaceFile.slice();
    changedPhoto[photoAt + 20]! ^= 0x01;
    expect(
      verifyKenkakuRecords({ cvCertificate: files.cvCertificate, cardFaceFile: changedPhoto }, caKeys).decidedBy?.check,
    ).toBe('kenkaku.card-face-signature');
    expect(decoded.face.expiry).toEqual(parseIsoDate('2035-02-17'));
    const changedAge = files.ageRecord.slice();
    changedAge[8]! ^= 0x01;
    expect(
      verifyKenkakuRecords({ cvCertificate: files.cvCertificate, ageRecord: changedAge }, caKeys).decidedBy?.check,
    ).toBe('kenkaku.age-record-signature');
    expect(verifyKenkakuRecords({ ...files }, new Map()).decidedBy?.check).toBe('kenkaku.cv-certificate');
  });
});

describe('券面事項確認AP access paths and card presence', () => {
  let reader: KenkakuReader;
  let card: SmartCard;

  beforeEach(() => {
    const store = new MemoryRetryCounterStore();
    const salt = new Uint8Array(16).fill(4);
    const counter = (reference: string, value: string) =>
      new RetryCounter({ reference, maxTries: 3, pin: protectPin(encode(value), salt), store });
    card = new SmartCard({
      atr: JPKI_ATR,
      applets: [
        createKenkakuApplet({
          ...files,
          signerKeyId: '1322124/000',
          municipalityCode: '13221',
          cardKey: cardKey.key,
          birthDateKey: counter('kenkaku/0011', '550217'),
          codeA: counter('kenkaku/0013', '537686677188'),
          codeB: counter('kenkaku/0012', '55021720352285'),
        }),
      ],
    });
    reader = new KenkakuReader(inProcessTransport(card));
  });

  it('opens the card face and the printed 個人番号 with 照合番号A, and proves the card is present', async () => {
    await reader.select();
    expect(await reader.verify('codeA', '537686677188')).toEqual({ result: 'verified' });
    const cardFaceFile = await reader.readCardFace();
    const myNumberImageRecord = await reader.readMyNumberImage();
    await expect(reader.readAgeRecord()).rejects.toThrow(/6982/);
    const challenge = crypto.getRandomValues(new Uint8Array(32));
    const presence = await reader.proveCardPresence(challenge);
    const result = verifyKenkakuRecords(
      { cvCertificate: await reader.readCvCertificate(), cardFaceFile, myNumberImageRecord, presence },
      caKeys,
    );
    expect(result.status).toBe('valid');
    expect(result.checks.at(-1)?.check).toBe('kenkaku.card-presence');
    const replayed = verifyKenkakuRecords(
      {
        cvCertificate: files.cvCertificate,
        cardFaceFile,
        presence: { challenge: new Uint8Array(32), signature: presence.signature },
      },
      caKeys,
    );
    expect(replayed.decidedBy?.check).toBe('kenkaku.card-presence');
  });

  it('keeps EF 0006 (16 × FF) behind 照合番号A or B, as the card does', async () => {
    const readEf0006 = async () => {
      // SELECT EF 0006, READ BINARY of its 16 bytes.
      const select = await card.transmit(Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, 0x00, 0x06));
      expect(bytesToHex(select.subarray(-2))).toBe('9000');
      return card.transmit(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x10));
    };
    await reader.select();
    expect(bytesToHex((await readEf0006()).subarray(-2))).toBe('6982');
    expect(await reader.verify('codeB', '55021720352285')).toEqual({ result: 'verified' });
    expect(bytesToHex(await readEf0006())).toBe(`${'ff'.repeat(16)}9000`);
  });

  it('opens the card face only with 照合番号B, and the age record only with the birth-date key', async () => {
    await reader.select();
    expect(await reader.verify('codeB', '55021720352285')).toEqual({ result: 'verified' });
    expect((await reader.readCardFace()).length).toBe(files.cardFaceFile.length);
    await expect(reader.readMyNumberImage()).rejects.toThrow(/6982/);
    await reader.select();
    expect(await reader.verify('birthDate', '550217')).toEqual({ result: 'verified' });
    expect(await reader.readAgeRecord()).toEqual(files.ageRecord);
    await expect(reader.readCardFace()).rejects.toThrow(/6982/);
  });
});
