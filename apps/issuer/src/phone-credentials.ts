import { issueKenhojoRecords, issueKenkakuRecords, P256PublicJwkSchema, type PhoneBundle } from '@openmyna/card';
import {
  ageOn,
  base64Encode,
  calendarDateInJapan,
  parseIsoDate,
  placeOfMunicipality,
  type MunicipalityCode,
} from '@openmyna/core';
import { parseCertificate } from '@openmyna/pki';
import type { CertificateAuthority } from '@openmyna/pki/ca';
import { inTransaction } from '@openmyna/storage';

import { appendAudit } from './audit.js';
import { cardFaceImagesOf } from './card-face-images.js';
import { issueCertificateDurably } from './certificates.js';
import { isoTime, newId, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import {
  markBatchIssuedInTransaction,
  mdocValidity,
  reserveMdocBatch,
  signMdocBatch,
  type MdocIssuer,
} from './mdoc-batches.js';
import type { CardAnchors } from './card-certificates.js';
import type { CardFaceIssuers } from './cards.js';
import type { PinResetAuthority } from './holder.js';
import type { AttestedPhoneKeys } from './phone-attestation.js';
import type { Person } from './registry.js';

/** The issuer's keys and trust for provisioning. */
export interface ProvisioningAuthorities {
  readonly signing: CertificateAuthority;
  readonly authentication: CertificateAuthority;
  /** Anchors card certificates must chain to: our hierarchy, and J-LIS's roots where real cards are accepted. */
  readonly cardAnchors: CardAnchors;
  readonly cardFace: CardFaceIssuers;
  readonly mdoc: MdocIssuer;
  readonly pinResetAuthority: PinResetAuthority;
}

/** Holders this young get no 署名用電子証明書. */
const SIGNING_MINIMUM_AGE = 15;

/** What a phone in `provisioning` gets. */
export interface PhoneToIssue {
  readonly phoneId: string;
  readonly person: Person;
  readonly cardExpiresOn: string;
  readonly phone: AttestedPhoneKeys;
  readonly now: Date;
}

/**
 * Issues a provisioned phone's JPKI certificates, 入力補助 and 券面 records and its batch of MSOs, then
 * makes it active with its records in one transaction; returns the bundle the phone installs.
 */
export async function issuePhoneCredentials(
  context: IssuerContext,
  authorities: ProvisioningAuthorities,
  options: PhoneToIssue,
): Promise<PhoneBundle> {
  const { phoneId, person, phone, now } = options;
  const certificates = await issuePhoneCertificates(context, authorities, options);
  const records = await issuePhoneRecords(context, authorities, options);
  const validUntil = mdocValidity(now, authorities.mdoc.documentSigner.certificate).validUntil;
  const batch = await reserveMdocBatch(context, {
    phoneId,
    personId: person.id,
    deviceKeys: phone.deviceKeys,
    validUntil,
    now,
  });
  const [mdoc, ...batchMdocs] = await signMdocBatch(authorities.mdoc, {
    person,
    cardExpiry: parseIsoDate(options.cardExpiresOn),
    deviceKeys: phone.deviceKeys,
    statusIndexes: batch.statusIndexes,
    now,
  });
  context.onBoundary?.('phone-credentials-issued');
  await activatePhone(context, options, batch.batchId);
  context.onBoundary?.('phone-active');
  return {
    phoneId,
    jpki: {
      authenticationCertificate: base64Encode(certificates.authentication),
      ...(certificates.signing ? { signingCertificate: base64Encode(certificates.signing) } : {}),
      authenticationCaCertificate: base64Encode(authorities.authentication.certificate),
      signingCaCertificate: base64Encode(authorities.signing.certificate),
    },
    ...records,
    juki: { residentCode: person.residentCode },
    municipalityCode: person.municipalityCode,
    mdoc: base64Encode(mdoc!),
    ...(batchMdocs.length > 0 ? { batchMdocs: batchMdocs.map((bytes) => base64Encode(bytes)) } : {}),
    cardExpiry: options.cardExpiresOn,
    pinResetAuthority: {
      issuer: authorities.pinResetAuthority.issuer,
      // The authority's own key, made a P-256 public JWK by pinResetAuthorityFromJwk: a failure is internal.
      publicJwk: P256PublicJwkSchema.parse(authorities.pinResetAuthority.publicJwk),
    },
  };
}

/** The holder as the phone's certificates and records name them. */
function holderOf(person: Person, cardExpiresOn: string) {
  const municipalityCode = person.municipalityCode.slice(0, 5) as MunicipalityCode;
  return {
    basicFourInfo: person.basicFourInfo,
    municipalityCode,
    ...placeOfMunicipality(municipalityCode),
    cardExpiry: parseIsoDate(cardExpiresOn),
  };
}

/** The phone's authentication certificate, and its signing certificate from 15 years of age. */
async function issuePhoneCertificates(
  context: IssuerContext,
  authorities: ProvisioningAuthorities,
  { phoneId, person, phone, now, cardExpiresOn }: PhoneToIssue,
): Promise<{ authentication: Uint8Array; signing?: Uint8Array }> {
  const holder = holderOf(person, cardExpiresOn);
  const issue = (hierarchy: 'signing' | 'authentication', subjectPublicKeyInfo: Uint8Array, notLaterThan?: Date) =>
    issueCertificateDurably(context, {
      ca: authorities[hierarchy],
      hierarchy,
      request: {
        profile: hierarchy === 'signing' ? 'jpki-signing' : 'jpki-authentication',
        subjectPublicKeyInfo,
        holder,
        issuedAt: now,
        ...(notLaterThan ? { notLaterThan } : {}),
      },
      holder: { personId: person.id, phoneId },
      actor: `holder:${person.id}`,
    });
  const authentication = await issue('authentication', phone.authenticationKey);
  if (ageOn(person.basicFourInfo.birthDate, calendarDateInJapan(now)) < SIGNING_MINIMUM_AGE) return { authentication };
  const signing = await issue('signing', phone.signingKey, parseCertificate(authentication).notAfter);
  return { authentication, signing };
}

/** The phone's 入力補助 and 券面 records (the 券面 over the phone's own 券面 key). */
async function issuePhoneRecords(
  context: IssuerContext,
  authorities: ProvisioningAuthorities,
  { person, phone, cardExpiresOn }: PhoneToIssue,
): Promise<Pick<PhoneBundle, 'kenhojo' | 'kenkaku'>> {
  const { municipalityCode, cardExpiry } = holderOf(person, cardExpiresOn);
  const kenhojo = await issueKenhojoRecords({
    myNumber: person.myNumber,
    basicFourInfo: person.basicFourInfo,
    issuer: await authorities.cardFace.kenhojo(municipalityCode),
  });
  const kenkaku = await issueKenkakuRecords({
    municipalityCode,
    basicFourInfo: person.basicFourInfo,
    cardPublicKeyInfo: phone.cardFaceKey,
    cardExpiry,
    issuer: await authorities.cardFace.kenkaku(municipalityCode),
    // The phone shows no security code: its 照合番号B image is blank.
    images: await cardFaceImagesOf(context, person, ''),
  });
  return { kenhojo, kenkaku };
}

/**
 * The phone becomes active with its records, in one transaction. It may have been superseded while
 * its credentials were made: updating its row waits for any transaction that holds it (PostgreSQL
 * re-checks the condition after that one commits), so either the superseding provisioning sees
 * every certificate issued here, or this one sees it.
 */
async function activatePhone(context: IssuerContext, { phoneId, person, phone, now }: PhoneToIssue, batchId: string) {
  await inTransaction(context.db, async (trx) => {
    const live = await trx
      .updateTable('phones')
      .set({ status: 'active', updated_at: isoTime(context.clock()) })
      .where('id', '=', phoneId)
      .where('status', '=', 'provisioning')
      .executeTakeFirst();
    if (live.numUpdatedRows !== 1n)
      throw new IssuerError('ERR_PHONE_STATE', 'the phone was superseded by another provisioning');
    await markBatchIssuedInTransaction(trx, context, batchId);
    for (const kind of ['kenhojo', 'kenkaku'] as const) {
      await trx
        .insertInto('records')
        .values({
          id: newId(context, 'R'),
          person_id: person.id,
          card_id: null,
          phone_id: phoneId,
          kind,
          issued_at: isoTime(now),
          valid_until: null,
          status_index: null,
          batch_id: null,
          device_key: null,
        })
        .execute();
    }
    await appendAudit(trx, context, {
      actor: `holder:${person.id}`,
      action: 'phone.records',
      subjectType: 'phone',
      subjectId: phoneId,
      details: { kinds: ['kenhojo', 'kenkaku', 'mdoc'], mdocBatch: batchId, mdocs: phone.deviceKeys.length },
    });
  });
}
