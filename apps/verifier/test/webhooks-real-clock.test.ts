import { migrate, openDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ENGINES, TEST_PG_URL, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import type { VerifierContext } from '../src/context.js';
import { relyingParty } from '../src/relying-parties.js';
import { VERIFIER_MIGRATIONS } from '../src/storage/migrations.js';
import type { VerifierSchema } from '../src/storage/schema.js';
import { WebhookDispatcher } from '../src/webhook-dispatcher.js';
import { enqueueWebhook } from '../src/webhook-outbox.js';
import { cryptoRandom, insertRelyingParty, startReceiver } from './webhooks-support.js';

const realContext = (db: Kysely<VerifierSchema>): VerifierContext => ({
  db,
  clock: () => new Date(),
  randomBytes: cryptoRandom,
});
const quiet = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Wholly on the machine's clock and Node's timers: the dispatcher polls and waits by itself.
describe.each(ENGINES)('the webhook dispatcher on the real clock, on %s', (engine) => {
  it('polls, retries after its waits, and close() waits for the send in flight', async () => {
    const database = await testDatabase<VerifierSchema>(engine);
    const receiver = await startReceiver();
    try {
      await migrate(database.db as Kysely<unknown>, database.engine, VERIFIER_MIGRATIONS);
      await insertRelyingParty(database.db, 'Rshop', receiver.url);
      const context: VerifierContext = { db: database.db, clock: () => new Date(), randomBytes: cryptoRandom };
      let release: (status: number) => void = () => undefined;
      const held = new Promise<number>((resolve) => (release = resolve));
      const answers: (number | Promise<number>)[] = [503, 500, held];
      receiver.answerWith(() => answers.shift() ?? 500);
      const dispatcher = new WebhookDispatcher({
        context,
        engine,
        logger: pino({ level: 'silent' }),
        pollMs: 20,
        retry: { firstRetryMs: 10, maxRetryMs: 40 },
      });
      // Written before the dispatcher starts, as by another instance: found by polling, not by a wake.
      const eventId = await enqueueWebhook(context, await relyingParty(context, 'Rshop'), {
        type: 'presentation.finished',
        id: 'Preal',
        status: 'valid',
      });
      dispatcher.start();
      await receiver.received(3);
      // The third attempt is in flight: closing waits for it, and it is recorded before close resolves.
      const closing = dispatcher.close();
      release(204);
      await closing;
      const row = await database.db
        .selectFrom('webhook_outbox')
        .selectAll()
        .where('id', '=', eventId!)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state: 'delivered', attempts: 3 });
      expect(receiver.receipts.map((receipt) => receipt.idempotencyKey)).toEqual([eventId, eventId, eventId]);
      expect((await dispatcher.outcomes.get()).values.map(({ labels, value }) => [labels.outcome, value])).toEqual([
        ['retried', 2],
        ['delivered', 1],
      ]);
    } finally {
      await receiver.close();
      await database.dispose();
    }
  });
});

// The waits, the expiry and a lapsing lease on the real clock: on PostgreSQL they are the database's
// (webhooks.test.ts drives them by hand on SQLite).
describe.each(ENGINES)('the webhook outbox on the real clock, on %s', (engine) => {
  let database: TestDatabase<VerifierSchema>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const opened: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    database = await testDatabase<VerifierSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, VERIFIER_MIGRATIONS);
    receiver = await startReceiver();
    await insertRelyingParty(database.db, 'Rshop', receiver.url);
  });
  afterEach(async () => {
    await receiver.close();
    for (const other of opened.splice(0)) await other.close();
    await database.dispose();
  });

  const event = async (id: string) => {
    const context = realContext(database.db);
    return (await enqueueWebhook(context, await relyingParty(context, 'Rshop'), {
      type: 'presentation.finished',
      id,
      status: 'valid',
    }))!;
  };
  const row = (id: string) =>
    database.db.selectFrom('webhook_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** A second instance: its own connection pool on PostgreSQL; on SQLite, the one process's database. */
  const secondInstanceDb = (): Kysely<VerifierSchema> => {
    if (engine === 'sqlite') return database.db;
    const other = openDatabase<VerifierSchema>(TEST_PG_URL, { schema: database.schema! });
    opened.push(other);
    return other.db;
  };

  it('gives up at the expiry, and expires unsent an event nobody could send within it', async () => {
    receiver.answerWith(() => 500);
    const retry = { firstRetryMs: 10, maxRetryMs: 40, expiryMs: 1000 };
    const dispatcher = new WebhookDispatcher({ context: realContext(database.db), engine, logger: quiet, retry });
    const eventId = await event('Pexpiring');
    while ((await row(eventId)).state === 'pending') await dispatcher.runOnce();
    expect(await row(eventId)).toMatchObject({ state: 'expired', last_error: 'HTTP 500' });
    const sent = receiver.receipts.length;
    expect(sent).toBeGreaterThanOrEqual(1);
    // Every instance down past the expiry: the event is expired without an attempt.
    const late = await event('Plate');
    await sleep(1100);
    expect(await dispatcher.runOnce()).toEqual({ delivered: 0, retried: 0, expired: 1 });
    expect(await row(late)).toMatchObject({ state: 'expired', attempts: 0 });
    expect(receiver.receipts).toHaveLength(sent);
  });

  it('resends an event whose sender died mid-send once its lease lapses', async () => {
    const eventId = await event('Pcrash');
    // The first instance sends, then dies before recording it: its fetch never returns.
    const dying = new WebhookDispatcher({
      context: realContext(database.db),
      engine,
      logger: quiet,
      timeoutMs: 50,
      leaseMs: 100,
      scheduler: { schedule: () => () => undefined },
      fetch: ((url: string, init: RequestInit) => {
        void fetch(url, { ...init, signal: null });
        return new Promise<Response>(() => undefined);
      }) as typeof fetch,
    });
    void dying.runOnce();
    await receiver.received(1);
    const survivor = new WebhookDispatcher({
      context: realContext(secondInstanceDb()),
      engine,
      logger: quiet,
      pollMs: 20,
    });
    survivor.start();
    await receiver.received(2);
    await survivor.close();
    expect(receiver.receipts.map((receipt) => receipt.idempotencyKey)).toEqual([eventId, eventId]);
    expect(await row(eventId)).toMatchObject({ state: 'delivered', attempts: 2 });
  });
});
