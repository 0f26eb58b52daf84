import { migrate, type Engine } from '@openmyna/storage';
import { containsMyNumberToken } from '@openmyna/core';
import type { Kysely } from 'kysely';
import { newRelaySessionId } from '@openmyna/mdoc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import { registryPerson } from '../../../test-support/issuer-fixtures.js';
import { PHONE_PINS, provisionedNodeWallet, walletWorld } from '../../../test-support/wallet-fixtures.js';
import {
  COUNTER_ELEMENTS,
  createRpDemoApp,
  createShopDemoApp,
  RP_DEMO_MIGRATIONS,
  unsealMyNumberForDisplay,
  type CounterPerson,
  type RpDemoSchema,
} from '../src/index.js';

const SEED = 'rp-demo';

describe.each(ENGINES)('the securities firm opens an account with the phone alone, on %s', (engine) => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let database: TestDatabase<RpDemoSchema>;
  let app: ReturnType<typeof createRpDemoApp>;
  let phone: Awaited<ReturnType<typeof provisionedNodeWallet>>;
  const sealingKey = new Uint8Array(32).fill(3);
  const person = registryPerson(SEED, 3).input;

  beforeAll(async () => {
    ({ world, database, phone } = await siteWorld(SEED, [3, 4, 6], engine));
    app = createRpDemoApp({ ...siteOptions(world, database, 'securities'), sealingKey });
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
    const { link } = qrPage(scan);
    expect(scan).toContain(`http://127.0.0.1:8082/?client_id=`);
    return { path, link };
  }
  const status = async (path: string) =>
    ((await (await app.request(`${path}/status`)).json()) as { state: string }).state;
  const waitingNow = async (path: string) =>
    (await (await app.request(`${path}/status`)).json()) as { state: string; notice?: string; stopped?: boolean };

  it('runs the Digital Agency’s case: form, 「スマホで読み取る」, the wallet signs, 「認証完了」 with the account', async () => {
    expect(await (await app.request('/')).text()).toContain('証券総合口座の開設');
    const { path, link } = await applyUntilTheQr();
    expect(await status(path)).toBe('waiting');
    const pending = await phone.wallet.openRequest(link);
    expect(pending.view.requester.name).toBe('securities 株式会社');
    expect(pending.view.document?.title).toContain('開設申込書');
    expect(new TextDecoder().decode(pending.view.document?.bytes)).toContain('ご職業 会社員');
    await phone.wallet.approve(pending, {
      signingPassword: PHONE_PINS.signing,
      kenhojoPin: PHONE_PINS.kenhojo,
      authenticationPin: PHONE_PINS.authentication,
    });
    expect(await status(path)).toBe('opened');
    const result = await (await app.request(`${path}/result`)).text();
    expect(result).toContain('認証完了');
    expect(result).toContain(person.basicFourInfo.name);
    expect(result).toContain(`********${person.myNumber.slice(-4)}`);
    expect(result).not.toContain(person.myNumber);
    // The verification records in words and 日本時間, not identifiers and ISO timestamps (issue #21).
    expect(result).toContain('署名用電子証明書による本人確認（犯罪収益移転防止法施行規則 第6条第1項第1号ワ）');
    expect(result).toContain('（日本時間）');
    expect(result).not.toMatch(/jpki-signature|kenhojo|\d{4}-\d{2}-\d{2}T/);
    // What the firm keeps: the 4 info, the My Number sealed, the verification record.
    const account = await database.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
    expect(account.name).toBe(person.basicFourInfo.name);
    expect(containsMyNumberToken(Buffer.from(account.my_number_sealed).toString('latin1'))).toBe(false);
    expect(unsealMyNumberForDisplay(sealingKey, account)).toBe(person.myNumber);
    expect(containsMyNumberToken(account.verification)).toBe(false);
    expect(account.login_subject).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('stops waiting when the phone cancelled, tells the person, and opens nothing', async () => {
    const { path, link } = await applyUntilTheQr();
    await phone.wallet.decline(await phone.wallet.openRequest(link));
    // The page stops saying it waits and tells the person; a refusal is unsigned (anyone who saw the QR
    // code could send one), so the request stays open for the holder's own answer.
    expect(await waitingNow(path)).toEqual({
      state: 'waiting',
      notice: expect.stringContaining('スマホで中止されました') as string,
      stopped: true,
    });
    expect(await database.db.selectFrom('accounts').select('account_no').execute()).toHaveLength(1);
  });

  it('keeps the page waiting while the verifier cannot answer (a 503), instead of failing', async () => {
    const flaky = createRpDemoApp({
      ...siteOptions(world, database, 'securities'),
      sealingKey,
      fetch: (input: string | URL | Request, init?: RequestInit) =>
        init?.method === 'POST'
          ? fetch(input, init)
          : Promise.resolve(Response.json({ error: { code: 'ERR_UNAVAILABLE', message: 'x' } }, { status: 503 })),
    });
    const posted = await flaky.request('/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ occupation: '会社員' }).toString(),
    });
    const path = new URL(posted.headers.get('location')!, 'http://rp.test/apply').pathname;
    expect((await flaky.request(`${path}/smartphone`, { method: 'POST' })).status).toBe(200);
    const polled = await flaky.request(`${path}/status`);
    expect([polled.status, await polled.json()]).toEqual([200, { state: 'waiting' }]);
  });

  it('refuses a body over 64 KiB with 413 before reading it', async () => {
    const response = await app.request('/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `occupation=${'a'.repeat(100 * 1024)}`,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ERR_BODY_TOO_LARGE');
  });

  it('answers an unknown application with 404, and ignores unknown form values', async () => {
    const missing = await app.request('/apply/nope');
    expect([missing.status, await missing.text()]).toEqual([404, expect.stringContaining('ページが見つかりません')]);
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

  it('refuses a second account for the same phone: it names 「スマホでログイン」 instead', async () => {
    const { path, link } = await applyUntilTheQr();
    await phone.wallet.approve(await phone.wallet.openRequest(link), {
      signingPassword: PHONE_PINS.signing,
      kenhojoPin: PHONE_PINS.kenhojo,
      authenticationPin: PHONE_PINS.authentication,
    });
    expect(await status(path)).toBe('refused');
    expect(await (await app.request(`${path}/result`)).text()).toContain('すでに口座が開設されています');
    expect(await database.db.selectFrom('accounts').select('account_no').execute()).toHaveLength(1);
  });

  /** 「スマホでログイン」 in one browser: returns the login's paths and the request link. */
  async function loginUntilTheQr(browser: Browser) {
    return qrPage(await (await browser.request('/login', { method: 'POST' })).text());
  }

  it('logs in with the phone (JPKI authentication) into the account opened with it; only the starting browser learns it', async () => {
    const browser = new Browser(app);
    const { link, statusPath, resultPath } = await loginUntilTheQr(browser);
    const pending = await phone.wallet.openRequest(link);
    expect(pending.view.items.map((item) => item.format)).toEqual(['jpki_auth']);
    await phone.wallet.approve(pending, { authenticationPin: PHONE_PINS.authentication });
    // Another browser knows nothing of this login.
    expect((await new Browser(app).request(statusPath)).status).toBe(404);
    expect(await (await browser.request(statusPath)).json()).toEqual({ state: 'done' });
    const replay = browser.copy();
    const result = await browser.request(resultPath);
    expect([result.status, result.headers.get('location')]).toEqual([303, '../../mypage']);
    // A copy of the binding cookie (kept by another tab, or stolen) opens nothing once the login is taken.
    expect((await replay.request(resultPath)).status).toBe(404);
    expect((await replay.request(statusPath)).status).toBe(404);
    const mypage = await (await browser.request('/mypage')).text();
    expect(mypage).toContain('ログインしました');
    expect(mypage).toContain(person.basicFourInfo.name);
    // One session per login: the result cannot be taken twice.
    expect((await browser.request(resultPath)).status).toBe(404);
    await browser.request('/logout', { method: 'POST' });
    expect((await browser.request('/mypage')).headers.get('location')).toBe('./login');
    expect((await app.request('/mypage')).status).toBe(303);
  });

  it('refuses a login by a phone without an account, and by a phone whose certificates were revoked', async () => {
    const other = await provisionedNodeWallet(world, 1);
    const browser = new Browser(app);
    const first = await loginUntilTheQr(browser);
    await other.wallet.approve(await other.wallet.openRequest(first.link), {
      authenticationPin: PHONE_PINS.authentication,
    });
    expect(await (await browser.request(first.statusPath)).json()).toEqual({ state: 'refused' });
    expect(await (await browser.request(first.resultPath)).text()).toContain('口座が見つかりません');
    // A phone reported lost: the issuer revokes it; the phone itself does not know yet.
    const lost = await provisionedNodeWallet(world, 2);
    const revoked = await world.issuer.issuerFetch(
      `http://127.0.0.1/admin/phones/${(await lost.wallet.holder()).phoneId}/revoke`,
      {
        method: 'POST',
        headers: { authorization: 'Bearer unused-admin-token', 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'lost' }),
      },
    );
    expect(revoked.status).toBe(200);
    const second = await loginUntilTheQr(browser);
    await expect(
      lost.wallet.approve(await lost.wallet.openRequest(second.link), {
        authenticationPin: PHONE_PINS.authentication,
      }),
    ).rejects.toMatchObject({ code: 'ERR_RESPONSE_REJECTED' });
    // The verifier did not accept the answer: the page says why, and nobody is signed in.
    expect(await (await browser.request(second.statusPath)).json()).toEqual({
      state: 'waiting',
      notice: expect.stringContaining('失効または一時停止') as unknown,
    });
  });

  it('checks a person at the counter: the values reach the clerk once, the firm keeps only the record', async () => {
    const clerk = new Browser(app);
    expect(await (await clerk.request('/counter')).text()).toContain('窓口での本人確認');
    const garbled = await clerk.request('/counter', { method: 'POST', form: { engagement: 'mdoc:nope' } });
    expect([garbled.status, (await garbled.text()).includes('QRコードを読み取れませんでした')]).toEqual([400, true]);
    const session = await phone.wallet.startInPerson({ url: world.verifier.relayUrl, session: newRelaySessionId() });
    const asked = session.waitForRequest();
    const started = await clerk.request('/counter', { method: 'POST', form: { engagement: session.qr } });
    expect(started.status).toBe(303);
    const path = `/${started.headers.get('location')!.replace(/^\.\//, '')}`;
    expect(await (await clerk.request(path)).text()).toContain('お待ちしています');
    const view = await asked;
    expect(view.requester).toMatchObject({ name: 'securities 株式会社', verified: true });
    expect(view.items.map((item) => item.elementIdentifier).sort()).toEqual(
      COUNTER_ELEMENTS.map((element) => element.elementIdentifier).sort(),
    );
    expect((await new Browser(app).request(`${path}/status`)).status).toBe(404);
    await session.approve(PHONE_PINS.kenhojo);
    let answer: { state: string; person?: CounterPerson };
    do answer = (await (await clerk.request(`${path}/status`)).json()) as typeof answer;
    while (answer.state === 'waiting');
    expect(answer.state).toBe('answered');
    expect(answer.person).toMatchObject({ name: person.basicFourInfo.name, address: person.basicFourInfo.address });
    expect(answer.person?.portrait).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    expect(typeof answer.person?.ageOver20).toBe('boolean');
    // As the card prints it: the expiry in 西暦 (the birth date in 和暦).
    expect(answer.person?.expiryDate).toMatch(/^20\d{2}年\d{1,2}月\d{1,2}日$/);
    // Shown once: a reload has no values.
    expect(await (await clerk.request(`${path}/status`)).json()).not.toHaveProperty('person');
    const recorded = await clerk.request(`${path}/record`, { method: 'POST', form: { decision: 'match' } });
    const recordedText = await recorded.text();
    expect(recordedText).toContain('確認を記録しました');
    expect(recordedText).toContain('顔写真、氏名、住所、生年月日、20歳以上、有効期限');
    expect(recordedText).not.toMatch(/full_name_unicode|\d{4}-\d{2}-\d{2}T/);
    const row = await database.db.selectFrom('counter_checks').selectAll().executeTakeFirstOrThrow();
    expect([row.state, row.decision]).toEqual(['recorded', 'match']);
    const kept = JSON.stringify(row);
    expect(kept).not.toContain(person.basicFourInfo.name);
    expect(kept).not.toContain(person.basicFourInfo.address);
    expect(kept).toContain('mdoc');
  });

  it('stops waiting when the signing password locks in the wallet, and tells the person when nobody answered in time (the last test of this phone)', async () => {
    const { path, link } = await applyUntilTheQr();
    const pending = await phone.wallet.openRequest(link);
    const wrong = { ...PHONE_PINS, signing: 'WRONG0' };
    const codes: (string | undefined)[] = [];
    for (let attempt = 0; attempt < 5; attempt++)
      codes.push(
        (
          (await phone.wallet
            .approve(pending, {
              signingPassword: wrong.signing,
              kenhojoPin: PHONE_PINS.kenhojo,
              authenticationPin: PHONE_PINS.authentication,
            })
            .catch((error: unknown) => error)) as { code?: string }
        ).code,
      );
    // The fifth wrong password is the lock: the wallet gives up and the firm's page stops waiting (why
    // stays on the phone).
    expect(codes).toEqual([...Array<string>(4).fill('ERR_PIN_WRONG'), 'ERR_PIN_BLOCKED']);
    expect(await waitingNow(path)).toMatchObject({ state: 'waiting', stopped: true });

    // Nobody answers another request: the page waits until the request's five minutes are over.
    const unanswered = await applyUntilTheQr();
    expect(await status(unanswered.path)).toBe('waiting');
    const later = Date.now() + 301_000;
    world.verifier.setClock(() => new Date(later));
    try {
      expect(await status(unanswered.path)).toBe('refused');
      expect(await (await app.request(`${unanswered.path}/result`)).text()).toContain('時間（5分）が過ぎました');
    } finally {
      world.verifier.setClock(() => new Date());
    }
  });
});

describe('the shop, not registered for My Numbers', () => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let database: TestDatabase<RpDemoSchema>;
  let shop: ReturnType<typeof createShopDemoApp>;
  let phone: Awaited<ReturnType<typeof provisionedNodeWallet>>;

  beforeAll(async () => {
    ({ world, database, phone } = await siteWorld(`${SEED}-shop`, [5], 'sqlite'));
    shop = createShopDemoApp(siteOptions(world, database, 'shop'));
  }, 120_000);
  afterAll(async () => {
    await database?.dispose();
    await world?.dispose();
  });

  it('checks the age with 「20歳以上」 alone', async () => {
    const browser = new Browser(shop);
    const { link, statusPath, resultPath } = qrPage(await (await browser.request('/age', { method: 'POST' })).text());
    const pending = await phone.wallet.openRequest(link);
    expect(pending.view.items.map((item) => item.elementIdentifier)).toEqual(['age_over_20']);
    await phone.wallet.approve(pending, { kenhojoPin: PHONE_PINS.kenhojo });
    const born = registryPerson(`${SEED}-shop`, 5).input.basicFourInfo.birthDate;
    const adult = new Date(Date.UTC(born.year + 20, born.month - 1, born.day)) <= new Date();
    expect(await (await browser.request(statusPath)).json()).toEqual({ state: adult ? 'done' : 'refused' });
    const result = await (await browser.request(resultPath)).text();
    expect(result).toContain(adult ? '20歳以上であることを確認しました' : '20歳未満');
  });

  it('asks for a My Number and is refused by the verifier: the phone is never asked', async () => {
    const refused = await shop.request('/my-number', { method: 'POST' });
    expect(refused.status).toBe(403);
    const text = await refused.text();
    expect(text).toContain('マイナンバーは受け取れません');
    // The verifier's code is kept for support, out of the words a person reads.
    expect(text).toContain('data-code="ERR_RP_NOT_AUTHORIZED"');
    expect(text).not.toContain('（ERR_RP_NOT_AUTHORIZED）');
    const audit = await world.verifier.database.db.selectFrom('presentations').select('id').execute();
    expect(audit).toHaveLength(1);
  });
});

/** The wallet world of persons `indexes`, the site's database on `engine`, and the first person's phone. */
async function siteWorld(seed: string, indexes: readonly number[], engine: Engine) {
  const world = await walletWorld(seed, indexes, { engine });
  const database = await testDatabase<RpDemoSchema>(engine);
  await migrate(database.db as Kysely<unknown>, database.engine, RP_DEMO_MIGRATIONS);
  return { world, database, phone: await provisionedNodeWallet(world) };
}

/** What both sites are made with: the database, the verifier with this party's key, the wallet's URL. */
function siteOptions(
  world: Awaited<ReturnType<typeof walletWorld>>,
  database: TestDatabase<RpDemoSchema>,
  party: 'securities' | 'shop',
) {
  return {
    db: database.db,
    verifier: { url: world.verifier.base, apiKey: world.verifier.keys[party].apiKey },
    walletUrl: 'http://127.0.0.1:8082',
    clock: () => new Date(),
  };
}

/** A page showing a phone request: the request link and the status and result paths it polls. */
function qrPage(html: string) {
  const link = /data-link="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
  const statusPath = /fetch\("([^"]+)"\)/.exec(html)![1]!.replace(/^\./, '');
  return { link, statusPath, resultPath: statusPath.replace(/status$/, 'result') };
}

/** A browser's cookie jar over a Hono app. */
class Browser {
  readonly #cookies = new Map<string, string>();
  constructor(private readonly app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }) {}

  /** Another browser with the same cookies. */
  copy(): Browser {
    const other = new Browser(this.app);
    for (const [name, value] of this.#cookies) other.#cookies.set(name, value);
    return other;
  }

  async request(path: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = {
      cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    };
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await this.app.request(path, {
      method: init.method ?? 'GET',
      headers,
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (attributes.some((attribute) => /max-age=0/i.test(attribute.trim())) || value === '')
        this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }
}
