import type { ChallengeLookup, ChallengeStore, LoginChallenge } from '@openmyna/verifier';

import { isoTime, type VerifierContext } from './context.js';

/**
 * Login challenges of one relying party in the database: consumed atomically (an update that only the
 * first caller wins), so a challenge is single use across every instance of the service.
 */
export function databaseChallengeStore(context: VerifierContext, rpId: string): ChallengeStore {
  return {
    async put(challenge: LoginChallenge) {
      await context.db
        .insertInto('login_challenges')
        .values({
          id: challenge.id,
          rp_id: rpId,
          value: challenge.value,
          client_id: challenge.clientId,
          expires_at: isoTime(challenge.expiresAt),
          used_at: null,
        })
        .execute();
    },
    async consume(id: string, now: Date): Promise<ChallengeLookup> {
      const row = await context.db
        .selectFrom('login_challenges')
        .selectAll()
        .where('id', '=', id)
        .where('rp_id', '=', rpId)
        .executeTakeFirst();
      if (!row) return { found: 'unknown' };
      const taken = await context.db
        .updateTable('login_challenges')
        .set({ used_at: isoTime(now) })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (taken.numUpdatedRows !== 1n) return { found: 'used' };
      if (row.expires_at <= isoTime(now)) return { found: 'expired' };
      return {
        found: 'fresh',
        challenge: { id: row.id, value: row.value, clientId: row.client_id, expiresAt: new Date(row.expires_at) },
      };
    },
  };
}
