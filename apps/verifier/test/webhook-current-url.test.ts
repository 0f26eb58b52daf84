import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ENGINES, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import type { VerifierContext } from '../src/context.js';
import { relyingParty } from '../src/relying-parties.js';
import { VERIFIER_MIGRATIONS } from '../src/storage/migrations.js';
import type { VerifierSchema } from '../src/storage/schema.js';
import { enqueueWebhook, WEBHOOK_URL_REMOVED } from '../src/webhook-outbox.js';
import { cryptoRandom, handClock, handDispatcher, insertRelyingParty, startReceiver } from './webhooks-support.js';

/*
 * Found in review: the outbox kept the webhook URL of the moment the event was written, so a relying
 * party that moved its endpoint (or removed it) still had its events sent to the old one. Attempts go
 * to its URL at the time; with none left the event is dropped, with the reason.
 */

const START = '2026-12-05T09:00:00.000Z';

describe.each(ENGINES)('webhooks to the current URL on %s', (engine) => {
  let database: TestDatabase<VerifierSchema>;
  let oldEndpoint: Awaited<ReturnType<typeof startReceiver>>;
  let newEndpoint: Awaited<ReturnType<typeof startReceiver>>;
  let time: ReturnType<typeof handClock>;
  let context: VerifierContext;

  beforeEach(async () => {
    database = await testDatabase<VerifierSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, VERIFIER_MIGRATIONS);
    [oldEndpoint, newEndpoint] = [await startReceiver(), await startReceiver()];
    time = handClock(START);
    context = { db: database.db, clock: time.clock, randomBytes: cryptoRandom };
    await insertRelyingParty(database.db, 'Rshop', oldEndpoint.url);
  });
  afterEach(async () => {
    await oldEndpoint.close();
    await newEndpoint.close();
    await database.dispose();
  });

  const event = async (id: string) =>
    (await enqueueWebhook(context, await relyingParty(context, 'Rshop'), {
      type: 'presentation.finished',
      id,
      status: 'valid',
    }))!;
  const moveWebhook = (url: string | null) =>
    database.db.updateTable('relying_parties').set({ webhook_url: url }).where('id', '=', 'Rshop').execute();
  const row = (id: string) =>
    database.db.selectFrom('webhook_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('sends an event written before the relying party moved its endpoint to the new one', async () => {
    const dispatcher = handDispatcher(context, { engine });
    const eventId = await event('Pmoved1');
    await moveWebhook(newEndpoint.url);
    expect(await dispatcher.runOnce()).toEqual({ delivered: 1, retried: 0, expired: 0 });
    expect(oldEndpoint.receipts).toEqual([]);
    expect(newEndpoint.receipts).toEqual([
      {
        path: '/hook',
        idempotencyKey: eventId,
        body: { type: 'presentation.finished', id: 'Pmoved1', status: 'valid', eventId },
      },
    ]);
    expect(await row(eventId)).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it('drops, unsent and with the reason, an event whose relying party removed its webhook URL', async () => {
    const logs: string[] = [];
    const dispatcher = handDispatcher(context, { engine }, logs);
    const eventId = await event('Premoved1');
    await moveWebhook(null);
    expect(await dispatcher.runOnce()).toEqual({ delivered: 0, retried: 0, expired: 1 });
    expect(oldEndpoint.receipts).toEqual([]);
    const dropped = await row(eventId);
    expect(dropped).toMatchObject({ state: 'expired', last_error: WEBHOOK_URL_REMOVED, lease_token: null });
    expect(dropped.finished_at).not.toBeNull();
    expect(logs.join('')).toContain('webhook dropped: the relying party has no webhook URL any more');
    // Dropped is final: a URL set again later does not bring it back.
    await moveWebhook(newEndpoint.url);
    time.advance(10 * 60_000);
    expect(await dispatcher.runOnce()).toEqual({ delivered: 0, retried: 0, expired: 0 });
    expect(newEndpoint.receipts).toEqual([]);
  });

  // The retry's due time is the injected clock's on SQLite only (PostgreSQL reads the database's).
  if (engine === 'sqlite')
    it('retries an attempt that failed at the old endpoint at the new one, with the same Idempotency-Key', async () => {
      oldEndpoint.answerWith(() => 503);
      const dispatcher = handDispatcher(context, { engine });
      const eventId = await event('Pretried1');
      expect(await dispatcher.runOnce()).toEqual({ delivered: 0, retried: 1, expired: 0 });
      await moveWebhook(newEndpoint.url);
      time.set((await row(eventId)).next_attempt_at);
      expect(await dispatcher.runOnce()).toEqual({ delivered: 1, retried: 0, expired: 0 });
      expect(oldEndpoint.receipts.map((receipt) => receipt.idempotencyKey)).toEqual([eventId]);
      expect(newEndpoint.receipts.map((receipt) => receipt.idempotencyKey)).toEqual([eventId]);
      expect(await row(eventId)).toMatchObject({ state: 'delivered', attempts: 2, last_error: null });
    });
});
