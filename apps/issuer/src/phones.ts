import type { CrlReasonName } from '@openmyna/pki';
import { inTransaction } from '@openmyna/storage';
import type { Transaction } from 'kysely';

import { appendAudit } from './audit.js';
import { resumeInTransaction, revokeInTransaction } from './certificates.js';
import { destroySecureAreaKeys } from './secure-area-devices.js';
import { isoTime, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import type { IssuerSchema, PhoneStatus } from './storage/schema.js';

export type PhoneAction = 'suspend' | 'resume' | 'revoke';

/** A person's phones, newest first, as an operator sees them (to suspend or revoke a lost one). */
export async function phonesOf(
  context: IssuerContext,
  personId: string,
): Promise<{ id: string; cardId: string; status: PhoneStatus; provisionedAt: string; updatedAt: string }[]> {
  const person = await context.db.selectFrom('persons').select('id').where('id', '=', personId).executeTakeFirst();
  if (!person) throw new IssuerError('ERR_PERSON_NOT_FOUND', 'no such person');
  const rows = await context.db
    .selectFrom('phones')
    .select(['id', 'card_id', 'status', 'provisioned_at', 'updated_at'])
    .where('person_id', '=', personId)
    .orderBy('provisioned_at', 'desc')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    cardId: row.card_id,
    status: row.status,
    provisionedAt: row.provisioned_at,
    updatedAt: row.updated_at,
  }));
}

/**
 * Changes a phone's state with its certificates, in one transaction: `suspend` puts them on hold
 * (certificateHold, reversible), `resume` lifts the hold, `revoke` ends the phone (cessationOfOperation)
 * for good. The phone's mdoc follows through the status list. Returns the serials that changed.
 */
export async function changePhone(
  context: IssuerContext,
  phoneId: string,
  action: PhoneAction,
  actor: string,
  why: string,
): Promise<{ status: PhoneStatus; serials: string[] }> {
  return inTransaction(context.db, async (trx) => {
    const phone = await trx.selectFrom('phones').select(['status']).where('id', '=', phoneId).executeTakeFirst();
    if (!phone) throw new IssuerError('ERR_PHONE_NOT_FOUND', 'no such phone');
    const allowed: Record<PhoneAction, PhoneStatus[]> = {
      suspend: ['active'],
      resume: ['suspended'],
      revoke: ['active', 'suspended'],
    };
    if (!allowed[action].includes(phone.status))
      throw new IssuerError('ERR_PHONE_STATE', `a ${phone.status} phone cannot be ${action}d`);
    const next: PhoneStatus = action === 'suspend' ? 'suspended' : action === 'resume' ? 'active' : 'revoked';
    await trx
      .updateTable('phones')
      .set({ status: next, updated_at: isoTime(context.clock()) })
      .where('id', '=', phoneId)
      .execute();
    const rows = await trx
      .selectFrom('certificates')
      .select('serial')
      .where('phone_id', '=', phoneId)
      .where('status', 'in', ['issued', 'suspended'])
      .execute();
    const serials = rows.map((row) => row.serial);
    await appendAudit(trx, context, {
      actor,
      action: `phone.${action}`,
      subjectType: 'phone',
      subjectId: phoneId,
      reason: why,
    });
    const changed =
      action === 'resume'
        ? await resumeInTransaction(trx, context, { serials, actor, why })
        : await revokeInTransaction(trx, context, {
            serials,
            reason: action === 'suspend' ? 'certificateHold' : 'cessationOfOperation',
            actor,
            why,
          });
    // A revoked phone's keys in the remote secure area are destroyed with it.
    if (action === 'revoke') await destroySecureAreaKeys(trx, context, { phoneIds: [phoneId] });
    return { status: next, serials: changed };
  });
}

/**
 * Ends phones for good inside the caller's transaction: each is marked revoked and every certificate
 * still valid on it is revoked with `reason`. Returns the revoked serials.
 */
export async function endPhonesInTransaction(
  trx: Transaction<IssuerSchema>,
  context: IssuerContext,
  options: {
    readonly phoneIds: readonly string[];
    readonly reason: CrlReasonName;
    readonly actor: string;
    readonly why: string;
  },
): Promise<string[]> {
  if (options.phoneIds.length === 0) return [];
  await trx
    .updateTable('phones')
    .set({ status: 'revoked', updated_at: isoTime(context.clock()) })
    .where('id', 'in', options.phoneIds)
    .execute();
  const rows = await trx
    .selectFrom('certificates')
    .select('serial')
    .where('phone_id', 'in', options.phoneIds)
    .where('status', 'in', ['issued', 'suspended'])
    .execute();
  await destroySecureAreaKeys(trx, context, { phoneIds: options.phoneIds });
  return revokeInTransaction(trx, context, {
    serials: rows.map((row) => row.serial),
    reason: options.reason,
    actor: options.actor,
    why: options.why,
  });
}
