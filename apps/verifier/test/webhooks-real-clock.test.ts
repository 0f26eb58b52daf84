import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { describe, expect, it } from 'vitest';

import { ENGINES, testDatabase } from '../../../test-support/databases.js';
import type { VerifierContext } from '../src/context.js';
import { relyingParty } from '../src/relying-parties.js';
import { VERIFIER_MIGRATIONS } from '../src/storage/migrations.js';
import type { VerifierSchema } from '../src/storage/schema.js';
import { WebhookDispatcher } from '../src/webhook-dispatcher.js';
import { enqueueWebhook } from '../src/webhook-outbox.js';
import { cryptoRandom, insertRelyingParty, startReceiver } from './webhooks-support.js';

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
