import type { BasicFourInfo, CalendarDate } from '@openmyna/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToBase64, encodeDigestInfo, readRsaPublicKey, type Signer } from '@openmyna/pki';

import type { CardPrivateKey } from './card-private-key.js';
import { encodeKeyId, issueCvCertificate } from './cv-certificate.js';
import { encodeBasicFourInfoFile, encodeIntegrityRecord, encodeMyNumberFile } from './kenhojo-records.js';
import { encodeAgeRecord, encodeCardFaceFile, encodeMyNumberImageRecord } from './kenkaku-records.js';
import type { KenhojoRecordFiles, KenkakuRecordFiles } from './virtual-card-document.js';

/** The card face as printed, rendered by the issuer (1-bit PNGs; the photo). */
export interface CardFaceImages {
  readonly name: Uint8Array;
  readonly address: Uint8Array;
  readonly myNumber: Uint8Array;
  readonly securityCode: Uint8Array;
  readonly photo: Uint8Array;
}

/** 入力補助 records for one holder, signed by the municipality's issuer key (base64, as card files keep them). */
export async function issueKenhojoRecords(input: {
  readonly myNumber: string;
  readonly basicFourInfo: BasicFourInfo;
  readonly issuer: { readonly signer: Signer; readonly keyId: string; readonly cvCertificate: Uint8Array };
}): Promise<KenhojoRecordFiles> {
  const myNumberFile = encodeMyNumberFile(input.myNumber);
  const basicFourInfoFile = encodeBasicFourInfoFile(input.basicFourInfo);
  return {
    myNumberFile: bytesToBase64(myNumberFile),
    basicFourInfoFile: bytesToBase64(basicFourInfoFile),
    integrityRecord: bytesToBase64(await encodeIntegrityRecord(myNumberFile, basicFourInfoFile, input.issuer.signer)),
    cvCertificate: bytesToBase64(input.issuer.cvCertificate),
    signerKeyId: input.issuer.keyId,
  };
}

/**
 * 券面 records for one holder whose 券面AP key is `cardPublicKeyInfo` (the card's, or a phone's own):
 * the signed card face, the age record and the 個人番号 image record.
 */
export async function issueKenkakuRecords(input: {
  readonly municipalityCode: string;
  readonly basicFourInfo: BasicFourInfo;
  readonly cardPublicKeyInfo: Uint8Array;
  readonly cardExpiry: CalendarDate;
  readonly issuer: { readonly key: CardPrivateKey; readonly keyId: string; readonly cvCertificate: Uint8Array };
  readonly images: CardFaceImages;
}): Promise<KenkakuRecordFiles> {
  const publicKey = readRsaPublicKey(input.cardPublicKeyInfo);
  const cardKey = { modulus: publicKey.modulus, exponent: publicKey.publicExponent };
  const cardFaceFile = await encodeCardFaceFile(
    {
      birthDate: input.basicFourInfo.birthDate,
      sex: input.basicFourInfo.sex,
      cardKey,
      nameImage: input.images.name,
      addressImage: input.images.address,
      photo: input.images.photo,
      expiry: input.cardExpiry,
      securityCodeImage: input.images.securityCode,
    },
    input.issuer.key,
  );
  return {
    cardFaceFile: bytesToBase64(cardFaceFile),
    ageRecord: bytesToBase64(await encodeAgeRecord(input.basicFourInfo.birthDate, cardKey, input.issuer.key)),
    myNumberImageRecord: bytesToBase64(
      await encodeMyNumberImageRecord(input.images.myNumber, cardKey, input.issuer.key),
    ),
    cvCertificate: bytesToBase64(input.issuer.cvCertificate),
    signerKeyId: input.issuer.keyId,
    cardCvCertificate: bytesToBase64(
      await issueCvCertificate({
        issuerKeyId: encodeKeyId(input.issuer.keyId),
        subjectKeyId: encodeKeyId(cardKeyId(input.municipalityCode), true),
        subjectKey: cardKey,
        issuer: { sign: (body) => input.issuer.key.signPkcs1(encodeDigestInfo('SHA-256', sha256(body))) },
      }),
    ),
  };
}

/**
 * The key ID under which the MF-level `7F21` certificate names a card's own 券面 key:
 * `<municipality code>23/000`, an MF-level key ID (card-spec §3.7). J-LIS's are municipality-specific
 * too; the real certificate's subject is not documented.
 */
export function cardKeyId(municipalityCode: string): string {
  return `${municipalityCode}23/000`;
}
