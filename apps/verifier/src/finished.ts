import { appendAudit } from './audit.js';
import type { VerifierContext } from './context.js';
import type { PresentationResult } from './presentation-results.js';
import type { RelyingParty } from './relying-parties.js';
import { enqueueWebhook } from './webhook-outbox.js';

/**
 * What every finished presentation or in-person session writes beside its result, in the caller's
 * transaction (`context.db`): the webhook event announcing it and the audit entry. Returns whether an
 * event was queued (the dispatcher is woken once the transaction commits).
 */
export async function recordFinished(
  context: VerifierContext,
  party: RelyingParty,
  finished: {
    readonly id: string;
    readonly action: 'presentation.verify' | 'proximity.verify';
    readonly result: PresentationResult;
    readonly details?: Readonly<Record<string, unknown>>;
  },
): Promise<boolean> {
  const { id, action, result } = finished;
  const event = await enqueueWebhook(context, party, { type: 'presentation.finished', id, status: result.status });
  await appendAudit(context, {
    rpId: party.id,
    action,
    subjectId: id,
    result: result.status,
    details: {
      ...(result.decidedBy ? { decidedBy: result.decidedBy.check } : {}),
      disclosed: result.records.flatMap((record) => record.disclosed ?? []),
      ...finished.details,
    },
  });
  return event !== undefined;
}
