import { randomBytes } from 'node:crypto';

import { isUniqueViolation } from '@openmyna/storage';

import type { RpDemoDeps } from '../options.js';
import { sealMyNumber } from '../sealing.js';
import { isFinal, poll, type VerifierView } from '../verifier-client.js';

/** The values an account is opened with: the signer's 基本4情報, the My Number, the login subject. */
interface AccountClaims {
  readonly sign: { name: string; address: string; birth_date: string; sex: string };
  readonly myNumber: string;
  readonly subject: string;
}

/**
 * Reads the verifier's result once it is final and opens the account or records the refusal; while
 * it is not, gives the check of the last answer the verifier did not accept, if any. One settlement
 * per application runs at a time.
 */
export function applicationSettler(deps: RpDemoDeps): (id: string) => Promise<string | undefined> {
  const settling = new Map<string, Promise<string | undefined>>();
  return (id) => {
    const running = settling.get(id);
    if (running) return running;
    const work = settleApplication(deps, id).finally(() => settling.delete(id));
    settling.set(id, work);
    return work;
  };
}

async function settleApplication(deps: RpDemoDeps, id: string): Promise<string | undefined> {
  const { db, verifier } = deps;
  const application = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
  if (!application?.presentation_id || application.state !== 'waiting') return;
  const view = await poll(verifier.presentation(application.presentation_id));
  const rejected = view?.lastRejection?.check;
  if (!isFinal(view)) return rejected;
  const claims = accountClaims(view);
  if (view.status === 'completed' && view.result?.status === 'valid' && claims) {
    await openAccount(deps, id, claims, view);
    return;
  }
  // Completed without the values means they were handed over already: another request opened it.
  if (view.status === 'completed' && !view.claims) return;
  await refuseApplication(deps, id, view.result?.decidedBy?.check ?? 'unknown');
}

function accountClaims(view: VerifierView): AccountClaims | undefined {
  const sign = view.claims?.['sign'] as AccountClaims['sign'] | undefined;
  const myNumber = view.claims?.['kenhojo']?.['my_number'] as string | undefined;
  // Per firm, not per request-signing certificate: the same subject the OpenID Provider gives as `sub`.
  const login = view.claims?.['login'];
  const subject = (login?.['party_subject'] ?? login?.['subject']) as string | undefined;
  return sign && myNumber && subject ? { sign, myNumber, subject } : undefined;
}

async function refuseApplication(deps: RpDemoDeps, id: string, refusal: string): Promise<void> {
  await deps.db.updateTable('applications').set({ state: 'refused', refusal }).where('id', '=', id).execute();
}

/** Opens the account at once, unless this phone's login subject already has one. */
async function openAccount(deps: RpDemoDeps, id: string, claims: AccountClaims, view: VerifierView): Promise<void> {
  const { db, clock } = deps;
  const { sign, myNumber, subject } = claims;
  const existing = await db
    .selectFrom('accounts')
    .select('account_no')
    .where('login_subject', '=', subject)
    .executeTakeFirst();
  if (existing) return refuseApplication(deps, id, 'account.exists');
  const accountNo = `${clock().getFullYear()}-${randomBytes(4).readUInt32BE().toString().padStart(10, '0')}`;
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('accounts')
        .values({
          account_no: accountNo,
          application_id: id,
          name: sign.name,
          address: sign.address,
          birth_date: sign.birth_date,
          sex: sign.sex,
          my_number_sealed: sealMyNumber(deps.sealingKey, myNumber, accountNo),
          verification: JSON.stringify(view.result?.records ?? []),
          opened_at: clock().toISOString(),
          login_subject: subject,
        })
        .execute();
      await trx
        .updateTable('applications')
        .set({ state: 'opened', account_no: accountNo })
        .where('id', '=', id)
        .execute();
    });
  } catch (error) {
    // The same phone's second opening racing this one: that one opened the account.
    if (!isUniqueViolation(error)) throw error;
    await refuseApplication(deps, id, 'account.exists');
  }
}
