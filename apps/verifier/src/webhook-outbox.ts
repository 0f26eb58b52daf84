import type { Engine } from '@openmyna/storage';
import { PostgresAdapter, sql, type Expression, type Kysely, type Selectable } from 'kysely';

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
  const now = outboxTime(engineOf(context.db), context.clock)();
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

/**
 * "Now", moved by `offsetMs`, as the ISO 8601 text the outbox stores (`2026-12-05T09:00:00.000Z`: fixed
 * width, so text order is time order). On PostgreSQL it is the database's clock (the statement's start),
 * so instances whose own clocks differ agree on leases, due times and expiry; on SQLite, one process's
 * database, it is the instance's clock, read once.
 */
export type OutboxTime = (offsetMs?: number) => Expression<string>;

/** The outbox's clock for one statement on `engine` (see {@link OutboxTime}). */
export function outboxTime(engine: Engine, clock: () => Date): OutboxTime {
  if (engine === 'postgres')
    return (offsetMs = 0) =>
      sql<string>`to_char((statement_timestamp() + ${offsetMs}::float8 * interval '1 millisecond') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const now = clock().getTime();
  return (offsetMs = 0) => sql.val(isoTime(new Date(now + offsetMs)));
}

/** The engine behind `db` (a transaction's too), for the writers that are not handed it. */
export function engineOf(db: Kysely<VerifierSchema>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** One claim of due events: by which token, for how long, how many, and how old an event may be. */
export interface WebhookClaim {
  readonly token: string;
  readonly leaseMs: number;
  readonly limit: number;
  /** Events written this long ago or longer are past their expiry and no longer sent. */
  readonly expiryMs: number;
}

/**
 * Claims up to `limit` due events in one statement: pending, due, unexpired, and not leased by a live
 * claim. Each is leased to `token` for `leaseMs` and its attempt counted. Two instances never hold
 * the same event: on PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED`, the outer condition is
 * evaluated again on the locked row, and every time is the database's; SQLite runs one writer at a time.
 * A lease that lapses (its holder died mid-send) makes the event due again.
 */
export async function claimDueWebhooks(
  db: Kysely<VerifierSchema>,
  engine: Engine,
  time: OutboxTime,
  claim: WebhookClaim,
): Promise<WebhookRow[]> {
  return db
    .updateTable('webhook_outbox')
    .set((eb) => ({
      lease_token: claim.token,
      lease_until: time(claim.leaseMs),
      last_attempt_at: time(),
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', (eb) => {
      const due = eb
        .selectFrom('webhook_outbox')
        .select('id')
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', time())
        .where('created_at', '>', time(-claim.expiryMs))
        .where((inner) => inner.or([inner('lease_until', 'is', null), inner('lease_until', '<=', time())]))
        .orderBy('next_attempt_at')
        .limit(claim.limit);
      return engine === 'postgres' ? due.forUpdate().skipLocked() : due;
    })
    .where('state', '=', 'pending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', time())]))
    .returningAll()
    .execute();
}

/**
 * Expires every pending event written `expiryMs` ago or longer that nobody holds: it is not sent again.
 * Returns those expired, for the log and the metrics.
 */
export async function expireOverdueWebhooks(
  db: Kysely<VerifierSchema>,
  time: OutboxTime,
  expiryMs: number,
): Promise<Pick<WebhookRow, 'id' | 'rp_id' | 'attempts'>[]> {
  return db
    .updateTable('webhook_outbox')
    .set({ state: 'expired', finished_at: time(), lease_token: null, lease_until: null })
    .where('state', '=', 'pending')
    .where('created_at', '<=', time(-expiryMs))
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', time())]))
    .returning(['id', 'rp_id', 'attempts'])
    .execute();
}

/**
 * Records a 2xx. Whoever holds the lease now: the receiver has the event, so it is delivered even if
 * this sender's lease lapsed meanwhile (another attempt in flight is a duplicate the key covers).
 */
export async function markWebhookDelivered(db: Kysely<VerifierSchema>, time: OutboxTime, id: string): Promise<boolean> {
  const updated = await db
    .updateTable('webhook_outbox')
    .set({ state: 'delivered', finished_at: time(), lease_token: null, lease_until: null, last_error: null })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return updated.numUpdatedRows === 1n;
}

/**
 * The relying party's webhook URL now, which an attempt is sent to (not the one when the event was
 * written: a relying party that moved its endpoint gets its events there). Undefined when it has none
 * any more, or is gone.
 */
export async function currentWebhookUrl(db: Kysely<VerifierSchema>, rpId: string): Promise<string | undefined> {
  const party = await db.selectFrom('relying_parties').select('webhook_url').where('id', '=', rpId).executeTakeFirst();
  return party?.webhook_url || undefined;
}

/** Why an event was dropped unsent (its `last_error`): the relying party has no webhook URL any more. */
export const WEBHOOK_URL_REMOVED = 'no webhook URL';

/**
 * Gives up a claimed event without sending it (`expired`, with `reason` as its last error), only while
 * `token` still holds the lease. Returns whether it did (false: the lease was lost).
 */
export async function markWebhookDropped(
  db: Kysely<VerifierSchema>,
  time: OutboxTime,
  attempt: { readonly id: string; readonly token: string; readonly reason: string },
): Promise<boolean> {
  const updated = await db
    .updateTable('webhook_outbox')
    .set({ state: 'expired', finished_at: time(), last_error: attempt.reason, lease_token: null, lease_until: null })
    .where('id', '=', attempt.id)
    .where('state', '=', 'pending')
    .where('lease_token', '=', attempt.token)
    .executeTakeFirst();
  return updated.numUpdatedRows === 1n;
}

/**
 * Records a failed attempt, only while `token` still holds the lease: the event is due again `delayMs`
 * from now (`pending`), or given up (`expired`) when that would be past its expiry. Returns the state
 * and the next due time, or undefined when the lease was lost.
 */
export async function markWebhookFailed(
  db: Kysely<VerifierSchema>,
  time: OutboxTime,
  attempt: { readonly id: string; readonly token: string; readonly error: string },
  retry: { readonly delayMs: number; readonly expiryMs: number },
): Promise<Pick<WebhookRow, 'state' | 'next_attempt_at'> | undefined> {
  // next ≥ created_at + expiry, i.e. created_at ≤ now + delay − expiry: past the expiry by the next try.
  const late = sql<boolean>`${sql.ref('created_at')} <= ${time(retry.delayMs - retry.expiryMs)}`;
  return db
    .updateTable('webhook_outbox')
    .set({
      state: sql<WebhookState>`case when ${late} then 'expired' else 'pending' end`,
      next_attempt_at: time(retry.delayMs),
      last_error: attempt.error,
      lease_token: null,
      lease_until: null,
      finished_at: sql<string | null>`case when ${late} then ${time()} else null end`,
    })
    .where('id', '=', attempt.id)
    .where('state', '=', 'pending')
    .where('lease_token', '=', attempt.token)
    .returning(['state', 'next_attempt_at'])
    .executeTakeFirst();
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
