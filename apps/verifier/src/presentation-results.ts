import type { VerificationSummary } from '@openmyna/pki';
import type { VerificationRecord } from '@openmyna/verifier';

import { isoTime, type VerifierContext } from './context.js';
import { takeClaimsOnce } from './disclosed-claims.js';
import { VerifierServiceError } from './errors.js';
import type { RelyingParty } from './relying-parties.js';
import {
  parseStoredResult,
  PresentationRejectionSchema,
  type PresentationResult,
  type PresentationView,
} from './result-schemas.js';
import { SEALED, type PresentationServices } from './services.js';
import type { PresentationStatus } from './storage/schema.js';

export type { PresentationRejection, PresentationResult, PresentationView } from './result-schemas.js';

/** A verification summary as relying parties read it: the deciding check, every check's status, the records. */
export function resultOf(summary: VerificationSummary, records: readonly VerificationRecord[]): PresentationResult {
  // Whom a record names is personal data: it comes only with a valid answer, as the values do. One
  // record can be valid on its own (the 入力補助 records) while the answer is not (the signature's
  // revocation unknown); then no record names anyone.
  const kept = summary.status === 'valid' ? records : records.map(({ subject: _subject, ...record }) => record);
  return {
    status: summary.status,
    ...(summary.decidedBy
      ? {
          decidedBy: {
            check: summary.decidedBy.check,
            ...(summary.decidedBy.reason ? { reason: summary.decidedBy.reason } : {}),
          },
        }
      : {}),
    checks: summary.checks.map(({ check, status }) => ({ check, status })),
    records: kept,
  };
}

/** The stored status of an answered request: completed only when valid (status-unknown is not). */
export const statusOf = (result: PresentationResult): PresentationStatus =>
  result.status === 'valid' ? 'completed' : 'failed';

/** A result that fails on one check before any credential was verified (nobody answered, the phone declined). */
export function failedResult(check: string, reason: string): PresentationResult {
  return { status: 'invalid', decidedBy: { check, reason }, checks: [{ check, status: 'fail' }], records: [] };
}

/** The stored row of a presentation request, or `ERR_PRESENTATION_NOT_FOUND`. */
export async function presentationRow(context: VerifierContext, id: string) {
  const row = await context.db.selectFrom('presentations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new VerifierServiceError('ERR_PRESENTATION_NOT_FOUND', 'no such presentation request');
  return row;
}

/**
 * A presentation as its relying party reads it: status, result and record — and, the first time
 * after a valid answer, the disclosed values, which are then deleted from the service.
 */
export async function presentationFor(
  context: VerifierContext,
  services: PresentationServices,
  party: RelyingParty,
  id: string,
): Promise<PresentationView> {
  const row = await presentationRow(context, id);
  // Another relying party's presentation does not exist for this one.
  if (row.rp_id !== party.id)
    throw new VerifierServiceError('ERR_PRESENTATION_NOT_FOUND', 'no such presentation request');
  // Unanswered past its time: nobody can answer it any more (the request object and response refuse).
  if (row.status === 'pending' && isoTime(context.clock()) > row.expires_at)
    return {
      id,
      status: 'failed',
      result: failedResult('presentation.expired', 'nobody answered the request in time'),
    };
  // Claimed but never finished (the verifier died while verifying): failed for good, here and in the database.
  if (row.status === 'processing' && isInterrupted(row.expires_at, context.clock())) {
    await repairInterruptedPresentations(context);
    return { id, status: 'failed', result: INTERRUPTED };
  }
  return {
    id,
    status: row.status,
    ...(row.result ? { result: parseStoredResult(row.result) } : {}),
    ...(row.rejected_answers > 0 ? { rejectedAnswers: row.rejected_answers } : {}),
    ...(row.last_rejection ? { lastRejection: PresentationRejectionSchema.parse(JSON.parse(row.last_rejection)) } : {}),
    ...(await takeClaimsOnce(context, services.sealingKey, 'presentations', SEALED.presentationClaims, row)),
  };
}

/**
 * How long after its expiry a claimed presentation may still be verifying. A verification takes
 * milliseconds, or seconds when OCSP is slow; one still `processing` this long after the request expired
 * belongs to a verifier that died.
 */
export const PROCESSING_GRACE_SECONDS = 120;
const INTERRUPTED = failedResult('presentation.interrupted', 'the verification of the answer was interrupted');
const isInterrupted = (expiresAt: string, now: Date) =>
  isoTime(new Date(now.getTime() - PROCESSING_GRACE_SECONDS * 1000)) > expiresAt;

/**
 * Fails every presentation left `processing` by a verifier that died while verifying (killed, or the
 * machine lost): at start-up, and whenever a relying party reads one. Values are never released for
 * them — none were sealed. Returns how many were repaired.
 */
export async function repairInterruptedPresentations(context: VerifierContext): Promise<number> {
  const cutoff = isoTime(new Date(context.clock().getTime() - PROCESSING_GRACE_SECONDS * 1000));
  const repaired = await context.db
    .updateTable('presentations')
    .set({ status: 'failed', result: JSON.stringify(INTERRUPTED), claims_sealed: null, decryption_key_sealed: null })
    .where('status', '=', 'processing')
    .where('expires_at', '<', cutoff)
    .executeTakeFirst();
  return Number(repaired.numUpdatedRows);
}
