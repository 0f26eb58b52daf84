import { parseIsoDate } from '@openmyna/core';
import { MDOC_BATCH_MAX, mdocRefillStatement, type MdocRefillRequest } from '@openmyna/card';
import { ecPublicJwk, ecPublicKeyFromJwk, type EcPublicKey } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { bytesToBase64 } from '@openmyna/pki';
import { inTransaction } from '@openmyna/storage';

import { appendAudit } from './audit.js';
import { isoTime, type IssuerContext } from './context.js';
import { base64Field, IssuerError } from './errors.js';
import { claimChallenge, phoneOf } from './holder.js';
import {
  abandonUnfinishedMdocBatches,
  markBatchIssuedInTransaction,
  mdocValidity,
  reserveMdocBatch,
  signMdocBatch,
  type MdocIssuer,
} from './mdoc-batches.js';
import { getPerson } from './registry.js';

export type { MdocRefillRequest } from '@openmyna/card';

/** The most MSOs one phone may be issued in any 24 hours (provisioning and refills together). */
export const MDOC_DAILY_LIMIT = 100;

/** What a refill returns: the new batch, each MSO bound to the request's key at the same position. */
export interface MdocRefill {
  /** `{docType, issuerSigned}` CBOR, base64, in the order of `deviceKeys`. */
  readonly mdocs: readonly string[];
  readonly validUntil: string;
}

/**
 * A key's identity: its coordinates re-encoded from the decoded point, so the several base64url
 * spellings of one coordinate (unused trailing bits) are one key. Unreadable keys identify nothing.
 */
const keyId = (jwk: JsonWebKey): string => {
  try {
    const canonical = ecPublicJwk(ecPublicKeyFromJwk(jwk));
    return `${String(canonical.x)}.${String(canonical.y)}`;
  } catch {
    return `unreadable:${String(jwk.x)}.${String(jwk.y)}`;
  }
};

/**
 * Issues a fresh batch of single-use MSOs to an active phone (`POST /phones/{id}/mdoc-refills`). No PIN:
 * the phone proves itself with one of its device keys whose MSO is issued and unexpired, over the
 * {@link mdocRefillStatement} of a single-use `mdoc-refill` challenge; each new key signs the same
 * statement (possession). Checks, in order: the request's form (1 to MDOC_BATCH_MAX new keys, each once);
 * the challenge (consumed now); the phone is active; the proving key is one of its valid device keys and
 * its signature verifies; each new key's signature; no new key was ever this phone's; the daily bound.
 * The batch becomes the phone's in one transaction, after every MSO is signed; earlier MSOs stay valid
 * until they expire (the wallet discards its unused ones), and all of them follow the phone's status.
 */
export async function refillMdocs(
  context: IssuerContext,
  issuer: MdocIssuer,
  phoneId: string,
  request: MdocRefillRequest,
): Promise<MdocRefill> {
  const { deviceKeys, proofKey, proofSignature, keySignatures } = checkRefillForm(request);
  const nonce = await claimChallenge(context, request.challengeId, phoneId, 'mdoc-refill');
  const phone = await phoneOf(context, phoneId);
  if (phone.status !== 'active')
    throw new IssuerError('ERR_PHONE_STATE', `a ${phone.status} phone is not given new MSOs`);
  const now = context.clock();
  const known = await context.db
    .selectFrom('records')
    .leftJoin('mdoc_batches', 'mdoc_batches.id', 'records.batch_id')
    .select(['records.device_key', 'records.valid_until', 'records.issued_at', 'mdoc_batches.status as batch'])
    .where('records.phone_id', '=', phoneId)
    .where('records.kind', '=', 'mdoc')
    .execute();
  const keyOf = (row: { device_key: string | null }) =>
    keyId(JSON.parse(row.device_key ?? phone.device_key) as JsonWebKey);
  const provers = new Set(
    known
      .filter((row) => (row.batch === null || row.batch === 'issued') && (row.valid_until ?? '') > isoTime(now))
      .map(keyOf),
  );
  const statement = mdocRefillStatement({ phoneId, nonce, deviceKeys: request.deviceKeys });
  if (
    !provers.has(keyId(request.proof.deviceKey)) ||
    !(await nodeMdocCrypto.verifySignature(proofKey, 'SHA-256', statement, proofSignature).catch(() => false))
  )
    throw new IssuerError(
      'ERR_HOLDER_PROOF_INVALID',
      'the proof is not a signature over the refill statement by one of the phone’s valid device keys',
    );
  for (const [position, key] of deviceKeys.entries()) {
    const proven = await nodeMdocCrypto
      .verifySignature(key, 'SHA-256', statement, keySignatures[position]!)
      .catch(() => false);
    if (!proven)
      throw new IssuerError(
        'ERR_PHONE_KEY_MISMATCH',
        `"deviceKeySignatures[${position}]" does not prove possession of "deviceKeys[${position}]"`,
      );
  }
  const used = new Set([...known.map(keyOf), keyId(JSON.parse(phone.device_key) as JsonWebKey)]);
  // A key given again would make the new MSO linkable to the old one.
  if (request.deviceKeys.some((jwk) => used.has(keyId(jwk))))
    throw new IssuerError('ERR_HOLDER_REQUEST_FORMAT', '"deviceKeys" names a key this phone was given MSOs for before');
  // The daily bound is counted where the batch is reserved, in one transaction with it.
  return issueRefill(context, issuer, { phoneId, personId: phone.person_id, cardId: phone.card_id, deviceKeys, now });
}

async function issueRefill(
  context: IssuerContext,
  issuer: MdocIssuer,
  refill: {
    readonly phoneId: string;
    readonly personId: string;
    readonly cardId: string;
    readonly deviceKeys: readonly EcPublicKey[];
    readonly now: Date;
  },
): Promise<MdocRefill> {
  const { phoneId, deviceKeys, now } = refill;
  const person = await getPerson(context, refill.personId);
  const card = await context.db
    .selectFrom('cards')
    .select('expires_on')
    .where('id', '=', refill.cardId)
    .executeTakeFirstOrThrow();
  const validUntil = mdocValidity(now, issuer.documentSigner.certificate).validUntil;
  const batch = await reserveMdocBatch(context, {
    phoneId,
    personId: person.id,
    deviceKeys,
    validUntil,
    now,
    refill: { dailyLimit: MDOC_DAILY_LIMIT },
  });
  context.onBoundary?.('mdoc-batch-reserved');
  try {
    const mdocs = await signMdocBatch(issuer, {
      person,
      cardExpiry: parseIsoDate(card.expires_on),
      deviceKeys,
      statusIndexes: batch.statusIndexes,
      now,
    });
    context.onBoundary?.('mdoc-batch-signed');
    await inTransaction(context.db, async (trx) => {
      // A phone suspended or revoked while its MSOs were signed gets none of them.
      const phone = await trx.selectFrom('phones').select('status').where('id', '=', phoneId).executeTakeFirst();
      if (phone?.status !== 'active') throw new IssuerError('ERR_PHONE_STATE', 'the phone is no longer active');
      await markBatchIssuedInTransaction(trx, context, batch.batchId);
      await appendAudit(trx, context, {
        actor: `holder:${person.id}`,
        action: 'phone.mdoc-refill',
        subjectType: 'phone',
        subjectId: phoneId,
        reason: 'the phone proved one of its device keys',
        details: { mdocBatch: batch.batchId, mdocs: deviceKeys.length },
      });
    });
    context.onBoundary?.('mdoc-batch-issued');
    return { mdocs: mdocs.map((bytes) => bytesToBase64(bytes)), validUntil: isoTime(validUntil) };
  } catch (error) {
    // Nothing half-made is the phone's: the batch is abandoned, its entries listed invalid.
    await abandonUnfinishedMdocBatches(context, new Date(now.getTime() + 1), batch.batchId).catch(() => undefined);
    throw error;
  }
}

function checkRefillForm(request: MdocRefillRequest) {
  const format = (message: string) => new IssuerError('ERR_HOLDER_REQUEST_FORMAT', message);
  const keys: unknown = request.deviceKeys;
  const signatures: unknown = request.deviceKeySignatures;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MDOC_BATCH_MAX)
    throw format(`"deviceKeys" is a list of 1 to ${MDOC_BATCH_MAX} P-256 keys`);
  if (!Array.isArray(signatures) || signatures.length !== keys.length)
    throw format('"deviceKeySignatures" has one signature per key of "deviceKeys"');
  const ids = new Set<string>();
  const deviceKeys = (keys as unknown[]).map((jwk, position) => {
    const key = publicKeyOf(jwk, `deviceKeys[${position}]`);
    ids.add(keyId(jwk as JsonWebKey));
    return key;
  });
  if (ids.size !== deviceKeys.length) throw format('"deviceKeys" names one key twice');
  if (typeof request.proof !== 'object' || request.proof === null) throw format('"proof" is required');
  return {
    deviceKeys,
    proofKey: publicKeyOf(request.proof.deviceKey, 'proof.deviceKey'),
    proofSignature: base64Field(request.proof.signature, 'proof.signature', 'ERR_HOLDER_REQUEST_FORMAT'),
    keySignatures: (signatures as unknown[]).map((signature, position) =>
      base64Field(signature, `deviceKeySignatures[${position}]`, 'ERR_HOLDER_REQUEST_FORMAT'),
    ),
  };
}

function publicKeyOf(jwk: unknown, field: string): EcPublicKey {
  try {
    if (typeof jwk !== 'object' || jwk === null || 'd' in jwk) throw new Error('not a public JWK');
    return ecPublicKeyFromJwk(jwk);
  } catch (error) {
    throw new IssuerError('ERR_HOLDER_REQUEST_FORMAT', `"${field}" is not a P-256 public JWK`, { cause: error });
  }
}
