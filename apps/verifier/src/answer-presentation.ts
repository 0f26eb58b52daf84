import { OpenMynaError } from '@openmyna/core';
import { readAuthorizationResponse, type AuthorizationRequest } from '@openmyna/mdoc';
import { inTransaction } from '@openmyna/storage';
import { importJWK } from 'jose';

import { appendAudit } from './audit.js';
import { isoTime, type VerifierContext } from './context.js';
import type { DisclosedClaims } from './disclosed-claims.js';
import { VerifierServiceError } from './errors.js';
import { recordFinished } from './finished.js';
import {
  failedResult,
  presentationRow,
  statusOf,
  type PresentationRejection,
  type PresentationResult,
} from './presentation-results.js';
import { relyingParty, type RelyingParty } from './relying-parties.js';
import { sealJson, unsealJson } from './sealing.js';
import { SEALED, type PresentationServices } from './services.js';
import type { PresentationStatus } from './storage/schema.js';
import { verifyPresentations } from './verify-presentation.js';

/** The signed request object for the wallet, while the request is open. */
export async function requestObjectOf(context: VerifierContext, id: string): Promise<string> {
  const row = await presentationRow(context, id);
  if (row.status !== 'pending')
    throw new VerifierServiceError('ERR_PRESENTATION_ANSWERED', 'this request was answered');
  if (isoTime(context.clock()) > row.expires_at)
    throw new VerifierServiceError('ERR_PRESENTATION_EXPIRED', 'this request has expired');
  return row.request_jwt;
}

/**
 * Receives the wallet's `direct_post` (OpenID4VP §8.2). First what anyone could fake is checked, without
 * touching the presentation: the request must be open and unexpired, and the form must carry the
 * request's `state` (inside the decrypted response for `direct_post.jwt`). Then every credential is
 * verified for this relying party ({@link verifyPresentations}).
 *
 * Only the holder's own answer ends a request. The request object is public — whoever sees the QR code
 * can fetch it and learn `state` — so a refusal (unsigned by nature) and an answer that fails
 * verification are counted and the last one kept (`presentationFor`'s `lastRejection`), but the
 * request stays open; the refusal answers 200, the failed answer 400 `ERR_PRESENTATION_REJECTED` naming
 * the check. A verified answer (valid, or status-unknown when revocation could not be checked) ends the
 * request in one conditional update: of two racing answers one wins, the other finds it answered. The
 * disclosed values are sealed until the relying party fetches them once, and only for a valid answer.
 */
export async function receiveResponse(
  context: VerifierContext,
  services: PresentationServices,
  id: string,
  form: Readonly<Record<string, string>>,
): Promise<{ status: PresentationStatus }> {
  const row = await presentationRow(context, id);
  const now = context.clock();
  if (row.status !== 'pending')
    throw new VerifierServiceError('ERR_PRESENTATION_ANSWERED', 'this request was already answered');
  if (isoTime(now) > row.expires_at)
    throw new VerifierServiceError('ERR_PRESENTATION_EXPIRED', 'this request has expired');
  const request = JSON.parse(row.request) as AuthorizationRequest;
  const answer = await readAnswer(services, request, row.state, row.decryption_key_sealed, form);
  const party = await relyingParty(context, row.rp_id);
  if ('declined' in answer) {
    await rejectAnswer(context, party, id, failedResult('wallet.response', answer.declined), now);
    return { status: 'pending' };
  }
  const answered = { context, services, party, id, now };
  const { result, claims } = await verifyAnswer(answered, request, answer.presentations);
  return { status: await acceptAnswer(answered, result, claims) };
}

/** An answer to one presentation request, as its steps pass it on. */
export interface Answered {
  readonly context: VerifierContext;
  readonly services: PresentationServices;
  readonly party: RelyingParty;
  readonly id: string;
  readonly now: Date;
}

/** Verifies an answer; one that fails (a check, or its format) is counted and refused. */
async function verifyAnswer(
  answered: Answered,
  request: AuthorizationRequest,
  presentations: Readonly<Record<string, Uint8Array[]>>,
): Promise<{ result: PresentationResult; claims: DisclosedClaims | undefined }> {
  const { context, services, party, id, now } = answered;
  let verified: { result: PresentationResult; claims: DisclosedClaims | undefined };
  try {
    verified = await verifyPresentations(context, services, party, id, request, presentations, now);
  } catch (error) {
    // Our typed errors name what was wrong without echoing the input; anything else is the service's
    // own failure, which goes on to the log as a 500. Either way the answer is not accepted.
    const known = error instanceof OpenMynaError;
    const check = known ? 'response.format' : 'verifier.internal';
    const reason = known ? error.message : 'the verifier could not complete the verification';
    await rejectAnswer(context, party, id, failedResult(check, reason), now);
    if (!known) throw error;
    throw new VerifierServiceError('ERR_PRESENTATION_REJECTED', `the answer was not accepted: ${reason}`);
  }
  const { result } = verified;
  if (result.status === 'invalid') {
    await rejectAnswer(context, party, id, result, now);
    const decided = result.decidedBy;
    throw new VerifierServiceError(
      'ERR_PRESENTATION_REJECTED',
      `the answer was not accepted: ${decided ? `${decided.check}: ${decided.reason}` : 'a check failed'}`,
    );
  }
  return verified;
}

/**
 * Ends the request with a verified answer, unless another answer ended it first. The result, the
 * webhook event announcing it and the audit entry are written in one transaction: all or none.
 */
export async function acceptAnswer(
  answered: Answered,
  result: PresentationResult,
  claims: DisclosedClaims | undefined,
): Promise<PresentationStatus> {
  const { context, services, party, id, now } = answered;
  const status = statusOf(result);
  const queued = await inTransaction(context.db, async (db) => {
    const recorded = await db
      .updateTable('presentations')
      .set({
        status,
        responded_at: isoTime(now),
        result: JSON.stringify(result),
        // Values only with a valid answer: status-unknown presentations release nothing.
        claims_sealed:
          claims && result.status === 'valid' ? sealJson(services.sealingKey, SEALED.presentationClaims, claims) : null,
        // The key is no longer needed once the request is answered.
        decryption_key_sealed: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (recorded.numUpdatedRows !== 1n)
      throw new VerifierServiceError('ERR_PRESENTATION_ANSWERED', 'this request was already answered');
    return recordFinished({ ...context, db }, party, {
      id,
      action: 'presentation.verify',
      result,
      details: { methods: result.records.map((record) => record.method) },
    });
  });
  if (queued) services.webhookQueued?.();
  return status;
}

/** Counts an answer that was not accepted and keeps it as the last; the request stays open. */
async function rejectAnswer(
  context: VerifierContext,
  party: RelyingParty,
  id: string,
  result: PresentationResult,
  now: Date,
): Promise<void> {
  const rejection: PresentationRejection = {
    at: isoTime(now),
    check: result.decidedBy?.check ?? 'unknown',
    reason: result.decidedBy?.reason ?? 'a check failed',
  };
  await context.db
    .updateTable('presentations')
    .set((eb) => ({
      rejected_answers: eb('rejected_answers', '+', 1),
      last_rejection: JSON.stringify(rejection),
    }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
  await appendAudit(context, {
    rpId: party.id,
    action: 'presentation.reject',
    subjectId: id,
    result: result.status,
    details: { decidedBy: rejection.check, methods: result.records.map((record) => record.method) },
  });
}

/**
 * The wallet's form, read without changing anything: a refusal (`error`, with the request's `state`) or
 * the `vp_token` (decrypted for `direct_post.jwt`, whose `state` must be the request's). A form that is
 * neither — another state, no state, undecryptable — is refused as `ERR_PRESENTATION_RESPONSE`.
 */
async function readAnswer(
  services: PresentationServices,
  request: AuthorizationRequest,
  state: string,
  decryptionKeySealed: Uint8Array | null,
  form: Readonly<Record<string, string>>,
): Promise<{ declined: string } | { presentations: Record<string, Uint8Array[]> }> {
  const declined = walletErrorOf(form, state);
  if (declined) return { declined };
  const decryptionKey = decryptionKeySealed
    ? ((await importJWK(
        unsealJson<JsonWebKey>(services.sealingKey, SEALED.decryptionKey, new Uint8Array(decryptionKeySealed)),
        'ECDH-ES',
      )) as CryptoKey)
    : undefined;
  try {
    return {
      presentations: await readAuthorizationResponse({
        form,
        responseMode: request.response_mode,
        expectedState: state,
        ...(decryptionKey ? { decryptionKey } : {}),
      }),
    };
  } catch (error) {
    // Whatever the form held, it cannot be read: the sender's fault, and nothing has changed.
    const reason = error instanceof OpenMynaError ? error.message : 'the authorization response cannot be read';
    throw new VerifierServiceError('ERR_PRESENTATION_RESPONSE', reason, { cause: error });
  }
}

/** OpenID4VP error codes a wallet may answer with (§8.5, RFC 6749 §4.1.2.1), by what they mean here. */
const WALLET_ERRORS: Readonly<Record<string, string>> = {
  access_denied: 'the holder declined in the wallet',
  invalid_request: 'the wallet found the request invalid',
  invalid_request_object: 'the wallet found the request object invalid',
  invalid_client: 'the wallet did not trust the requester',
  vp_formats_not_supported: 'the wallet does not hold what was asked for',
  invalid_transaction_data: 'the wallet could not show the document to sign',
};

/**
 * The wallet's error response (OpenID4VP §8.5, posted as `direct_post`): `error` (and `state`, which must
 * be the request's). Returns why, in the service's words — never the wallet's free text — or undefined
 * when the form is an answer rather than an error.
 */
function walletErrorOf(form: Readonly<Record<string, string>>, state: string): string | undefined {
  const error = form['error'];
  if (error === undefined) return undefined;
  if (form['state'] !== state)
    throw new VerifierServiceError('ERR_PRESENTATION_RESPONSE', 'the error response carries another state');
  // Own keys only: `constructor` or `__proto__` is no error code.
  return Object.hasOwn(WALLET_ERRORS, error) ? WALLET_ERRORS[error] : 'the wallet answered with an error';
}
