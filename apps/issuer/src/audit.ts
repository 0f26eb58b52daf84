import { containsMyNumberToken } from '@openmyna/core';
import type { Transaction } from 'kysely';

import { isoTime, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import type { IssuerSchema } from './storage/schema.js';

/** One state change for the audit log: who, what, on what, why. */
export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly subjectType: 'person' | 'card' | 'phone' | 'certificate' | 'provisioning';
  readonly subjectId: string;
  readonly reason?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Appends to the audit log inside the caller's transaction, so the entry exists exactly when the change
 * does. Refuses (`ERR_AUDIT_SECRET`) an entry that would carry a My Number.
 */
export async function appendAudit(
  trx: Transaction<IssuerSchema>,
  context: IssuerContext,
  entry: AuditEntry,
): Promise<void> {
  const details = JSON.stringify(entry.details ?? {});
  if ([details, entry.subjectId, entry.reason ?? '', entry.actor].some(containsMyNumberToken)) {
    throw new IssuerError('ERR_AUDIT_SECRET', `an audit entry for ${entry.action} would contain a My Number`);
  }
  await trx
    .insertInto('audit_log')
    .values({
      at: isoTime(context.clock()),
      actor: entry.actor,
      action: entry.action,
      subject_type: entry.subjectType,
      subject_id: entry.subjectId,
      reason: entry.reason ?? null,
      details,
    })
    .execute();
}
