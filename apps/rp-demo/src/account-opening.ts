import { randomBytes } from 'node:crypto';

import { base64Encode, base64UrlEncode, formatJapanTime } from '@openmyna/core';
import type { Hono } from 'hono';
import { html } from 'hono/html';

import {
  accountOpenedPage,
  APPLICATION_CHOICES,
  applicationFormPage,
  applicationRefusedPage,
  submissionChoicePage,
} from './account-opening/pages.js';
import { applicationSettler } from './account-opening/settlement.js';
import { page, phoneRequest, type Site } from './layout.js';
import type { RpDemoDeps } from './options.js';
import { waitingState } from './refusals.js';
import { VerifierRefusal } from './verifier-client.js';

/**
 * The online account opening (非対面, DESIGN.md flow 3): the form, 「マイナンバーの提出方法」, 「スマホで読み取る」
 * (a JPKI signature over the application, the 入力補助 records, and a JPKI authentication that links
 * 「スマホでログイン」), and 「認証完了」 with the account opened at once.
 */
export function accountOpeningRoutes(app: Hono, deps: RpDemoDeps, site: Site): void {
  const settle = applicationSettler(deps);
  const application = (id: string) =>
    deps.db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
  app.get('/apply', (c) => c.html(applicationFormPage(site)));
  app.post('/apply', async (c) => {
    const id = await recordApplication(deps, site, await c.req.parseBody());
    return c.redirect(`./apply/${id}`, 303);
  });
  app.get('/apply/:id', async (c) => {
    const found = await application(c.req.param('id'));
    if (!found) return c.notFound();
    return c.html(submissionChoicePage(site, found));
  });
  app.post('/apply/:id/smartphone', async (c) => {
    const found = await application(c.req.param('id'));
    if (!found) return c.notFound();
    const created = await requestFromPhone(deps, site, found.document);
    if (created instanceof VerifierRefusal)
      return c.html(
        page(site, 'エラー', html`<p class="refused">ただいま受け付けられません（${created.status}）。</p>`),
        502,
      );
    await deps.db
      .updateTable('applications')
      .set({ presentation_id: created.id, state: 'waiting' })
      .where('id', '=', found.id)
      .execute();
    const body = html`<h1>スマホで読み取る</h1>
      ${phoneRequest(created, deps.walletUrl, { status: './status', result: './result' })}`;
    return c.html(page(site, 'スマホで読み取る', body));
  });
  app.get('/apply/:id/status', async (c) => {
    const id = c.req.param('id');
    const rejected = await settle(id);
    const found = await application(id);
    if (!found) return c.json({ error: { code: 'ERR_NOT_FOUND', message: 'no such application' } }, 404);
    return c.json(waitingState(found.state, rejected));
  });
  app.get('/apply/:id/result', async (c) => {
    const found = await application(c.req.param('id'));
    if (!found) return c.notFound();
    if (found.state === 'refused') return c.html(applicationRefusedPage(site, found.refusal));
    const account = found.account_no
      ? await deps.db.selectFrom('accounts').selectAll().where('account_no', '=', found.account_no).executeTakeFirst()
      : undefined;
    if (!account) return c.redirect(`../${found.id}`, 303);
    return c.html(accountOpenedPage(site, deps, account));
  });
}

/** Records the form's answers and the application document the holder will sign; returns its id. */
async function recordApplication(
  deps: RpDemoDeps,
  site: Site,
  form: Record<string, string | File | (string | File)[]>,
): Promise<string> {
  const pick = (name: keyof typeof APPLICATION_CHOICES) => {
    const value = form[name];
    const allowed: readonly string[] = APPLICATION_CHOICES[name];
    return typeof value === 'string' && allowed.includes(value) ? value : allowed[0]!;
  };
  const answers = { occupation: pick('occupation'), purpose: pick('purpose'), experience: pick('experience') };
  const id = base64UrlEncode(new Uint8Array(randomBytes(12)));
  const now = deps.clock();
  const document = [
    `${site.name} 証券総合口座 開設申込書`,
    `申込番号 ${id}`,
    `申込日時 ${formatJapanTime(now)}`,
    `ご職業 ${answers.occupation}`,
    `お取引の目的 ${answers.purpose}`,
    `投資のご経験 ${answers.experience}`,
    '上記の内容で口座の開設を申し込み、本人確認のためマイナンバーカードの情報を提供します。',
  ].join('\n');
  await deps.db
    .insertInto('applications')
    .values({
      id,
      answers: JSON.stringify(answers),
      document,
      presentation_id: null,
      state: 'filled',
      refusal: null,
      account_no: null,
      created_at: now.toISOString(),
    })
    .execute();
  return id;
}

/** Asks the verifier for the signature, the 入力補助 records and the login; its refusal is returned. */
async function requestFromPhone(deps: RpDemoDeps, site: Site, document: string) {
  try {
    return await deps.verifier.createPresentation({
      sign: {
        document: base64Encode(new TextEncoder().encode(document)),
        title: `${site.name} 証券総合口座 開設申込書`,
        mediaType: 'text/plain; charset=utf-8',
      },
      kenhojo: ['my_number', 'basic_four_info'],
      login: true,
      purpose: '証券口座の開設（犯罪収益移転防止法の本人確認、個人番号の提供、ログインの登録）',
    });
  } catch (error) {
    if (!(error instanceof VerifierRefusal)) throw error;
    return error;
  }
}
