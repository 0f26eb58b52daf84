import { randomBytes } from 'node:crypto';

import { isUniqueViolation } from '@openmyna/storage';
import type { Hono } from 'hono';
import { html } from 'hono/html';

import { page, phoneRequest, type Site } from './layout.js';
import { maskMyNumber, refusalText, SEX, waitingState } from './refusals.js';
import { sealMyNumber, unsealMyNumberForDisplay } from './sealing.js';
import type { RpDemoDeps } from './options.js';
import { isFinal, poll, VerifierRefusal } from './verifier-client.js';

/**
 * The online account opening (非対面, DESIGN.md flow 3): the form, 「マイナンバーの提出方法」, 「スマホで読み取る」
 * (a JPKI signature over the application, the 入力補助 records, and a JPKI authentication that links
 * 「スマホでログイン」), and 「認証完了」 with the account opened at once.
 */
export function accountOpeningRoutes(app: Hono, deps: RpDemoDeps, site: Site): void {
  const { db, verifier, clock } = deps;
  /**
   * Reads the verifier's result once it is final and opens the account or records the refusal; while
   * it is not, gives the check of the last answer the verifier did not accept, if any.
   */
  const settling = new Map<string, Promise<string | undefined>>();
  const settle = (id: string): Promise<string | undefined> => {
    const running = settling.get(id);
    if (running) return running;
    const work = (async () => {
      const application = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
      if (!application?.presentation_id || application.state !== 'waiting') return;
      const view = await poll(verifier.presentation(application.presentation_id));
      const rejected = view?.lastRejection?.check;
      if (!isFinal(view)) return rejected;
      const sign = view.claims?.['sign'] as
        { name: string; address: string; birth_date: string; sex: string } | undefined;
      const myNumber = view.claims?.['kenhojo']?.['my_number'] as string | undefined;
      const subject = view.claims?.['login']?.['subject'] as string | undefined;
      const refuse = (refusal: string) =>
        db.updateTable('applications').set({ state: 'refused', refusal }).where('id', '=', id).execute();
      if (view.status === 'completed' && view.result?.status === 'valid' && sign && myNumber && subject) {
        const existing = await db
          .selectFrom('accounts')
          .select('account_no')
          .where('login_subject', '=', subject)
          .executeTakeFirst();
        if (existing) {
          await refuse('account.exists');
          return;
        }
        const accountNo = `${clock().getFullYear()}-${randomBytes(4).readUInt32BE().toString().padStart(10, '0')}`;
        try {
          await db.transaction().execute(async (trx) => {
            await trx
              .insertInto('accounts')
              .values({
                account_no: accountNo,
                application_id: id,
                name: sign.name,
                address: sign.address,
                birth_date: sign.birth_date,
                sex: sign.sex,
                my_number_sealed: sealMyNumber(deps.sealingKey, myNumber, accountNo),
                verification: JSON.stringify(view.result?.records ?? []),
                opened_at: clock().toISOString(),
                login_subject: subject,
              })
              .execute();
            await trx
              .updateTable('applications')
              .set({ state: 'opened', account_no: accountNo })
              .where('id', '=', id)
              .execute();
          });
        } catch (error) {
          // The same phone's second opening racing this one: that one opened the account.
          if (!isUniqueViolation(error)) throw error;
          await refuse('account.exists');
        }
        return;
      }
      // Completed without the values means they were handed over already: another request opened it.
      if (view.status === 'completed' && !view.claims) return;
      await refuse(view.result?.decidedBy?.check ?? 'unknown');
    })().finally(() => settling.delete(id));
    settling.set(id, work);
    return work;
  };
  const application = (id: string) => db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();

  app.get('/apply', (c) =>
    c.html(
      page(
        site,
        'お申し込み',
        html`<h1>お申し込み内容</h1>
          <form method="post" action="./apply">
            <label
              >ご職業<select name="occupation">
                <option>会社員</option>
                <option>自営業</option>
                <option>学生</option>
                <option>その他</option>
              </select></label
            >
            <label
              >お取引の目的<select name="purpose">
                <option>資産運用</option>
                <option>老後の資金</option>
                <option>教育資金</option>
              </select></label
            >
            <label
              >投資のご経験<select name="experience">
                <option>なし</option>
                <option>1年未満</option>
                <option>1年以上</option>
              </select></label
            >
            <button type="submit" data-testid="submit-application">次へ</button>
          </form>`,
      ),
    ),
  );
  app.post('/apply', async (c) => {
    const form = await c.req.parseBody();
    const pick = (name: string, allowed: readonly string[]) => {
      const value = form[name];
      return typeof value === 'string' && allowed.includes(value) ? value : allowed[0]!;
    };
    const answers = {
      occupation: pick('occupation', ['会社員', '自営業', '学生', 'その他']),
      purpose: pick('purpose', ['資産運用', '老後の資金', '教育資金']),
      experience: pick('experience', ['なし', '1年未満', '1年以上']),
    };
    const id = randomBytes(12).toString('base64url');
    const now = clock();
    const document = [
      `${site.name} 証券総合口座 開設申込書`,
      `申込番号 ${id}`,
      `申込日時 ${now.toISOString()}`,
      `ご職業 ${answers.occupation}`,
      `お取引の目的 ${answers.purpose}`,
      `投資のご経験 ${answers.experience}`,
      '上記の内容で口座の開設を申し込み、本人確認のためマイナンバーカードの情報を提供します。',
    ].join('\n');
    await db
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
    return c.redirect(`./apply/${id}`, 303);
  });
  app.get('/apply/:id', async (c) => {
    const found = await application(c.req.param('id'));
    if (!found) return c.notFound();
    return c.html(
      page(
        site,
        'マイナンバーの提出方法',
        html`<h1>マイナンバーの提出方法</h1>
          <div class="choice">
            <h2>スマホで読み取る</h2>
            <p>
              スマートフォンのマイナンバーカードで、署名用パスワード、券面事項入力補助用暗証番号、利用者証明用暗証番号を入れるだけで終わります。次回からは「スマホでログイン」でお入りいただけます。
            </p>
            <form method="post" action="./${found.id}/smartphone">
              <button type="submit" data-testid="smartphone">スマホで読み取る</button>
            </form>
          </div>
          <div class="choice">
            <h2>書類をアップロード</h2>
            <p>このデモでは扱いません。</p>
          </div>`,
      ),
    );
  });
  app.post('/apply/:id/smartphone', async (c) => {
    const found = await application(c.req.param('id'));
    if (!found) return c.notFound();
    let created;
    try {
      created = await verifier.createPresentation({
        sign: {
          document: Buffer.from(found.document).toString('base64'),
          title: `${site.name} 証券総合口座 開設申込書`,
          mediaType: 'text/plain; charset=utf-8',
        },
        kenhojo: ['my_number', 'basic_four_info'],
        login: true,
        purpose: '証券口座の開設（犯罪収益移転防止法の本人確認、個人番号の提供、ログインの登録）',
      });
    } catch (error) {
      if (!(error instanceof VerifierRefusal)) throw error;
      return c.html(
        page(site, 'エラー', html`<p class="refused">ただいま受け付けられません（${error.status}）。</p>`),
        502,
      );
    }
    await db
      .updateTable('applications')
      .set({ presentation_id: created.id, state: 'waiting' })
      .where('id', '=', found.id)
      .execute();
    return c.html(
      page(
        site,
        'スマホで読み取る',
        html`<h1>スマホで読み取る</h1>
          ${phoneRequest(created, deps.walletUrl, { status: './status', result: './result' })}`,
      ),
    );
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
    if (found.state === 'refused')
      return c.html(
        page(
          site,
          'お申し込みを完了できませんでした',
          html`<h1 class="refused" data-testid="refused">お申し込みを完了できませんでした</h1>
            <p data-testid="refusal">${refusalText(found.refusal)}</p>
            <a class="button" href="../../apply">もう一度申し込む</a>`,
        ),
      );
    const account = found.account_no
      ? await db.selectFrom('accounts').selectAll().where('account_no', '=', found.account_no).executeTakeFirst()
      : undefined;
    if (!account) return c.redirect(`../${found.id}`, 303);
    const records = JSON.parse(account.verification) as { method?: string; legalBasis?: string; verifiedAt?: string }[];
    return c.html(
      page(
        site,
        '認証完了',
        html`<h1 class="done" data-testid="done">認証完了</h1>
          <p>口座を開設しました。口座番号 <strong data-testid="account-no">${account.account_no}</strong></p>
          <dl>
            <dt>氏名</dt>
            <dd data-testid="name">${account.name}</dd>
            <dt>住所</dt>
            <dd>${account.address}</dd>
            <dt>生年月日</dt>
            <dd>${account.birth_date}</dd>
            <dt>性別</dt>
            <dd>${SEX[account.sex] ?? account.sex}</dd>
            <dt>マイナンバー</dt>
            <dd data-testid="my-number">${maskMyNumber(unsealMyNumberForDisplay(deps.sealingKey, account))}</dd>
            <dt>本人確認の記録</dt>
            <dd>
              <ul>
                ${records.map(
                  (record) =>
                    html`<li>${record.method ?? ''} ${record.legalBasis ?? ''} ${record.verifiedAt ?? ''}</li>`,
                )}
              </ul>
            </dd>
          </dl>
          <p>次回からは <a href="../../login">スマホでログイン</a> でお入りいただけます。</p>`,
      ),
    );
  });
}
