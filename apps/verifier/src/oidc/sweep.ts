import { isoTime, type VerifierContext } from '../context.js';
import { OIDC_TTL } from './paths.js';

/**
 * How long a sign transaction's row outlives its window: the holder may answer for a presentation's
 * 300 s after taking it, then the result is read with an access token of 600 s.
 */
const SIGN_RESULT_GRACE_SECONDS = 300 + OIDC_TTL.accessToken;

/**
 * Deletes what the provider no longer needs: expired provider records (codes, tokens, interactions,
 * sessions, grants, client-assertion ids), the sealed 4 info of authorizations whose tokens expired, and
 * sign transactions — their signatures and the certificates that name the holder — past their results'
 * time. Run on every authorization's completion and every new sign transaction (on whichever instance),
 * so nothing personal outlives its purpose by more than the next authorization. Returns the rows deleted.
 */
export async function sweepExpiredOidc(context: VerifierContext): Promise<number> {
  const now = context.clock();
  const records = await context.db
    .deleteFrom('oidc_records')
    .where('expires_at', '<', new Date().toISOString())
    .executeTakeFirst();
  const accounts = await context.db
    .deleteFrom('oidc_accounts')
    .where('expires_at', '<', new Date().toISOString())
    .executeTakeFirst();
  const transactions = await context.db
    .deleteFrom('sign_transactions')
    .where('expires_at', '<', isoTime(new Date(now.getTime() - SIGN_RESULT_GRACE_SECONDS * 1000)))
    .executeTakeFirst();
  return [records, accounts, transactions].reduce((sum, result) => sum + Number(result.numDeletedRows), 0);
}
