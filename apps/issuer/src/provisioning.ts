import { ageOn, calendarDateInJapan, parseIsoDate, placeOfMunicipality, type MunicipalityCode } from '@openmyna/core';
import {
  issueKenhojoRecords,
  issueKenkakuRecords,
  MDOC_BATCH_MAX,
  type PhoneKeys,
  type ProvisioningApplication,
  type ProvisioningCompletion,
} from '@openmyna/card';
import { ecPublicKeyFromJwk, type EcPublicKey } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { bytesToBase64, parseCertificate, verifyCertificationRequest, verifyPkcs1Signature } from '@openmyna/pki';
import type { CertificateAuthority } from '@openmyna/pki/ca';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { inTransaction, isUniqueViolation } from '@openmyna/storage';

import { appendAudit } from './audit.js';
import { checkCardCertificate, type CardAnchors } from './card-certificates.js';
import { cardFaceImagesOf } from './card-face-images.js';
import type { CardFaceIssuers } from './cards.js';
import { issueCertificateDurably } from './certificates.js';
import type { PinResetAuthority } from './holder.js';
import {
  abandonUnfinishedMdocBatches,
  markBatchIssuedInTransaction,
  mdocValidity,
  reserveMdocBatch,
  signMdocBatch,
  type MdocIssuer,
} from './mdoc-batches.js';
import { endPhonesInTransaction } from './phones.js';
import { isoTime, newId, type IssuerContext } from './context.js';
import { base64Field, IssuerError } from './errors.js';
import { getPerson } from './registry.js';
import { certifySecureAreaDevice } from './secure-area.js';

/** How long a provisioning session may take from nonce to completion. */
export const PROVISIONING_SESSION_SECONDS = 300;
const SIGNING_MINIMUM_AGE = 15;

export type { PhoneKeys, ProvisioningApplication, ProvisioningCompletion } from '@openmyna/card';

/** What provisioning returns to the phone: everything it installs, in one bundle. */
export interface ProvisioningBundle {
  readonly phoneId: string;
  readonly jpki: {
    readonly authenticationCertificate: string;
    readonly signingCertificate?: string;
    readonly authenticationCaCertificate: string;
    readonly signingCaCertificate: string;
  };
  readonly kenhojo: Awaited<ReturnType<typeof issueKenhojoRecords>>;
  readonly kenkaku: Awaited<ReturnType<typeof issueKenkakuRecords>>;
  /** 住基AP: the holder's 住民票コード (11 digits), behind the phone's 住基 PIN. */
  readonly juki: { readonly residentCode: string };
  /** The holder's municipality (the 券面AP's basic data and the phone's MF). */
  readonly municipalityCode: string;
  /** The mdoc (`{docType, issuerSigned}`), base64 CBOR: the first of the batch, bound to `deviceKey`. */
  readonly mdoc: string;
  /** The rest of the batch, bound to `batchDeviceKeys` in order (absent for a batch of one). */
  readonly batchMdocs?: readonly string[];
  readonly cardExpiry: string;
  /** The key the phone pins to verify this issuer's PIN-reset authorizations. */
  readonly pinResetAuthority: { readonly issuer: string; readonly publicJwk: JsonWebKey };
}

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

const b64 = (text: unknown, field: string): Uint8Array => base64Field(text, field, 'ERR_PROVISIONING_FORMAT');

/** Opens a provisioning session: a fresh 256-bit nonce, single use, valid for five minutes. */
export async function openProvisioningSession(
  context: IssuerContext,
): Promise<{ sessionId: string; nonce: string; expiresAt: string }> {
  const now = context.clock();
  const sessionId = newId(context, 'S');
  const nonce = Buffer.from(context.randomBytes(32)).toString('base64url');
  const expiresAt = isoTime(new Date(now.getTime() + PROVISIONING_SESSION_SECONDS * 1000));
  await context.db
    .insertInto('provisioning_sessions')
    .values({ id: sessionId, nonce, created_at: isoTime(now), expires_at: expiresAt, used_at: null, phone_id: null })
    .execute();
  return { sessionId, nonce, expiresAt };
}

/**
 * Completes a session (DESIGN.md flow 2): checks, in order, the session (known, unexpired, not used
 * before — it is consumed now), both card certificates (chain to the configured anchors, on record for
 * one active card, not revoked), the card's two proofs over this session's nonce, and the phone's
 * attestation of the keys the application names; then revokes any earlier phone of the person and
 * issues the phone's JPKI certificates, 入力補助 and 券面 records and a batch of single-use MSOs, one
 * per device key the application names. A refusal issues nothing.
 */
export async function completeProvisioning(
  context: IssuerContext,
  authorities: ProvisioningAuthorities,
  sessionId: string,
  body: ProvisioningCompletion,
  /** Told the serials this provisioning revoked (an earlier phone's), so caches can drop them at once. */
  onRevoked: (serials: readonly string[]) => void = () => undefined,
): Promise<ProvisioningBundle> {
  const now = context.clock();
  const session = await context.db
    .selectFrom('provisioning_sessions')
    .selectAll()
    .where('id', '=', sessionId)
    .executeTakeFirst();
  if (!session) throw new IssuerError('ERR_PROVISIONING_SESSION_UNKNOWN', 'no such provisioning session');
  if (now.toISOString() > session.expires_at)
    throw new IssuerError('ERR_PROVISIONING_SESSION_EXPIRED', 'the provisioning session has expired; open a new one');
  // Single use, atomically: whoever sets used_at first owns the nonce; a replay finds it set.
  const claimed = await context.db
    .updateTable('provisioning_sessions')
    .set({ used_at: isoTime(now) })
    .where('id', '=', sessionId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (claimed.numUpdatedRows !== 1n)
    throw new IssuerError('ERR_PROVISIONING_REPLAYED', 'this provisioning session was already used');
  const nonce = new TextEncoder().encode(session.nonce);

  const cardAuthentication = await checkCardCertificate(
    context,
    authorities.cardAnchors,
    'authentication',
    b64(body.cardAuthenticationCertificate, 'cardAuthenticationCertificate'),
    now,
  );
  const cardSigning = await checkCardCertificate(
    context,
    authorities.cardAnchors,
    'signing',
    b64(body.cardSigningCertificate, 'cardSigningCertificate'),
    now,
  );
  if (cardAuthentication.cardId !== cardSigning.cardId)
    throw new IssuerError('ERR_CARD_CERTIFICATE_MISMATCH', 'the two card certificates belong to different cards');
  const possession = await verifyPkcs1Signature({
    subjectPublicKeyInfo: cardAuthentication.certificate.subjectPublicKeyInfo,
    data: nonce,
    signature: b64(body.cardAuthenticationSignature, 'cardAuthenticationSignature'),
    hash: 'SHA-256',
    backend: nodeCryptoBackend,
  });
  if (!possession)
    throw new IssuerError('ERR_CARD_PROOF_INVALID', 'the card authentication signature over the nonce does not verify');
  const applicationBytes = b64(body.application, 'application');
  const intent = await verifyPkcs1Signature({
    subjectPublicKeyInfo: cardSigning.certificate.subjectPublicKeyInfo,
    data: applicationBytes,
    signature: b64(body.applicationSignature, 'applicationSignature'),
    hash: 'SHA-256',
    backend: nodeCryptoBackend,
  });
  if (!intent)
    throw new IssuerError('ERR_CARD_PROOF_INVALID', 'the card signing signature over the application does not verify');
  let application: ProvisioningApplication;
  try {
    application = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(applicationBytes),
    ) as ProvisioningApplication;
  } catch (error) {
    throw new IssuerError('ERR_PROVISIONING_FORMAT', 'the application is not JSON', { cause: error });
  }
  if (application.nonce !== session.nonce)
    throw new IssuerError('ERR_PROVISIONING_NONCE', 'the application names another session’s nonce');
  const phone = await checkPhoneAttestation(application.phone, body.phoneAttestation, nonce);

  const card = await context.db
    .selectFrom('cards')
    .select(['id', 'person_id', 'status', 'expires_on'])
    .where('id', '=', cardAuthentication.cardId)
    .executeTakeFirstOrThrow();
  if (card.status !== 'active') throw new IssuerError('ERR_CARD_STATE', 'the card is no longer valid');
  const person = await getPerson(context, card.person_id);

  // One phone per person: any earlier phone ends now, with its certificates.
  const phoneId = newId(context, 'F');
  let superseded: string[] = [];
  // The partial unique index admits one live phone per person; a concurrent provisioning of the same
  // person that committed first makes this insert fail, and the retry supersedes that phone in turn.
  for (let attempt = 0; ; attempt++) {
    try {
      await inTransaction(context.db, async (trx) => {
        const earlier = await trx
          .selectFrom('phones')
          .select('id')
          .where('person_id', '=', person.id)
          .where('status', '!=', 'revoked')
          .execute();
        const earlierIds = earlier.map((row) => row.id);
        superseded = await endPhonesInTransaction(trx, context, {
          phoneIds: earlierIds,
          reason: 'superseded',
          actor: `holder:${person.id}`,
          why: 'a new phone was provisioned',
        });
        await trx
          .insertInto('phones')
          .values({
            id: phoneId,
            person_id: person.id,
            card_id: card.id,
            // Active only once everything it gets is made (the last transaction of issuePhoneCredentials).
            status: 'provisioning',
            device_key: JSON.stringify(application.phone.deviceKey),
            provisioned_at: isoTime(now),
            updated_at: isoTime(now),
          })
          .execute();
        await trx.updateTable('provisioning_sessions').set({ phone_id: phoneId }).where('id', '=', sessionId).execute();
        // Keys made in the remote secure area are this phone's now: they prove nothing more.
        await certifySecureAreaDevice(trx, context, phone.authenticationKey, phoneId);
        await appendAudit(trx, context, {
          actor: `holder:${person.id}`,
          action: 'phone.provision',
          subjectType: 'phone',
          subjectId: phoneId,
          details: { cardId: card.id, replaced: earlierIds, session: sessionId },
        });
      });
      break;
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 50) throw error;
    }
  }
  onRevoked(superseded);
  context.onBoundary?.('phone-provisioning');
  try {
    return await issuePhoneCredentials(context, authorities, {
      phoneId,
      person,
      cardExpiresOn: card.expires_on,
      phone,
      now,
    });
  } catch (error) {
    // Nothing half-issued stays usable: the phone ends, with whatever was issued to it.
    await inTransaction(context.db, (trx) =>
      endPhonesInTransaction(trx, context, {
        phoneIds: [phoneId],
        reason: 'cessationOfOperation',
        actor: 'system',
        why: 'provisioning did not complete',
      }),
    )
      .then(onRevoked)
      .catch(() => undefined);
    throw error;
  }
}

async function issuePhoneCredentials(
  context: IssuerContext,
  authorities: ProvisioningAuthorities,
  options: {
    readonly phoneId: string;
    readonly person: Awaited<ReturnType<typeof getPerson>>;
    readonly cardExpiresOn: string;
    readonly phone: Awaited<ReturnType<typeof checkPhoneAttestation>>;
    readonly now: Date;
  },
): Promise<ProvisioningBundle> {
  const { phoneId, person, phone, now } = options;
  const cardExpiry = parseIsoDate(options.cardExpiresOn);
  const municipalityCode = person.municipalityCode.slice(0, 5) as MunicipalityCode;
  const holder = {
    basicFourInfo: person.basicFourInfo,
    municipalityCode,
    ...placeOfMunicipality(municipalityCode),
    cardExpiry,
  };
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
  const authenticationCertificate = await issue('authentication', phone.authenticationKey);
  const signingCertificate =
    ageOn(person.basicFourInfo.birthDate, calendarDateInJapan(now)) >= SIGNING_MINIMUM_AGE
      ? await issue('signing', phone.signingKey, parseCertificate(authenticationCertificate).notAfter)
      : undefined;
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
    cardExpiry,
    deviceKeys: phone.deviceKeys,
    statusIndexes: batch.statusIndexes,
    now,
  });
  context.onBoundary?.('phone-credentials-issued');
  await inTransaction(context.db, async (trx) => {
    // The phone becomes active with its records, in one transaction. It may have been superseded while
    // its credentials were made: updating its row waits for any transaction that holds it (PostgreSQL
    // re-checks the condition after that one commits), so either the superseding provisioning sees
    // every certificate issued here, or this one sees it.
    const live = await trx
      .updateTable('phones')
      .set({ status: 'active', updated_at: isoTime(context.clock()) })
      .where('id', '=', phoneId)
      .where('status', '=', 'provisioning')
      .executeTakeFirst();
    if (live.numUpdatedRows !== 1n)
      throw new IssuerError('ERR_PHONE_STATE', 'the phone was superseded by another provisioning');
    await markBatchIssuedInTransaction(trx, context, batch.batchId);
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
      details: { kinds: ['kenhojo', 'kenkaku', 'mdoc'], mdocBatch: batch.batchId, mdocs: phone.deviceKeys.length },
    });
  });
  context.onBoundary?.('phone-active');
  return {
    phoneId,
    jpki: {
      authenticationCertificate: bytesToBase64(authenticationCertificate),
      ...(signingCertificate ? { signingCertificate: bytesToBase64(signingCertificate) } : {}),
      authenticationCaCertificate: bytesToBase64(authorities.authentication.certificate),
      signingCaCertificate: bytesToBase64(authorities.signing.certificate),
    },
    kenhojo,
    kenkaku,
    juki: { residentCode: person.residentCode },
    municipalityCode: person.municipalityCode,
    mdoc: bytesToBase64(mdoc!),
    ...(batchMdocs.length > 0 ? { batchMdocs: batchMdocs.map((bytes) => bytesToBase64(bytes)) } : {}),
    cardExpiry: options.cardExpiresOn,
    pinResetAuthority: {
      issuer: authorities.pinResetAuthority.issuer,
      publicJwk: authorities.pinResetAuthority.publicJwk,
    },
  };
}

/**
 * Ends every phone a crash left `provisioning` since before `olderThan` (run at start-up): the phone is
 * revoked with every certificate already signed for it, so nothing half-issued stays valid — the phone
 * never received its bundle. Returns the revoked serials.
 */
export async function abandonUnfinishedProvisioning(context: IssuerContext, olderThan: Date): Promise<string[]> {
  // A batch left half-made (provisioning or a refill) never reached the phone.
  await abandonUnfinishedMdocBatches(context, olderThan);
  return inTransaction(context.db, async (trx) => {
    const stale = await trx
      .selectFrom('phones')
      .select('id')
      .where('status', '=', 'provisioning')
      .where('provisioned_at', '<', isoTime(olderThan))
      .execute();
    return endPhonesInTransaction(trx, context, {
      phoneIds: stale.map((row) => row.id),
      reason: 'cessationOfOperation',
      actor: 'system',
      why: 'provisioning did not complete',
    });
  });
}

async function checkPhoneAttestation(
  keys: PhoneKeys,
  attestation: ProvisioningCompletion['phoneAttestation'],
  nonce: Uint8Array,
): Promise<{
  authenticationKey: Uint8Array;
  signingKey: Uint8Array;
  cardFaceKey: Uint8Array;
  /** The batch's device keys: `deviceKey`, then `batchDeviceKeys`. */
  deviceKeys: EcPublicKey[];
}> {
  const mismatch = (what: string) =>
    new IssuerError('ERR_PHONE_KEY_MISMATCH', `${what} does not prove possession of the key the application names`);
  if (typeof keys !== 'object' || keys === null || typeof attestation !== 'object' || attestation === null)
    throw new IssuerError('ERR_PROVISIONING_FORMAT', 'the phone keys and attestation are required');
  const named = {
    authenticationKey: b64(keys.authenticationKey, 'phone.authenticationKey'),
    signingKey: b64(keys.signingKey, 'phone.signingKey'),
    cardFaceKey: b64(keys.cardFaceKey, 'phone.cardFaceKey'),
  };
  for (const [field, request] of [
    ['authenticationKey', attestation.authenticationRequest],
    ['signingKey', attestation.signingRequest],
  ] as const) {
    let proven: Uint8Array;
    try {
      proven = (await verifyCertificationRequest(b64(request, field), nodeCryptoBackend)).subjectPublicKeyInfo;
    } catch {
      throw mismatch(`the ${field} request`);
    }
    if (!Buffer.from(proven).equals(Buffer.from(named[field]))) throw mismatch(`the ${field} request`);
  }
  if (
    !(await verifyPkcs1Signature({
      subjectPublicKeyInfo: named.cardFaceKey,
      data: nonce,
      signature: b64(attestation.cardFaceKeySignature, 'cardFaceKeySignature'),
      hash: 'SHA-256',
      backend: nodeCryptoBackend,
    }).catch(() => false))
  ) {
    throw mismatch('the 券面 key signature');
  }
  const batch: readonly JsonWebKey[] = keys.batchDeviceKeys ?? [];
  const batchSignatures: readonly unknown[] = attestation.batchDeviceKeySignatures ?? [];
  // The application is JSON the card signed: its shape is checked here, not by the HTTP schema.
  if (!Array.isArray(keys.batchDeviceKeys ?? []) || batch.length + 1 > MDOC_BATCH_MAX)
    throw new IssuerError(
      'ERR_PROVISIONING_FORMAT',
      `"batchDeviceKeys" is a list of at most ${MDOC_BATCH_MAX - 1} keys`,
    );
  if (batchSignatures.length !== batch.length)
    throw new IssuerError('ERR_PROVISIONING_FORMAT', '"batchDeviceKeySignatures" has one signature per batch key');
  const deviceKeys: EcPublicKey[] = [];
  const seen = new Set<string>();
  const batchEntries: { jwk: JsonWebKey; signature: unknown }[] = [
    { jwk: keys.deviceKey, signature: attestation.deviceKeySignature },
    ...batch.map((jwk, i) => ({ jwk, signature: batchSignatures[i] })),
  ];
  for (const [position, { jwk, signature }] of batchEntries.entries()) {
    const field = position === 0 ? 'deviceKeySignature' : `batchDeviceKeySignatures[${position - 1}]`;
    let deviceKey: EcPublicKey;
    try {
      deviceKey = ecPublicKeyFromJwk(jwk);
    } catch {
      throw mismatch(position === 0 ? 'the device key' : `batch device key ${position - 1}`);
    }
    if (!(await nodeMdocCrypto.verifySignature(deviceKey, 'SHA-256', nonce, b64(signature, field))))
      throw mismatch(`the ${field}`);
    const id = `${String(jwk.x)}.${String(jwk.y)}`;
    // A key used twice would make two MSOs of the batch linkable.
    if (seen.has(id)) throw new IssuerError('ERR_PROVISIONING_FORMAT', 'the batch names one device key twice');
    seen.add(id);
    deviceKeys.push(deviceKey);
  }
  return { ...named, deviceKeys };
}
