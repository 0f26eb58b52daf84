import type { PhoneBundle, ProvisioningApplication, ProvisioningCompletion } from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';
import { verifyPkcs1Signature } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { inTransaction, isUniqueViolation } from '@openmyna/storage';

import { appendAudit } from './audit.js';
import { checkCardCertificate } from './card-certificates.js';
import { isoTime, newId, type IssuerContext } from './context.js';
import { base64Field, IssuerError } from './errors.js';
import { abandonUnfinishedMdocBatches } from './mdoc-batches.js';
import { checkPhoneAttestation, type AttestedPhoneKeys } from './phone-attestation.js';
import { issuePhoneCredentials, type ProvisioningAuthorities } from './phone-credentials.js';
import { endPhonesInTransaction } from './phones.js';
import { getPerson, type Person } from './registry.js';
import { certifySecureAreaDevice } from './secure-area-devices.js';

/** How long a provisioning session may take from nonce to completion. */
export const PROVISIONING_SESSION_SECONDS = 300;

export type { PhoneKeys, ProvisioningApplication, ProvisioningCompletion } from '@openmyna/card';
export type { ProvisioningAuthorities } from './phone-credentials.js';

/** What provisioning returns to the phone: everything it installs, in one bundle (`PhoneBundleSchema`). */
export type ProvisioningBundle = PhoneBundle;

const b64 = (text: unknown, field: string): Uint8Array => base64Field(text, field, 'ERR_PROVISIONING_FORMAT');

/** Opens a provisioning session: a fresh 256-bit nonce, single use, valid for five minutes. */
export async function openProvisioningSession(
  context: IssuerContext,
): Promise<{ sessionId: string; nonce: string; expiresAt: string }> {
  const now = context.clock();
  const sessionId = newId(context, 'S');
  const nonce = base64UrlEncode(context.randomBytes(32));
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
  const nonce = await claimSession(context, sessionId, now);
  const { cardId, application } = await checkCardProofs(context, authorities, body, nonce, now);
  const phone = await checkPhoneAttestation(application.phone, body.phoneAttestation, utf8.encode(nonce));
  const card = await context.db
    .selectFrom('cards')
    .select(['id', 'person_id', 'status', 'expires_on'])
    .where('id', '=', cardId)
    .executeTakeFirstOrThrow();
  if (card.status !== 'active') throw new IssuerError('ERR_CARD_STATE', 'the card is no longer valid');
  const person = await getPerson(context, card.person_id);
  const phoneId = newId(context, 'F');
  const superseded = await recordPhone(context, { sessionId, phoneId, person, cardId, application, phone, now });
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

const utf8 = new TextEncoder();

/** Consumes the session: known, unexpired, not used before. Returns its nonce. */
async function claimSession(context: IssuerContext, sessionId: string, now: Date): Promise<string> {
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
  return session.nonce;
}

/**
 * The card's part: both certificates of one active card, its authentication key's signature over the
 * nonce (possession) and its signing key's over the application (intent), which names this nonce.
 */
async function checkCardProofs(
  context: IssuerContext,
  authorities: ProvisioningAuthorities,
  body: ProvisioningCompletion,
  nonce: string,
  now: Date,
): Promise<{ cardId: string; application: ProvisioningApplication }> {
  const check = (hierarchy: 'authentication' | 'signing', field: keyof ProvisioningCompletion) =>
    checkCardCertificate(context, authorities.cardAnchors, hierarchy, b64(body[field], field), now);
  const cardAuthentication = await check('authentication', 'cardAuthenticationCertificate');
  const cardSigning = await check('signing', 'cardSigningCertificate');
  if (cardAuthentication.cardId !== cardSigning.cardId)
    throw new IssuerError('ERR_CARD_CERTIFICATE_MISMATCH', 'the two card certificates belong to different cards');
  const verifies = (subjectPublicKeyInfo: Uint8Array, data: Uint8Array, field: keyof ProvisioningCompletion) =>
    verifyPkcs1Signature({
      subjectPublicKeyInfo,
      data,
      signature: b64(body[field], field),
      hash: 'SHA-256',
      backend: nodeCryptoBackend,
    });
  if (
    !(await verifies(
      cardAuthentication.certificate.subjectPublicKeyInfo,
      utf8.encode(nonce),
      'cardAuthenticationSignature',
    ))
  )
    throw new IssuerError('ERR_CARD_PROOF_INVALID', 'the card authentication signature over the nonce does not verify');
  const applicationBytes = b64(body.application, 'application');
  if (!(await verifies(cardSigning.certificate.subjectPublicKeyInfo, applicationBytes, 'applicationSignature')))
    throw new IssuerError('ERR_CARD_PROOF_INVALID', 'the card signing signature over the application does not verify');
  let application: ProvisioningApplication;
  try {
    application = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(applicationBytes),
    ) as ProvisioningApplication;
  } catch (error) {
    throw new IssuerError('ERR_PROVISIONING_FORMAT', 'the application is not JSON', { cause: error });
  }
  if (application.nonce !== nonce)
    throw new IssuerError('ERR_PROVISIONING_NONCE', 'the application names another session’s nonce');
  return { cardId: cardAuthentication.cardId, application };
}

/**
 * Records the new phone (`provisioning`) and ends any earlier phone of the person, with its
 * certificates: one phone per person. Returns the serials that revoked.
 */
async function recordPhone(
  context: IssuerContext,
  options: {
    readonly sessionId: string;
    readonly phoneId: string;
    readonly person: Person;
    readonly cardId: string;
    readonly application: ProvisioningApplication;
    readonly phone: AttestedPhoneKeys;
    readonly now: Date;
  },
): Promise<string[]> {
  const { sessionId, phoneId, person, cardId, now } = options;
  // The partial unique index admits one live phone per person; a concurrent provisioning of the same
  // person that committed first makes this insert fail, and the retry supersedes that phone in turn.
  for (let attempt = 0; ; attempt++) {
    try {
      return await inTransaction(context.db, async (trx) => {
        const earlier = await trx
          .selectFrom('phones')
          .select('id')
          .where('person_id', '=', person.id)
          .where('status', '!=', 'revoked')
          .execute();
        const earlierIds = earlier.map((row) => row.id);
        const superseded = await endPhonesInTransaction(trx, context, {
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
            card_id: cardId,
            // Active only once everything it gets is made (the last transaction of issuePhoneCredentials).
            status: 'provisioning',
            device_key: JSON.stringify(options.application.phone.deviceKey),
            provisioned_at: isoTime(now),
            updated_at: isoTime(now),
          })
          .execute();
        await trx.updateTable('provisioning_sessions').set({ phone_id: phoneId }).where('id', '=', sessionId).execute();
        // Keys made in the remote secure area are this phone's now: they prove nothing more.
        await certifySecureAreaDevice(trx, context, options.phone.authenticationKey, phoneId);
        await appendAudit(trx, context, {
          actor: `holder:${person.id}`,
          action: 'phone.provision',
          subjectType: 'phone',
          subjectId: phoneId,
          details: { cardId, replaced: earlierIds, session: sessionId },
        });
        return superseded;
      });
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 50) throw error;
    }
  }
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
