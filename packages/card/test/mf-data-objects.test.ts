import { decodeTlv } from '@openmyna/core';
import {
  CardError,
  CARD_ATR,
  cvCertificateContents,
  encodeCardRecognitionData,
  encodeKeyId,
  encodeMfDataObjects,
  issueCvCertificate,
  MF_DATA_OBJECT,
  SmartCard,
} from '@openmyna/card';
import { readRsaPublicKey, SoftwareSigner } from '@openmyna/pki';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';

let chain: { upper: Uint8Array; lower: Uint8Array; unrelated: Uint8Array };

beforeAll(async () => {
  const [ca, intermediate, card] = await Promise.all([
    SoftwareSigner.generate(),
    SoftwareSigner.generate(),
    SoftwareSigner.generate(),
  ]);
  const keyOf = (signer: SoftwareSigner) => {
    const key = readRsaPublicKey(signer.publicKeyInfo);
    return { modulus: key.modulus, exponent: key.publicExponent };
  };
  const certify = (issuer: SoftwareSigner, issuerKeyId: string, subject: SoftwareSigner, subjectKeyId: string) =>
    issueCvCertificate({
      issuerKeyId: encodeKeyId(issuerKeyId),
      subjectKeyId: encodeKeyId(subjectKeyId),
      subjectKey: keyOf(subject),
      issuer,
    });
  chain = {
    upper: await certify(ca, '9000023/001', intermediate, '1322122/000'),
    lower: await certify(intermediate, '1322122/000', card, '1322123/000'),
    unrelated: await certify(intermediate, '1322199/000', card, '1322123/000'),
  };
});

const base = () => ({
  municipalityCode: '13221',
  expiry: '2035-02-17',
  cardIdentificationNumber: '400000012719843',
  atr: CARD_ATR,
  chain: { upper: chain.upper, lower: chain.lower },
});

describe('MF-level data objects (card-spec §0)', () => {
  it('holds every object the card answers, the certificates without their 7F21 template', () => {
    const objects = encodeMfDataObjects(base());
    expect([...objects.keys()].sort((a, b) => a - b)).toEqual(Object.values(MF_DATA_OBJECT).sort((a, b) => a - b));
    expect(objects.get(0x0042)).toEqual(encodeKeyId('9000023/001'));
    expect(objects.get(0x00f7)).toEqual(encodeKeyId('1322122/000'));
    expect(objects.get(0x00f8)).toEqual(cvCertificateContents(chain.upper));
    expect(objects.get(0x7f21)).toEqual(cvCertificateContents(chain.lower));
    expect(new TextDecoder().decode(objects.get(0x00f2))).toBe('20350217');
    expect(objects.get(0x5f51)).toEqual(CARD_ATR.subarray(1));
  });

  it('leaves 7F21 out when there is no lower certificate, and the card answers 6A88 for it', async () => {
    const objects = encodeMfDataObjects({ ...base(), chain: { upper: chain.upper } });
    expect(objects.has(0x7f21)).toBe(false);
    const card = new SmartCard({ applets: [], atr: CARD_ATR, mfData: objects });
    const answer = await card.transmit(Uint8Array.of(0x00, 0xca, 0x7f, 0x21, 0x00, 0x00, 0x00));
    expect(bytesToHex(answer)).toBe('6a88');
  });

  it('refuses a chain whose links do not meet, and malformed values, with a CardError', () => {
    expect(() => encodeMfDataObjects({ ...base(), chain: { upper: chain.upper, lower: chain.unrelated } })).toThrow(
      CardError,
    );
    expect(() => encodeMfDataObjects({ ...base(), chain: { upper: Uint8Array.of(0x7f, 0x21, 0x00) } })).toThrow(
      CardError,
    );
    expect(() => encodeMfDataObjects({ ...base(), municipalityCode: '1322' })).toThrow(CardError);
    expect(() => encodeMfDataObjects({ ...base(), expiry: '20350217' })).toThrow(CardError);
    expect(() => encodeMfDataObjects({ ...base(), cardIdentificationNumber: '' })).toThrow(CardError);
    expect(() => encodeMfDataObjects({ ...base(), cardIdentificationNumber: '番号' })).toThrow(CardError);
  });

  it('encodes GlobalPlatform card recognition data under 1.2.840.114283 (GPCS v2.3.1 §H.2)', () => {
    const recognition = encodeCardRecognitionData();
    expect(bytesToHex(recognition)).toBe(
      '66' + '24' + '73' + '22' + '06072a864886fc6b01' + '600c060a2a864886fc6b02020201' + '630906072a864886fc6b03',
    );
    expect(decodeTlv(recognition).tag).toBe(0x66);
  });
});
