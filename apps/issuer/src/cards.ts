import { randomBytes } from 'node:crypto';

import {
  base64UrlEncode,
  calendarDateInJapan,
  cardExpiryDate,
  formatIsoDate,
  parseMunicipalityCode,
  placeOfMunicipality,
} from '@openmyna/core';
import { issueVirtualCard, type CardPins, type CardPrivateKey, type VirtualCardDocument } from '@openmyna/card';
import type { Signer } from '@openmyna/pki';
import type { CertificateAuthority } from '@openmyna/pki/ca';

import { cardFaceImagesOf } from './card-face-images.js';
import { issueCertificateDurably } from './certificates.js';
import type { IssuerContext } from './context.js';
import { endCard, getPerson, recordCard } from './registry.js';

/** The municipality's card-face record issuers (入力補助 and 券面), with their CV certificates. */
export interface CardFaceIssuers {
  kenhojo(
    municipalityCode: string,
  ): Promise<{ readonly signer: Signer; readonly keyId: string; readonly cvCertificate: Uint8Array }>;
  kenkaku(
    municipalityCode: string,
  ): Promise<{ readonly key: CardPrivateKey; readonly keyId: string; readonly cvCertificate: Uint8Array }>;
}

/** A newly issued virtual card: the file, the passphrase that opens it, and the printed security code. */
export interface IssuedCard {
  readonly cardId: string;
  readonly document: VirtualCardDocument;
  /** Seals the card file's keys and PINs; given out once, never stored by the issuer. */
  readonly passphrase: string;
  readonly securityCode: string;
}

/**
 * Issues a virtual My Number Card to a registered person: a card row, JPKI certificates issued durably
 * (each stored before the CA key signs it, recorded against the card), 入力補助 and 券面 records from
 * the registry. If anything fails after the card row exists, the card is ended and whatever was issued
 * for it is revoked.
 */
export async function issueCard(
  context: IssuerContext,
  options: {
    readonly personId: string;
    readonly authorities: Record<'signing' | 'authentication', CertificateAuthority>;
    readonly cardFace: CardFaceIssuers;
    readonly pins: CardPins;
    readonly actor: string;
    /** Seal the card file with this passphrase instead of a fresh random one (the sandbox's own). */
    readonly passphrase?: string;
  },
): Promise<IssuedCard> {
  const person = await getPerson(context, options.personId);
  const issuedAt = context.clock();
  const expiry = cardExpiryDate(person.basicFourInfo.birthDate, calendarDateInJapan(issuedAt));
  const cardId = await recordCard(context, {
    personId: person.id,
    expiresOn: formatIsoDate(expiry),
    actor: options.actor,
  });
  const securityCode = String(randomBytes(2).readUInt16BE() % 10_000).padStart(4, '0');
  const passphrase = options.passphrase ?? base64UrlEncode(randomBytes(24));
  const municipalityCode = parseMunicipalityCode(person.municipalityCode);
  try {
    const document = await issueVirtualCard({
      person: {
        id: person.id,
        basicFourInfo: person.basicFourInfo,
        myNumber: person.myNumber,
        residentCode: person.residentCode,
        municipalityCode,
        ...placeOfMunicipality(municipalityCode),
      },
      issuedAt,
      cardExpiry: expiry,
      securityCode,
      signingCa: options.authorities.signing,
      authenticationCa: options.authorities.authentication,
      kenhojoIssuer: await options.cardFace.kenhojo(municipalityCode),
      kenkakuIssuer: await options.cardFace.kenkaku(municipalityCode),
      cardFaceImages: await cardFaceImagesOf(context, person, securityCode),
      pins: options.pins,
      passphrase,
      certify: (hierarchy, request) =>
        issueCertificateDurably(context, {
          ca: options.authorities[hierarchy],
          hierarchy,
          request,
          holder: { personId: person.id, cardId },
          actor: options.actor,
        }),
    });
    return { cardId, document, passphrase, securityCode };
  } catch (error) {
    await endCard(context, cardId, 'lost', 'system', 'issuance did not complete').catch(() => undefined);
    throw error;
  }
}
