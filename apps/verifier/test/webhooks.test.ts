import { completeMyNumber } from '@openmyna/core';
import { migrate, openDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ENGINES, TEST_PG_URL, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import { acceptAnswer } from '../src/answer-presentation.js';
import type { VerifierContext } from '../src/context.js';
import { VERIFIER_MIGRATIONS } from '../src/storage/migrations.js';
import type { VerifierSchema } from '../src/storage/schema.js';
import { relyingParty } from '../src/relying-parties.js';
import type { WebhookDispatcher } from '../src/webhook-dispatcher.js';
import { DEFAULT_WEBHOOK_SCHEDULE, enqueueWebhook, retryDelayMs } from '../src/webhook-outbox.js';
import { cryptoRandom, handClock, handDispatcher, insertRelyingParty, startReceiver } from './webhooks-support.js';

const START = '2026-12-05T09:00:00.000Z';

describe('retryDelayMs', () => {
  it('doubles from 1 s to the 5 min cap, lengthened by at most the jitter', () => {
    const waits = Array.from({ length: 12 }, (_, index) => retryDelayMs(index + 1, 0, DEFAULT_WEBHOOK_SCHEDULE));
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300].map((seconds) => seconds * 1000));
    expect(retryDelayMs(3, 0.999_999, DEFAULT_WEBHOOK_SCHEDULE)).toBe(4800);
    expect(retryDelayMs(10_000, 0.5, DEFAULT_WEBHOOK_SCHEDULE)).toBe(330_000);
  });
});

/*
 * The outbox's times come from the database on PostgreSQL and from the instance's clock on SQLite, so the
 * tests that move time by hand (waits, expiry, a lease lapsing) run on SQLite on the injected clock; their
 * PostgreSQL counterparts run on the real clock (webhooks-real-clock.test.ts, webhook-clock-skew.test.ts).
 * Those below both engines decide nothing by the clock.
 */
describe.each(ENGINES)('webhooks through the outbox on %s', (engine) => {
  let database: TestDatabase<VerifierSchema>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let time: ReturnType<typeof handClock>;
  let context: VerifierContext;
  const opened: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    database = await testDatabase<VerifierSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, VERIFIER_MIGRATIONS);
    receiver = await startReceiver();
    time = handClock(START);
    context = { db: database.db, clock: time.clock, randomBytes: cryptoRandom };
    await insertRelyingParty(database.db, 'Rshop', receiver.url);
  });
  afterEach(async () => {
    await receiver.close();
    for (const other of opened.splice(0)) await other.close();
    await database.dispose();
  });

  // Moves the injected clock to decide waits, expiry and leases: declared on SQLite only (see above;
  // webhooks-real-clock.test.ts covers the same on PostgreSQL, whose outbox reads the database's clock).
  const onInjectedClock = (name: string, body: () => Promise<void>, timeout?: number): void => {
    if (engine === 'sqlite') it(name, body, timeout);
  };
  const event = async (id: string) =>
    (await enqueueWebhook(context, await relyingParty(context, 'Rshop'), {
      type: 'presentation.finished',
      id,
      status: 'valid',
    }))!;
  const row = (id: string) =>
    database.db.selectFrom('webhook_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const outcomes = async (dispatcher: WebhookDispatcher): Promise<Record<string, number>> =>
    Object.fromEntries(
      (await dispatcher.outcomes.get()).values.map((value): [string, number] => [
        String(value.labels.outcome),
        value.value,
      ]),
    );

  it('delivers once on a 2xx, the event id in the body and as Idempotency-Key', async () => {
    const dispatcher = handDispatcher(context, { engine });
    const eventId = await event('Ppresentation1');
    expect(await dispatcher.runOnce()).toEqual({ delivered: 1, retried: 0, expired: 0 });
    expect(receiver.receipts).toEqual([
      {
        path: '/hook',
        idempotencyKey: eventId,
        body: { type: 'presentation.finished', id: 'Ppresentation1', status: 'valid', eventId },
      },
    ]);
    const delivered = await row(eventId);
    expect(delivered).toMatchObject({ state: 'delivered', attempts: 1, lease_token: null });
    // On SQLite the injected clock's time; on PostgreSQL the database's, in the same ISO 8601 form.
    if (engine === 'sqlite') expect(delivered.finished_at).toBe(START);
    else expect(delivered.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // Delivered is final: later passes send nothing.
    time.advance(10 * 60_000);
    expect(await dispatcher.runOnce()).toEqual({ delivered: 0, retried: 0, expired: 0 });
    expect(receiver.receipts).toHaveLength(1);
    expect(await outcomes(dispatcher)).toEqual({ delivered: 1 });
  });

  onInjectedClock(
    'retries a receiver that fails 3 times (a redirect not followed): 4 requests with one key, after 1 s, 2 s, 4 s',
    async () => {
      const statuses = [500, 302, 503, 200];
      receiver.answerWith(() => statuses.shift() ?? 200);
      const dispatcher = handDispatcher(context, { engine });
      const eventId = await event('Ppresentation2');
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect(await dispatcher.runOnce()).toEqual({ delivered: 0, retried: 1, expired: 0 });
        const { next_attempt_at: next, last_error: error } = await row(eventId);
        expect(error).toMatch(/^HTTP (500|302|503)$/);
        waits.push(Date.parse(next) - time.clock().getTime());
        // Not due a millisecond early.
        time.set(new Date(Date.parse(next) - 1));
        expect(await dispatcher.runOnce()).toEqual({ delivered: 0, retried: 0, expired: 0 });
        time.set(next);
      }
      expect(await dispatcher.runOnce()).toEqual({ delivered: 1, retried: 0, expired: 0 });
      expect(receiver.receipts.map((receipt) => receipt.idempotencyKey)).toEqual([eventId, eventId, eventId, eventId]);
      expect(receiver.receipts.every((receipt) => receipt.path === '/hook')).toBe(true);
      [1000, 2000, 4000].forEach((base, index) => {
        expect(waits[index]).toBeGreaterThanOrEqual(base);
        expect(waits[index]).toBeLessThanOrEqual(base * 1.2);
      });
      expect(await row(eventId)).toMatchObject({ state: 'delivered', attempts: 4, last_error: null });
      expect(await outcomes(dispatcher)).toEqual({ delivered: 1, retried: 3 });
    },
  );

  it('times an attempt out through the injected scheduler, and retries it', async () => {
    let release: (status: number) => void = () => undefined;
    receiver.answerWith(() => new Promise<number>((resolve) => (release = resolve)));
    const timers: { task: () => void; delayMs: number }[] = [];
    const dispatcher = handDispatcher(context, {
      engine,
      timeoutMs: 5000,
      scheduler: { schedule: (task, delayMs) => (timers.push({ task, delayMs }), () => undefined) },
    });
    const eventId = await event('Pslow');
    const pass = dispatcher.runOnce();
    await receiver.received(1);
    expect(timers.map((timer) => timer.delayMs)).toEqual([5000]);
    timers[0]!.task();
    expect(await pass).toEqual({ delivered: 0, retried: 1, expired: 0 });
    expect(await row(eventId)).toMatchObject({ state: 'pending', attempts: 1, last_error: 'timeout' });
    release(204);
  });

  onInjectedClock('gives up at the expiry, logs it, and never sends an event older than that', async () => {
    receiver.answerWith(() => 500);
    const logs: string[] = [];
    const dispatcher = handDispatcher(context, { engine, retry: { expiryMs: 60_000 } }, logs);
    const eventId = await event('Ppresentation3');
    for (let pass = 0; (await row(eventId)).state === 'pending'; pass++) {
      expect(pass).toBeLessThan(10);
      await dispatcher.runOnce();
      time.set((await row(eventId)).next_attempt_at);
    }
    // Sent at about 0, 1, 3, 7, 15 and 31 s; the next wait would end past the minute.
    expect(receiver.receipts).toHaveLength(6);
    expect(await row(eventId)).toMatchObject({ state: 'expired', attempts: 6, last_error: 'HTTP 500' });
    // An event nobody could send within its expiry (every instance down) is expired unsent.
    const late = await event('Ppresentation4');
    time.advance(60_001);
    expect(await dispatcher.runOnce()).toEqual({ delivered: 0, retried: 0, expired: 1 });
    expect(await row(late)).toMatchObject({ state: 'expired', attempts: 0 });
    expect(receiver.receipts).toHaveLength(6);
    expect(await outcomes(dispatcher)).toEqual({ retried: 5, expired: 2 });
    const expiredLogs = logs.filter((line) => line.includes('webhook expired undelivered'));
    expect(expiredLogs.map((line) => (JSON.parse(line) as { event: string }).event)).toEqual([eventId, late]);
  });

  it('close() waits for the sends in flight even when an attempt of the pass fails', async () => {
    let release: (status: number) => void = () => undefined;
    const held = new Promise<number>((resolve) => (release = resolve));
    receiver.answerWith((receipt) => (receipt.body['id'] === 'Pfailing' ? 500 : held));
    // The failed attempt's jitter draw throws, as a database failure while marking it would: its
    // attempt, and so the pass, reject while the other event's send is still in flight.
    let thrown: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => (thrown = resolve));
    const randomBytes = (length: number) => {
      if (length !== 4) return cryptoRandom(length);
      thrown();
      throw new Error('randomness unavailable');
    };
    const dispatcher = handDispatcher({ ...context, randomBytes }, { engine });
    await event('Pfailing');
    const heldId = await event('Pheld');
    const pass = dispatcher.runOnce();
    await receiver.received(2);
    await failed;
    const closing = dispatcher.close().then(async () => (await row(heldId)).state);
    await new Promise((resolve) => setImmediate(resolve));
    release(204);
    // Closed only once the held send ended and was recorded.
    expect(await closing).toBe('delivered');
    await expect(pass).rejects.toThrow('randomness unavailable');
  });

  it('writes the event in the transaction that ends the presentation: a failure there leaves no event', async () => {
    const party = await relyingParty(context, 'Rshop');
    for (const id of ['Pok', 'Pfails'])
      await database.db
        .insertInto('presentations')
        .values({
          id,
          rp_id: 'Rshop',
          nonce: `nonce-${id}`,
          state: `state-${id}`,
          request: '{}',
          request_jwt: 'jwt',
          decryption_key_sealed: null,
          status: 'pending',
          created_at: START,
          expires_at: '2026-12-05T09:05:00.000Z',
          responded_at: null,
          result: null,
          claims_sealed: null,
          claims_fetched_at: null,
          last_rejection: null,
        })
        .execute();
    const services = { sealingKey: new Uint8Array(32) } as Parameters<typeof acceptAnswer>[0]['services'];
    const answered = (id: string) => ({ context, services, party, id, now: time.clock() });
    const valid = { status: 'valid' as const, checks: [], records: [] };
    expect(await acceptAnswer(answered('Pok'), valid, undefined)).toBe('completed');
    // The audit entry, written after the event, is refused (it would carry a My Number): all is undone.
    const refused = { ...valid, decidedBy: { check: completeMyNumber('12345678901') } };
    await expect(acceptAnswer(answered('Pfails'), refused, undefined)).rejects.toMatchObject({
      code: 'ERR_AUDIT_SECRET',
    });
    const rows = await database.db.selectFrom('webhook_outbox').select(['subject_id', 'body']).execute();
    expect(rows.map((outbox) => outbox.subject_id)).toEqual(['Pok']);
    expect(JSON.parse(rows[0]!.body)).toMatchObject({ id: 'Pok', status: 'valid' });
    const statuses = await database.db.selectFrom('presentations').select(['id', 'status']).orderBy('id').execute();
    expect(statuses).toEqual([
      { id: 'Pfails', status: 'pending' },
      { id: 'Pok', status: 'completed' },
    ]);
  });

  /** A second instance: its own connection pool on PostgreSQL; on SQLite, the one process's database. */
  function secondInstanceDb(): Kysely<VerifierSchema> {
    if (engine === 'sqlite') return database.db;
    const other = openDatabase<VerifierSchema>(TEST_PG_URL, { schema: database.schema! });
    opened.push(other);
    return other.db;
  }

  it('two dispatchers on one database never send an event twice (receipts counted)', async () => {
    const ids = [];
    for (let index = 0; index < 40; index++) ids.push(await event(`Pmany${index}`));
    const first = handDispatcher(context, { engine, batchSize: 3 });
    const second = handDispatcher({ ...context, db: secondInstanceDb() }, { engine, batchSize: 3 });
    const passes = await Promise.all([first.runOnce(), second.runOnce(), first.runOnce(), second.runOnce()]);
    expect(passes.reduce((sum, pass) => sum + pass.delivered, 0)).toBe(40);
    const counts = new Map<string, number>();
    for (const receipt of receiver.receipts)
      counts.set(receipt.idempotencyKey, (counts.get(receipt.idempotencyKey) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
  });

  onInjectedClock('resends an event whose sender died mid-send once its lease lapses', async () => {
    const eventId = await event('Pcrash');
    // The first instance sends, then dies before recording it: its fetch never returns.
    const dying = handDispatcher(context, {
      engine,
      fetch: ((url: string, init: RequestInit) => {
        void fetch(url, { ...init, signal: null });
        return new Promise<Response>(() => undefined);
      }) as typeof fetch,
    });
    void dying.runOnce();
    await receiver.received(1);
    const survivor = handDispatcher({ ...context, db: secondInstanceDb() }, { engine });
    // While the lease holds, the other instance leaves the event alone.
    expect(await survivor.runOnce()).toEqual({ delivered: 0, retried: 0, expired: 0 });
    time.advance(60_000);
    expect(await survivor.runOnce()).toEqual({ delivered: 1, retried: 0, expired: 0 });
    expect(receiver.receipts.map((receipt) => receipt.idempotencyKey)).toEqual([eventId, eventId]);
    expect(await row(eventId)).toMatchObject({ state: 'delivered', attempts: 2 });
  });
});
