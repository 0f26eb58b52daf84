import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Kysely } from 'kysely';

import type { RpDemoSchema } from './storage.js';

/** How the RP demo reaches the verifier service: its URL and this firm's API key. */
export interface VerifierAccess {
  readonly url: string;
  readonly apiKey: string;
}

/** Options of {@link createRpDemoApp}. */
export interface RpDemoOptions {
  readonly db: Kysely<RpDemoSchema>;
  readonly verifier: VerifierAccess;
  /** The web wallet's URL: the same-device link opens it with the request's parameters. */
  readonly walletUrl: string;
  /** AES-256 key that seals the My Numbers the firm keeps. */
  readonly sealingKey: Uint8Array;
  readonly clock: () => Date;
  /** The firm's name on its pages. */
  readonly firmName?: string;
  readonly fetch?: typeof fetch;
}

interface PresentationView {
  readonly status: 'pending' | 'processing' | 'completed' | 'failed';
  readonly result?: {
    readonly status: string;
    readonly decidedBy?: { readonly check: string };
    readonly records: readonly Record<string, unknown>[];
  };
  readonly claims?: {
    readonly sign?: { name: string; address: string; birth_date: string; sex: string };
    readonly kenhojo?: { my_number?: string };
  };
}

/** What the person is told for each way an application can be refused (the verifier's deciding check). */
const REFUSALS: Record<string, string> = {
  'wallet.response': 'スマートフォンで提供がキャンセルされました。もう一度お試しいただけます。',
  'jpki.revocation': 'スマートフォンの電子証明書が失効または一時停止しています。',
  'kenhojo.binding': 'マイナンバーの記録と署名用電子証明書の本人が一致しませんでした。',
  'jpki.replay': 'この署名はすでに使われています。',
};

const SEX: Record<string, string> = { '1': '男', '2': '女', '9': '適用不能', '0': '不明' };

export function maskMyNumber(myNumber: string): string {
  return `********${myNumber.slice(-4)}`;
}

/**
 * A securities firm's site (DESIGN.md flow 3): the application form, 「マイナンバーの提出方法」, 「スマホで
 * 読み取る」 (a signed OpenID4VP request through the verifier service: a JPKI signature over the
 * application and the 入力補助 records), and 「認証完了」 with the account opened at once. The backend
 * trusts only the verifier service's result, never the browser, and keeps only what the firm must.
 */
export function createRpDemoApp(options: RpDemoOptions): Hono {
  const app = new Hono();
  const firm = options.firmName ?? 'openmyna証券';
  const fetcher = options.fetch ?? fetch;
  const verifier = (path: string, init: RequestInit = {}) =>
    fetcher(`${options.verifier.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${options.verifier.apiKey}`, 'content-type': 'application/json' },
    });
  const page = (title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) =>
    html`<!doctype html>
      <html lang="ja">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>${title} — ${firm}</title>
          <style>
            body {
              font-family: 'Hiragino Sans', 'Noto Sans JP', 'IPAGothic', sans-serif;
              margin: 0;
              background: #f6f7f9;
              color: #1c2230;
            }
            header {
              background: #14532d;
              color: #fff;
              padding: 0.9rem 1.5rem;
              font-size: 1.2rem;
            }
            main {
              max-width: 44rem;
              margin: 1.5rem auto;
              background: #fff;
              padding: 1.5rem 2rem;
              border-radius: 0.6rem;
            }
            label {
              display: block;
              margin: 0.8rem 0;
            }
            select,
            input {
              display: block;
              width: 100%;
              padding: 0.5rem;
              font: inherit;
              margin-top: 0.3rem;
            }
            button,
            .button {
              background: #14532d;
              color: #fff;
              border: 0;
              border-radius: 0.4rem;
              padding: 0.8rem 1.4rem;
              font: inherit;
              cursor: pointer;
              text-decoration: none;
              display: inline-block;
            }
            .choice {
              border: 1px solid #c9d1dc;
              border-radius: 0.5rem;
              padding: 1rem;
              margin: 0.8rem 0;
            }
            .qr svg {
              width: 15rem;
              height: 15rem;
            }
            dt {
              font-weight: bold;
              margin-top: 0.6rem;
            }
            dd {
              margin: 0.2rem 0 0;
            }
            .done {
              color: #14532d;
            }
            .refused {
              color: #a11;
            }
          </style>
        </head>
        <body>
          <header>${firm}</header>
          <main>${body}</main>
        </body>
      </html>`;

  /** Reads the verifier's result once it is final; opens the account or records the refusal. */
  const settling = new Map<string, Promise<void>>();
  const settle = (id: string): Promise<void> => {
    const running = settling.get(id);
    if (running) return running;
    const work = (async () => {
      const application = await options.db
        .selectFrom('applications')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (!application?.presentation_id || application.state !== 'waiting') return;
      const response = await verifier(`/v1/presentations/${encodeURIComponent(application.presentation_id)}`);
      if (!response.ok) return;
      const view = (await response.json()) as PresentationView;
      if (view.status === 'pending' || view.status === 'processing') return;
      const sign = view.claims?.sign;
      const myNumber = view.claims?.kenhojo?.my_number;
      if (view.status === 'completed' && view.result?.status === 'valid' && sign && myNumber) {
        const accountNo = `${options.clock().getFullYear()}-${randomBytes(4).readUInt32BE().toString().padStart(10, '0')}`;
        await options.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('accounts')
            .values({
              account_no: accountNo,
              application_id: id,
              name: sign.name,
              address: sign.address,
              birth_date: sign.birth_date,
              sex: sign.sex,
              my_number_sealed: seal(options.sealingKey, myNumber, accountNo),
              verification: JSON.stringify(view.result?.records ?? []),
              opened_at: options.clock().toISOString(),
            })
            .execute();
          await trx
            .updateTable('applications')
            .set({ state: 'opened', account_no: accountNo })
            .where('id', '=', id)
            .execute();
        });
        return;
      }
      // Completed without the values means they were handed over already: another request opened it.
      if (view.status === 'completed' && !view.claims) return;
      await options.db
        .updateTable('applications')
        .set({ state: 'refused', refusal: view.result?.decidedBy?.check ?? 'unknown' })
        .where('id', '=', id)
        .execute();
    })().finally(() => settling.delete(id));
    settling.set(id, work);
    return work;
  };
  const application = (id: string) =>
    options.db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();

  app.get('/', (c) =>
    c.html(
      page(
        '口座開設',
        html`<h1>証券総合口座の開設</h1>
          <p>
            マイナンバーカードを入れたスマートフォンだけで、本人確認とマイナンバーの提出が終わり、その場で口座が開設されます。
          </p>
          <a class="button" href="./apply" data-testid="start">口座開設を申し込む</a>`,
      ),
    ),
  );
  app.get('/apply', (c) =>
    c.html(
      page(
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
    const now = options.clock();
    const document = [
      `${firm} 証券総合口座 開設申込書`,
      `申込番号 ${id}`,
      `申込日時 ${now.toISOString()}`,
      `ご職業 ${answers.occupation}`,
      `お取引の目的 ${answers.purpose}`,
      `投資のご経験 ${answers.experience}`,
      '上記の内容で口座の開設を申し込み、本人確認のためマイナンバーカードの情報を提供します。',
    ].join('\n');
    await options.db
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
        'マイナンバーの提出方法',
        html`<h1>マイナンバーの提出方法</h1>
          <div class="choice">
            <h2>スマホで読み取る</h2>
            <p>
              スマートフォンのマイナンバーカードで、署名用パスワードと券面事項入力補助用暗証番号を入れるだけで終わります。
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
    const response = await verifier('/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        sign: {
          document: Buffer.from(found.document).toString('base64'),
          title: `${firm} 証券総合口座 開設申込書`,
          mediaType: 'text/plain; charset=utf-8',
        },
        kenhojo: ['my_number', 'basic_four_info'],
        purpose: '証券口座の開設（犯罪収益移転防止法の本人確認、個人番号の提供）',
      }),
    });
    if (response.status !== 201)
      return c.html(
        page('エラー', html`<p class="refused">ただいま受け付けられません（${response.status}）。</p>`),
        502,
      );
    const created = (await response.json()) as { id: string; link: string; qrSvg: string };
    await options.db
      .updateTable('applications')
      .set({ presentation_id: created.id, state: 'waiting' })
      .where('id', '=', found.id)
      .execute();
    const query = new URL(created.link).search;
    return c.html(
      page(
        'スマホで読み取る',
        html`<h1>スマホで読み取る</h1>
          <p>スマートフォンのウォレットでこのQRコードを読み取ってください。</p>
          <div class="qr" data-testid="qr" data-link="${created.link}">${raw(created.qrSvg)}</div>
          <p>
            このスマートフォンでお申し込みの方は
            <a data-testid="same-device" href="${options.walletUrl}/${query}">こちら</a>。
          </p>
          <p data-testid="waiting">スマートフォンでの操作をお待ちしています…</p>
          <script>
            const poll = async () => {
              const state = await (await fetch('./status')).json();
              if (state.state === 'waiting') return setTimeout(poll, 1000);
              location.href = './result';
            };
            poll();
          </script>`,
      ),
    );
  });
  app.get('/apply/:id/status', async (c) => {
    const id = c.req.param('id');
    await settle(id);
    const found = await application(id);
    if (!found) return c.json({ error: { code: 'ERR_NOT_FOUND', message: 'no such application' } }, 404);
    return c.json({ state: found.state });
  });
  app.get('/apply/:id/result', async (c) => {
    const found = await application(c.req.param('id'));
    if (!found) return c.notFound();
    if (found.state === 'refused')
      return c.html(
        page(
          'お申し込みを完了できませんでした',
          html`<h1 class="refused" data-testid="refused">お申し込みを完了できませんでした</h1>
            <p>${REFUSALS[found.refusal ?? ''] ?? `本人確認ができませんでした（${found.refusal}）。`}</p>
            <a class="button" href="../../apply">もう一度申し込む</a>`,
        ),
      );
    const account = found.account_no
      ? await options.db
          .selectFrom('accounts')
          .selectAll()
          .where('account_no', '=', found.account_no)
          .executeTakeFirst()
      : undefined;
    if (!account) return c.redirect(`../${found.id}`, 303);
    const records = JSON.parse(account.verification) as { method?: string; legalBasis?: string; verifiedAt?: string }[];
    return c.html(
      page(
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
            <dd data-testid="my-number">${maskMyNumber(unsealMyNumberForDisplay(options.sealingKey, account))}</dd>
            <dt>本人確認の記録</dt>
            <dd>
              <ul>
                ${records.map((record) => html`<li>${record.method ?? ''} ${record.legalBasis ?? ''} ${record.verifiedAt ?? ''}</li>`)}
              </ul>
            </dd>
          </dl>`,
      ),
    );
  });
  return app;
}

const AAD = 'openmyna-rp-demo/my-number:';

/** AES-256-GCM of the My Number, bound to its account number: IV ‖ ciphertext ‖ tag. */
function seal(key: Uint8Array, myNumber: string, accountNo: string): Uint8Array {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(AAD + accountNo));
  const body = Buffer.concat([cipher.update(myNumber, 'utf8'), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/** Opens the sealed My Number (for the masked display and the firm's statutory reports). */
export function unsealMyNumberForDisplay(
  key: Uint8Array,
  account: { readonly my_number_sealed: Uint8Array; readonly account_no: string },
): string {
  const sealed = Buffer.from(account.my_number_sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(AAD + account.account_no));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
}
