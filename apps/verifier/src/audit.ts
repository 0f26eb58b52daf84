import { containsMyNumberToken } from '@openmyna/core';

import { isoTime, type VerifierContext } from './context.js';
import { VerifierServiceError } from './errors.js';

/** One entry of the verifier's audit log: every verification, without My Numbers or disclosed values. */
export interface AuditEntry {
  readonly rpId: string | null;
  readonly action: string;
  readonly subjectId: string;
  readonly result: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Appends to the audit log; refuses (`ERR_AUDIT_SECRET`) an entry that would carry a My Number. */
export async function appendAudit(context: VerifierContext, entry: AuditEntry): Promise<void> {
  const details = JSON.stringify(entry.details ?? {});
  if ([details, entry.subjectId, entry.result].some(containsMyNumberToken))
    throw new VerifierServiceError('ERR_AUDIT_SECRET', `an audit entry for ${entry.action} would contain a My Number`);
  await context.db
    .insertInto('audit_log')
    .values({
      at: isoTime(context.clock()),
      rp_id: entry.rpId,
      action: entry.action,
      subject_id: entry.subjectId,
      result: entry.result,
      details,
    })
    .execute();
}
