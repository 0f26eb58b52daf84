import { html } from 'hono/html';

import type { RpDemoDeps } from '../options.js';
import { page, type Site } from '../layout.js';
import { maskMyNumber, refusalText, SEX } from '../refusals.js';
import { unsealMyNumberForDisplay } from '../sealing.js';
import { cardDateText, verificationText } from '../words.js';
import type { Selectable } from 'kysely';

import type { AccountTable } from '../storage.js';

/** The answers the application form offers; the first of each is taken for anything else. */
export const APPLICATION_CHOICES = {
  occupation: ['会社員', '自営業', '学生', 'その他'],
  purpose: ['資産運用', '老後の資金', '教育資金'],
  experience: ['なし', '1年未満', '1年以上'],
} as const;

/** 「お申し込み内容」: the form. */
export function applicationFormPage(site: Site) {
  return page(
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
  );
}

/** 「マイナンバーの提出方法」: the phone, or documents (not in this demo). */
export function submissionChoicePage(site: Site, found: { readonly id: string }) {
  return page(
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
  );
}

/** The application was refused: why, in the firm's words. */
export function applicationRefusedPage(site: Site, refusal: string | null) {
  return page(
    site,
    'お申し込みを完了できませんでした',
    html`<h1 class="refused" data-testid="refused">お申し込みを完了できませんでした</h1>
      <p data-testid="refusal">${refusalText(refusal)}</p>
      <a class="button" href="../../apply">もう一度申し込む</a>`,
  );
}

/** 「認証完了」: the account opened, with the identity verification records. */
export function accountOpenedPage(site: Site, deps: Pick<RpDemoDeps, 'sealingKey'>, account: Selectable<AccountTable>) {
  const records = JSON.parse(account.verification) as { method?: string; verifiedAt?: string }[];
  return page(
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
        <dd>${cardDateText(account.birth_date)}</dd>
        <dt>性別</dt>
        <dd>${SEX[account.sex] ?? account.sex}</dd>
        <dt>マイナンバー</dt>
        <dd data-testid="my-number">${maskMyNumber(unsealMyNumberForDisplay(deps.sealingKey, account))}</dd>
        <dt>本人確認の記録</dt>
        <dd>
          <ul>
            ${records.map((record) => html`<li data-testid="verification">${verificationText(record)}</li>`)}
          </ul>
        </dd>
      </dl>
      <p>次回からは <a href="../../login">スマホでログイン</a> でお入りいただけます。</p>`,
  );
}
