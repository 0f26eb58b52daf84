import { migrate, openDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { TEST_PG_URL, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import type { VerifierContext } from '../src/context.js';
import { relyingParty } from '../src/relying-parties.js';
import { VERIFIER_MIGRATIONS } from '../src/storage/migrations.js';
import type { VerifierSchema } from '../src/storage/schema.js';
import { enqueueWebhook } from '../src/webhook-outbox.js';
import { cryptoRandom, handClock, handDispatcher, insertRelyingParty, startReceiver } from './webhooks-support.js';

/*
 * Regression: the outbox's lease, due time and expiry were compared against each instance's own clock
 * (context.clock()). A second instance whose clock ran ahead saw a live lease as lapsed and sent the event
 * while the first was still sending it, and, a day ahead, expired events nobody had attempted. On
 * PostgreSQL they are now reckoned on the database's clock: the instances' (hand) clocks below are skewed
 * on purpose and decide nothing in the outbox.
 */
describe('webhook outbox with instances whose clocks differ (PostgreSQL)', () => {
  let database: TestDatabase<VerifierSchema>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const opened: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    database = await testDatabase<VerifierSchema>('postgres');
    await migrate(database.db as Kysely<unknown>, database.engine, VERIFIER_MIGRATIONS);
    receiver = await startReceiver();
    await insertRelyingParty(database.db, 'Rshop', receiver.url);
  });
  afterEach(async () => {
    await receiver.close();
    for (const other of opened.splice(0)) await other.close();
    await database.dispose();
  });

  const secondDb = () => {
    const other = openDatabase<VerifierSchema>(TEST_PG_URL, { schema: database.schema! });
    opened.push(other);
    return other.db;
  };

  it('an instance whose clock is 2 minutes ahead must not send an event another instance is still sending', async () => {
    const slow = handClock('2026-12-05T09:00:00.000Z');
    const context: VerifierContext = { db: database.db, clock: slow.clock, randomBytes: cryptoRandom };
    await enqueueWebhook(context, await relyingParty(context, 'Rshop'), {
      type: 'presentation.finished',
      id: 'Pskew',
      status: 'valid',
    });
    // Instance A (correct clock) claims the event and is mid-send (the receiver holds the request open).
    let release!: () => void;
    const held = new Promise<number>((resolve) => (release = () => resolve(204)));
    receiver.answerWith(() => held);
    const a = handDispatcher(context, { engine: 'postgres' });
    const aPass = a.runOnce();
    await receiver.received(1);
    // Instance B, same database, its clock 2 minutes ahead: A's 60 s lease looks lapsed to it.
    const fast = handClock('2026-12-05T09:02:00.000Z');
    const b = handDispatcher({ db: secondDb(), clock: fast.clock, randomBytes: cryptoRandom }, { engine: 'postgres' });
    receiver.answerWith(() => 204);
    await b.runOnce();
    release();
    await aPass;
    // One send at a time: B leaves the event to A, whose lease is live on the database's clock.
    expect(receiver.receipts.length).toBe(1);
  });

  it('an instance whose clock is a day ahead must not expire a fresh event that was never attempted', async () => {
    const now = handClock('2026-12-05T09:00:00.000Z');
    const context: VerifierContext = { db: database.db, clock: now.clock, randomBytes: cryptoRandom };
    const eventId = (await enqueueWebhook(context, await relyingParty(context, 'Rshop'), {
      type: 'presentation.finished',
      id: 'Pfuture',
      status: 'valid',
    }))!;
    const future = handClock('2026-12-06T09:00:01.000Z');
    const skewed = handDispatcher(
      { db: secondDb(), clock: future.clock, randomBytes: cryptoRandom },
      { engine: 'postgres' },
    );
    await skewed.runOnce();
    const row = await database.db
      .selectFrom('webhook_outbox')
      .selectAll()
      .where('id', '=', eventId)
      .executeTakeFirstOrThrow();
    // It was expired unsent, attempts 0, when the instance's clock decided: now it is sent.
    expect(row).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(receiver.receipts.map((receipt) => receipt.idempotencyKey)).toEqual([eventId]);
  });
});
