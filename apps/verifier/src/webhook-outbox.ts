import type { Engine } from '@openmyna/storage';
import type { Kysely, Selectable } from 'kysely';

import { isoTime, randomId, type VerifierContext } from './context.js';
import type { RelyingParty } from './relying-parties.js';
import type { VerifierSchema, WebhookOutboxTable, WebhookState } from './storage/schema.js';

/** What a relying party's webhook is told: a presentation (or in-person session) ended. Never a value. */
export interface WebhookEvent {
  readonly type: 'presentation.finished';
  /** The presentation's or in-person session's id. */
  readonly id: string;
  /** The result's status (`valid`, `status-unknown`, `invalid`). */
  readonly status: string;
}

/** An outbox row as the dispatcher reads it. */
export type WebhookRow = Selectable<WebhookOutboxTable>;

/**
 * Writes `event` to the outbox for `party`'s webhook, in the caller's transaction (`context.db` may be
 * one), so the event exists exactly when the result it announces does. Nothing for a party without a
 * webhook. Returns the event id, which the body carries as `eventId` and every attempt as
 * `Idempotency-Key`.
 *
 * @example
 * ```ts
 * await inTransaction(context.db, async (db) => {
 *   await db.updateTable('presentations').set({ status: 'completed' }).where('id', '=', id).execute();
 *   await enqueueWebhook({ ...context, db }, party, { type: 'presentation.finished', id, status: 'valid' });
 * });
 * ```
 */
export async function enqueueWebhook(
  context: VerifierContext,
  party: RelyingParty,
  event: WebhookEvent,
): Promise<string | undefined> {
  if (!party.webhookUrl) return undefined;
  const eventId = randomId(context, 'E');
  const now = isoTime(context.clock());
  await context.db
    .insertInto('webhook_outbox')
    .values({
      id: eventId,
      rp_id: party.id,
      subject_id: event.id,
      url: party.webhookUrl,
      body: JSON.stringify({ type: event.type, id: event.id, status: event.status, eventId }),
      state: 'pending',
      created_at: now,
      next_attempt_at: now,
    })
    .execute();
  return eventId;
}

/** One claim of due events: when, for how long, by which token, and the oldest creation still sent. */
export interface WebhookClaim {
  readonly now: Date;
  readonly leaseUntil: Date;
  readonly token: string;
  readonly limit: number;
  /** Events created at or before this are past their expiry and no longer sent. */
  readonly expiredAt: Date;
}

/**
 * Claims up to `limit` due events in one statement: pending, due, unexpired, and not leased by a live
 * claim. Each is leased to `token` until `leaseUntil` and its attempt counted. Two instances never hold
 * the same event: on PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED` and the outer condition is
 * evaluated again on the locked row; SQLite runs one writer at a time. A lease that lapses (its
 * holder died mid-send) makes the event due again.
 */
export async function claimDueWebhooks(
  db: Kysely<VerifierSchema>,
  engine: Engine,
  claim: WebhookClaim,
): Promise<WebhookRow[]> {
  const now = isoTime(claim.now);
  const expiredAt = isoTime(claim.expiredAt);
  return db
    .updateTable('webhook_outbox')
    .set((eb) => ({
      lease_token: claim.token,
      lease_until: isoTime(claim.leaseUntil),
      last_attempt_at: now,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', (eb) => {
      const due = eb
        .selectFrom('webhook_outbox')
        .select('id')
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where('created_at', '>', expiredAt)
        .where((inner) => inner.or([inner('lease_until', 'is', null), inner('lease_until', '<=', now)]))
        .orderBy('next_attempt_at')
        .limit(claim.limit);
      return engine === 'postgres' ? due.forUpdate().skipLocked() : due;
    })
    .where('state', '=', 'pending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
    .returningAll()
    .execute();
}

/**
 * Expires every pending event created at or before `expiredAt` that nobody holds: it is not sent again.
 * Returns those expired, for the log and the metrics.
 */
export async function expireOverdueWebhooks(
  db: Kysely<VerifierSchema>,
  now: Date,
  expiredAt: Date,
): Promise<Pick<WebhookRow, 'id' | 'rp_id' | 'attempts'>[]> {
  const at = isoTime(now);
  return db
    .updateTable('webhook_outbox')
    .set({ state: 'expired', finished_at: at, lease_token: null, lease_until: null })
    .where('state', '=', 'pending')
    .where('created_at', '<=', isoTime(expiredAt))
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
    .returning(['id', 'rp_id', 'attempts'])
    .execute();
}

/**
 * Records a 2xx. Whoever holds the lease now: the receiver has the event, so it is delivered even if
 * this sender's lease lapsed meanwhile (another attempt in flight is a duplicate the key covers).
 */
export async function markWebhookDelivered(db: Kysely<VerifierSchema>, id: string, now: Date): Promise<boolean> {
  const updated = await db
    .updateTable('webhook_outbox')
    .set({ state: 'delivered', finished_at: isoTime(now), lease_token: null, lease_until: null, last_error: null })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return updated.numUpdatedRows === 1n;
}

/**
 * Records a failed attempt, only while `token` still holds the lease: the event is due again at `next`
 * (`pending`), or given up (`expired`, `next` ignored).
 */
export async function markWebhookFailed(
  db: Kysely<VerifierSchema>,
  attempt: { readonly id: string; readonly token: string; readonly error: string; readonly now: Date },
  outcome: { readonly state: Exclude<WebhookState, 'delivered'>; readonly next: Date },
): Promise<boolean> {
  const updated = await db
    .updateTable('webhook_outbox')
    .set({
      state: outcome.state,
      next_attempt_at: isoTime(outcome.next),
      last_error: attempt.error,
      lease_token: null,
      lease_until: null,
      finished_at: outcome.state === 'expired' ? isoTime(attempt.now) : null,
    })
    .where('id', '=', attempt.id)
    .where('state', '=', 'pending')
    .where('lease_token', '=', attempt.token)
    .executeTakeFirst();
  return updated.numUpdatedRows === 1n;
}

/** When to try again and when to give up (defaults: 1 s, 2 s, 4 s … capped at 5 min, for 24 h). */
export interface WebhookRetrySchedule {
  readonly firstRetryMs: number;
  readonly maxRetryMs: number;
  /** Each wait is lengthened by up to this fraction, at random, so retries of many events spread out. */
  readonly jitter: number;
  /** How long after it was written an event is still sent. */
  readonly expiryMs: number;
}

export const DEFAULT_WEBHOOK_SCHEDULE: WebhookRetrySchedule = {
  firstRetryMs: 1000,
  maxRetryMs: 5 * 60 * 1000,
  jitter: 0.2,
  expiryMs: 24 * 60 * 60 * 1000,
};

/**
 * How long to wait after the `attempts`-th failed attempt: `firstRetryMs · 2^(attempts−1)`, capped at
 * `maxRetryMs`, lengthened by `jitter · random` (`random` in [0, 1)).
 */
export function retryDelayMs(attempts: number, random: number, schedule: WebhookRetrySchedule): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 40);
  const base = Math.min(schedule.firstRetryMs * 2 ** exponent, schedule.maxRetryMs);
  return Math.round(base * (1 + schedule.jitter * random));
}

/** Events of one relying party, newest first, and how many are in each state: for the administrator. */
export async function webhooksOf(
  db: Kysely<VerifierSchema>,
  rpId: string,
  limit: number,
): Promise<{ counts: Record<WebhookState, number>; events: WebhookRow[] }> {
  const grouped = await db
    .selectFrom('webhook_outbox')
    .select(['state', (eb) => eb.fn.countAll<string | number>().as('count')])
    .where('rp_id', '=', rpId)
    .groupBy('state')
    .execute();
  const counts: Record<WebhookState, number> = { pending: 0, delivered: 0, expired: 0 };
  for (const row of grouped) counts[row.state] = Number(row.count);
  const events = await db
    .selectFrom('webhook_outbox')
    .selectAll()
    .where('rp_id', '=', rpId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return { counts, events };
}
