import type { Engine } from '@openmyna/storage';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';

import { randomId, type VerifierContext } from './context.js';
import {
  claimDueWebhooks,
  currentWebhookUrl,
  DEFAULT_WEBHOOK_SCHEDULE,
  expireOverdueWebhooks,
  markWebhookDelivered,
  markWebhookDropped,
  markWebhookFailed,
  outboxTime,
  retryDelayMs,
  type WebhookRetrySchedule,
  type WebhookRow,
  WEBHOOK_URL_REMOVED,
} from './webhook-outbox.js';

/** Runs a task later; the dispatcher's polls and send timeouts go through it (STYLE.md 9). */
export interface WebhookScheduler {
  /** Runs `task` after `delayMs`; returns what cancels it. */
  schedule(task: () => void, delayMs: number): () => void;
}

/** Node's timers, unreferenced so a pending poll never keeps the process alive. */
export const timerScheduler: WebhookScheduler = {
  schedule(task, delayMs) {
    const timer = setTimeout(task, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Options of {@link WebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  /** The database, the clock and the randomness (lease tokens, jitter). */
  readonly context: VerifierContext;
  readonly engine: Engine;
  readonly logger: Logger;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Default: {@link timerScheduler}. */
  readonly scheduler?: WebhookScheduler;
  /** Retry waits and expiry (default {@link DEFAULT_WEBHOOK_SCHEDULE}). */
  readonly retry?: Partial<WebhookRetrySchedule>;
  /** How often to look for due events besides being woken (default 1 s). */
  readonly pollMs?: number;
  /** How long one attempt may take (default 10 s). */
  readonly timeoutMs?: number;
  /** How long a claim holds an event (default 60 s, at least twice the timeout). */
  readonly leaseMs?: number;
  /** Events claimed at once (default 20). */
  readonly batchSize?: number;
}

/** What one pass did. */
export interface WebhookPass {
  delivered: number;
  retried: number;
  expired: number;
}

type Outcome = keyof WebhookPass | 'lost';

/**
 * Sends relying parties' webhooks from the outbox, in every verifier instance: claims due events with
 * a lease (so two instances never send one at once), POSTs each to the relying party's webhook URL at
 * that moment (an event whose party has none any more is dropped: `expired`, `no webhook URL`) with
 * `Idempotency-Key: <event id>` and a timeout, marks it delivered on a 2xx and otherwise due again after an exponential, jittered wait,
 * until its expiry. Delivery is at least once: a crash between the send and the mark leaves the lease to
 * lapse, and the event is sent again. Redirects are not followed. `start()` polls; `wake()` runs a pass
 * at once (after this instance wrote an event); `close()` stops and waits for the sends in flight.
 * On PostgreSQL every lease, due time and expiry is reckoned on the database's clock, so instances whose
 * clocks differ still agree; on SQLite (one process) on `context.clock`.
 *
 * @example
 * ```ts
 * const webhooks = new WebhookDispatcher({ context, engine: database.engine, logger });
 * webhooks.start();
 * const app = createVerifierApp({ ...options, webhooks });
 * // on shutdown, after the server stopped taking requests:
 * await webhooks.close();
 * ```
 */
export class WebhookDispatcher {
  /** `verifier_webhooks_total` by outcome (`delivered`, `retried`, `expired`), for the app's registry. */
  readonly outcomes = new Counter({
    name: 'verifier_webhooks_total',
    help: 'Webhook attempts by outcome: delivered, retried (failed, due again), expired (given up)',
    labelNames: ['outcome'] as const,
    registers: [],
  });
  private readonly options: WebhookDispatcherOptions;
  private readonly retry: WebhookRetrySchedule;
  private readonly scheduler: WebhookScheduler;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private passes: Promise<unknown> = Promise.resolve();
  private wakeQueued = false;
  private cancelPoll: (() => void) | undefined;
  private closed = false;

  constructor(options: WebhookDispatcherOptions) {
    this.options = options;
    this.retry = { ...DEFAULT_WEBHOOK_SCHEDULE, ...options.retry };
    this.scheduler = options.scheduler ?? timerScheduler;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    // A live sender must never lose its lease mid-send, or a second instance would send alongside.
    this.leaseMs = Math.max(options.leaseMs ?? 60_000, 2 * this.timeoutMs);
  }

  /** Polls for due events every `pollMs`, starting now. */
  start(): void {
    if (this.closed || this.cancelPoll) return;
    const poll = () => {
      this.wake();
      void this.passes.then(() => {
        if (!this.closed) this.cancelPoll = this.scheduler.schedule(poll, this.options.pollMs ?? 1000);
      });
    };
    this.cancelPoll = this.scheduler.schedule(poll, 0);
  }

  /** Runs a pass soon (one at a time; wakes while one is queued count once). Errors go to the log. */
  wake(): void {
    if (this.closed || this.wakeQueued) return;
    this.wakeQueued = true;
    this.passes = this.passes.then(async () => {
      this.wakeQueued = false;
      try {
        await this.pass();
      } catch (error) {
        this.options.logger.error({ err: error }, 'webhook pass failed');
      }
    });
  }

  /** Runs one pass after those queued and returns what it did; a database failure rejects. */
  runOnce(): Promise<WebhookPass> {
    const pass = this.passes.then(() => this.pass());
    this.passes = pass.catch(() => undefined);
    return pass;
  }

  /** Resolves when every pass queued so far has ended. */
  async idle(): Promise<void> {
    await this.passes;
  }

  /** Stops polling and waking, and waits for the sends in flight (each ends by its timeout). */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelPoll?.();
    await this.idle();
  }

  private async pass(): Promise<WebhookPass> {
    const { context, engine, logger } = this.options;
    const tally: WebhookPass = { delivered: 0, retried: 0, expired: 0 };
    const time = () => outboxTime(engine, context.clock);
    for (const row of await expireOverdueWebhooks(context.db, time(), this.retry.expiryMs)) {
      logger.warn({ rp: row.rp_id, event: row.id, attempts: row.attempts }, 'webhook expired undelivered');
      this.count(tally, 'expired');
    }
    const batchSize = this.options.batchSize ?? 20;
    for (;;) {
      const token = randomId(context, 'L');
      const claim = { token, leaseMs: this.leaseMs, limit: batchSize, expiryMs: this.retry.expiryMs };
      const rows = await claimDueWebhooks(context.db, engine, time(), claim);
      // Every attempt ends before the pass does, even when one fails: close() waits for the sends.
      const settled = await Promise.allSettled(rows.map((row) => this.attempt(row, token)));
      for (const result of settled) if (result.status === 'fulfilled') this.count(tally, result.value);
      const failed = settled.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      if (rows.length < batchSize || this.closed) return tally;
    }
  }

  private count(tally: WebhookPass, outcome: Outcome): void {
    if (outcome === 'lost') return;
    tally[outcome] += 1;
    this.outcomes.inc({ outcome });
  }

  /** One attempt at one claimed event, to the relying party's webhook URL now, and what it came to. */
  private async attempt(row: WebhookRow, token: string): Promise<Outcome> {
    const { context, engine, logger } = this.options;
    const url = await currentWebhookUrl(context.db, row.rp_id);
    if (url === undefined) return this.drop(row, token);
    const error = await this.send(row, url);
    const time = outboxTime(engine, context.clock);
    if (error === undefined) return (await markWebhookDelivered(context.db, time, row.id)) ? 'delivered' : 'lost';
    const random = new DataView(context.randomBytes(4).buffer).getUint32(0) / 2 ** 32;
    const retry = { delayMs: retryDelayMs(row.attempts, random, this.retry), expiryMs: this.retry.expiryMs };
    const marked = await markWebhookFailed(context.db, time, { id: row.id, token, error }, retry);
    // Lost: the lease lapsed and another instance holds the event now; it records its own attempt.
    if (!marked) return 'lost';
    const log = { rp: row.rp_id, event: row.id, attempts: row.attempts, error };
    if (marked.state === 'expired') {
      logger.warn(log, 'webhook expired undelivered');
      return 'expired';
    }
    logger.info({ ...log, nextAttemptAt: marked.next_attempt_at }, 'webhook attempt failed; will retry');
    return 'retried';
  }

  /** Gives up an event whose relying party has no webhook URL any more: nowhere to send it. */
  private async drop(row: WebhookRow, token: string): Promise<Outcome> {
    const { context, engine, logger } = this.options;
    const time = outboxTime(engine, context.clock);
    const dropped = await markWebhookDropped(context.db, time, { id: row.id, token, reason: WEBHOOK_URL_REMOVED });
    if (!dropped) return 'lost';
    logger.warn(
      { rp: row.rp_id, event: row.id, attempts: row.attempts, error: WEBHOOK_URL_REMOVED },
      'webhook dropped: the relying party has no webhook URL any more',
    );
    return 'expired';
  }

  /** POSTs the event to `url`; undefined on a 2xx, else why not (never the receiver's own words). */
  private async send(row: WebhookRow, url: string): Promise<string | undefined> {
    const controller = new AbortController();
    const cancel = this.scheduler.schedule(() => controller.abort(), this.timeoutMs);
    try {
      const response = await (this.options.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': row.id },
        body: row.body,
        // A webhook URL is checked when registered; a redirect could lead anywhere, so none is followed.
        redirect: 'manual',
        signal: controller.signal,
      });
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? undefined : `HTTP ${response.status}`;
    } catch {
      return controller.signal.aborted ? 'timeout' : 'network error';
    } finally {
      cancel();
    }
  }
}
