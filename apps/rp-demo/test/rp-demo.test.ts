import { migrate } from '@openmyna/storage';
import { containsMyNumberToken } from '@openmyna/core';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import { registryPerson } from '../../../test-support/issuer-fixtures.js';
import { PHONE_PINS, provisionedNodeWallet, walletWorld } from '../../../test-support/wallet-fixtures.js';
import { createRpDemoApp, RP_DEMO_MIGRATIONS, unsealMyNumberForDisplay, type RpDemoSchema } from '../src/index.js';

const SEED = 'rp-demo';

describe.each(ENGINES)('the securities firm opens an account with the phone alone, on %s', (engine) => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let database: TestDatabase<RpDemoSchema>;
  let app: ReturnType<typeof createRpDemoApp>;
  let phone: Awaited<ReturnType<typeof provisionedNodeWallet>>;
  const sealingKey = new Uint8Array(32).fill(3);
  const person = registryPerson(SEED, 3).input;

  beforeAll(async () => {
    world = await walletWorld(SEED, [3]);
    database = await testDatabase<RpDemoSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, RP_DEMO_MIGRATIONS);
    app = createRpDemoApp({
      db: database.db,
      verifier: { url: world.verifier.base, apiKey: world.verifier.keys.securities.apiKey },
      walletUrl: 'http://127.0.0.1:8082',
      sealingKey,
      clock: () => new Date(),
    });
    phone = await provisionedNodeWallet(world);
  }, 120_000);
  afterAll(async () => {
    await database?.dispose();
    await world?.dispose();
  });

  /** The person fills the form and chooses 「スマホで読み取る」; returns the application and the request link. */
  async function applyUntilTheQr(): Promise<{ path: string; link: string }> {
    const form = new URLSearchParams({ occupation: '会社員', purpose: '資産運用', experience: 'なし' });
    const posted = await app.request('/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(posted.status).toBe(303);
    const path = new URL(posted.headers.get('location')!, 'http://rp.test/apply').pathname;
    expect(await (await app.request(path)).text()).toContain('マイナンバーの提出方法');
    const scan = await (await app.request(`${path}/smartphone`, { method: 'POST' })).text();
    expect(scan).toContain('<svg');
    const link = /data-link="([^"]+)"/.exec(scan)![1]!.replace(/&amp;/g, '&');
    expect(scan).toContain(`http://127.0.0.1:8082/?client_id=`);
    return { path, link };
  }
  const status = async (path: string) =>
    ((await (await app.request(`${path}/status`)).json()) as { state: string }).state;

  it('runs the Digital Agency’s case: form, 「スマホで読み取る」, the wallet signs, 「認証完了」 with the account', async () => {
    expect(await (await app.request('/')).text()).toContain('証券総合口座の開設');
    const { path, link } = await applyUntilTheQr();
    expect(await status(path)).toBe('waiting');
    const pending = await phone.wallet.openRequest(link);
    expect(pending.view.requester.name).toBe('securities 株式会社');
    expect(pending.view.document?.title).toContain('開設申込書');
    expect(new TextDecoder().decode(pending.view.document?.bytes)).toContain('ご職業 会社員');
    await phone.wallet.approve(pending, { signingPassword: PHONE_PINS.signing, kenhojoPin: PHONE_PINS.kenhojo });
    expect(await status(path)).toBe('opened');
    const result = await (await app.request(`${path}/result`)).text();
    expect(result).toContain('認証完了');
    expect(result).toContain(person.basicFourInfo.name);
    expect(result).toContain(`********${person.myNumber.slice(-4)}`);
    expect(result).not.toContain(person.myNumber);
    expect(result).toContain('jpki-signature');
    // What the firm keeps: the 4 info, the My Number sealed, the verification record.
    const account = await database.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
    expect(account.name).toBe(person.basicFourInfo.name);
    expect(containsMyNumberToken(Buffer.from(account.my_number_sealed).toString('latin1'))).toBe(false);
    expect(unsealMyNumberForDisplay(sealingKey, account)).toBe(person.myNumber);
    expect(containsMyNumberToken(account.verification)).toBe(false);
  });

  it('tells the person when the phone cancelled, and opens nothing', async () => {
    const { path, link } = await applyUntilTheQr();
    await phone.wallet.decline(await phone.wallet.openRequest(link));
    expect(await status(path)).toBe('refused');
    const result = await (await app.request(`${path}/result`)).text();
    expect(result).toContain('キャンセルされました');
    expect(await database.db.selectFrom('accounts').select('account_no').execute()).toHaveLength(1);
  });

  it('answers an unknown application with 404, and ignores unknown form values', async () => {
    expect((await app.request('/apply/nope')).status).toBe(404);
    expect((await app.request('/apply/nope/status')).status).toBe(404);
    const posted = await app.request('/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ occupation: '<script>', purpose: 'x' }).toString(),
    });
    const path = new URL(posted.headers.get('location')!, 'http://rp.test/apply').pathname;
    const id = path.split('/').at(-1)!;
    const row = await database.db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(JSON.parse(row.answers)).toEqual({ occupation: '会社員', purpose: '資産運用', experience: 'なし' });
  });
});
