import { html } from 'hono/html';

import { page, type Site } from '../layout.js';
import { oidcErrorText, type OidcFlowError } from './errors.js';
import type { SignCheck } from './sign-result.js';

/** Where each flow starts again. */
const RETRY = { login: '../login', sign: './apply' } as const;

/** The page of a flow that stopped: what happened, in Japanese, and the way back. */
export function oidcErrorPage(site: Site, error: OidcFlowError, flow: keyof typeof RETRY = 'login') {
  return page(
    site,
    'お手続きを完了できませんでした',
    html`<h1 class="refused" data-testid="refused">お手続きを完了できませんでした</h1>
      <p data-testid="refusal" data-code="${error.code}">${oidcErrorText(error)}</p>
      <a class="button" href="${RETRY[flow]}">もう一度</a>`,
  );
}

/** 「電子署名で申込内容を確認」: the application text, signed through a sign transaction. */
export function signApplicationPage(site: Site, document: string) {
  return page(
    site,
    '電子署名で申込内容を確認',
    html`<h1>電子署名で申込内容を確認</h1>
      <p>
        お申し込みの内容に、マイナンバーカードの署名用電子証明書で電子署名していただきます（デジタル認証アプリ方式：OpenID
        Connect と署名トランザクション）。
      </p>
      <pre data-testid="application-document">${document}</pre>
      <form method="post" action="./apply">
        <button type="submit" data-testid="oidc-apply">デジタル認証アプリ方式で申し込む</button>
      </form>`,
  );
}

/** The signed application: who signed (userinfo, the certificate) and the firm's checks of the signature. */
export function signedApplicationPage(
  site: Site,
  outcome: { readonly name?: string; readonly signer: string; readonly checks: readonly SignCheck[] },
) {
  const verified = outcome.checks.every((check) => check.status === 'passed');
  return page(
    site,
    '電子署名の確認',
    html`<h1 class="${verified ? 'done' : 'refused'}" data-testid="${verified ? 'signature-verified' : 'refused'}">
        ${verified ? '申込内容への電子署名を確認しました' : '電子署名を確認できませんでした'}
      </h1>
      <dl>
        <dt>お名前（利用者情報）</dt>
        <dd data-testid="name">${outcome.name ?? '—'}</dd>
        <dt>署名者（署名用電子証明書）</dt>
        <dd data-testid="signer">${outcome.signer}</dd>
        <dt>確認</dt>
        <dd>
          <ul>
            ${outcome.checks.map(
              (check) =>
                html`<li data-check="${check.check}">
                  ${CHECK_NAMES[check.check]}：${check.status === 'passed' ? 'OK' : `NG（${check.reason ?? ''}）`}
                </li>`,
            )}
          </ul>
        </dd>
      </dl>
      <p class="note">
        署名は、申込内容のSHA-256（DigestInfo）に対するRSA署名を、返された証明書の公開鍵で検証しています。
      </p>`,
  );
}

const CHECK_NAMES: Record<SignCheck['check'], string> = {
  sign_transaction_id: '署名トランザクション',
  'certificate.validity': '証明書の有効期間',
  signature: '電子署名の検証',
};
