import { formatJapanTime } from '@openmyna/core';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';

import type { RpDemoDeps } from './options.js';
import { newSessionToken, sessionDigest, unbindBrowser } from './browser-binding.js';
import { page, phoneRequest, type Site } from './layout.js';
import { boundPhoneRequest, phoneRequestStatusRoute, refusalOf, startPhoneRequest } from './phone-requests.js';
import { refusalText } from './refusals.js';
import { VerifierRefusal } from './verifier-client.js';

const SESSION_COOKIE = 'rp_session';
const SESSION_SECONDS = 30 * 60;

/** The account of the signed-in browser, if its session is current. */
export async function signedInAccount(c: Context, deps: RpDemoDeps) {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return undefined;
  return deps.db
    .selectFrom('web_sessions')
    .innerJoin('accounts', 'accounts.account_no', 'web_sessions.account_no')
    .select(['accounts.account_no', 'accounts.name', 'accounts.opened_at'])
    .where('web_sessions.token_digest', '=', sessionDigest(token))
    .where('web_sessions.expires_at', '>', deps.clock().toISOString())
    .executeTakeFirst();
}

/**
 * 「スマホでログイン」 (JPKI login, DESIGN.md flow 4): a `jpki_auth` request through the verifier; the
 * phone signs with its authentication key after the 利用者証明用 PIN; the verifier checks the
 * certificate (chain, policy, revocation) and gives this firm's pairwise subject, which finds the
 * account linked at opening. The browser that started the login then gets a session cookie.
 */
export function loginRoutes(app: Hono, deps: RpDemoDeps, site: Site): void {
  loginRequestRoutes(app, deps, site);
  app.get('/login/:id/result', (c) => finishLogin(c, deps, site));
  accountRoutes(app, deps, site);
}

/** The login page, the request to the phone, and its status. */
function loginRequestRoutes(app: Hono, deps: RpDemoDeps, site: Site): void {
  app.get('/login', (c) =>
    c.html(
      page(
        site,
        'ログイン',
        html`<h1>ログイン</h1>
          <p>口座開設のときに使ったスマートフォンのマイナンバーカードでログインします（利用者証明用暗証番号）。</p>
          <form method="post" action="./login">
            <button type="submit" data-testid="login">スマホでログイン</button>
          </form>
          ${
            deps.oidc
              ? html`<form method="post" action="./oidc/login">
                  <button type="submit" data-testid="oidc-login">デジタル認証アプリ方式でログイン</button>
                </form>`
              : ''
          }`,
      ),
    ),
  );
  app.post('/login', async (c) => {
    let created;
    try {
      created = await deps.verifier.createPresentation({ login: true, purpose: `${site.name}へのログイン` });
    } catch (error) {
      if (!(error instanceof VerifierRefusal)) throw error;
      return c.html(
        page(site, 'エラー', html`<p class="refused">ただいまログインできません（${error.status}）。</p>`),
        502,
      );
    }
    const id = await startPhoneRequest(c, deps, 'login', created.id);
    return c.html(
      page(
        site,
        'スマホでログイン',
        html`<h1>スマホでログイン</h1>
          ${phoneRequest(created, deps.walletUrl, { status: `./login/${id}/status`, result: `./login/${id}/result` })}`,
      ),
    );
  });
  phoneRequestStatusRoute(app, deps, '/login', 'login', async (view) => {
    // The firm's subject (`party_subject`): the OpenID Provider's `sub` for this firm too.
    const login = view.claims?.['login'];
    const subject = login?.['party_subject'] ?? login?.['subject'];
    if (view.result?.status !== 'valid' || typeof subject !== 'string') return refusalOf(view);
    const account = await deps.db
      .selectFrom('accounts')
      .select('account_no')
      .where('login_subject', '=', subject)
      .executeTakeFirst();
    return account
      ? { state: 'done', accountNo: account.account_no }
      : { state: 'refused', refusal: 'account.unknown' };
  });
}

/** マイページ and ログアウト for the signed-in browser. */
function accountRoutes(app: Hono, deps: RpDemoDeps, site: Site): void {
  app.get('/mypage', async (c) => {
    const account = await signedInAccount(c, deps);
    if (!account) return c.redirect('./login', 303);
    return c.html(
      page(
        site,
        'マイページ',
        html`<h1 class="done" data-testid="signed-in">ログインしました</h1>
          <dl>
            <dt>お名前</dt>
            <dd data-testid="name">${account.name} 様</dd>
            <dt>口座番号</dt>
            <dd data-testid="account-no">${account.account_no}</dd>
            <dt>口座開設日時</dt>
            <dd>${formatJapanTime(new Date(account.opened_at))}</dd>
          </dl>
          <form method="post" action="./logout"><button type="submit" class="secondary">ログアウト</button></form>`,
      ),
    );
  });
  app.post('/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deps.db.deleteFrom('web_sessions').where('token_digest', '=', sessionDigest(token)).execute();
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('./', 303);
  });
}

/** The phone's login answered: this browser, bound to the request, gets a session cookie once. */
async function finishLogin(c: Context, deps: RpDemoDeps, site: Site) {
  const request = await boundPhoneRequest(c, deps, 'login');
  if (!request) return c.notFound();
  if (request.state === 'refused')
    return c.html(
      page(
        site,
        'ログインできませんでした',
        html`<h1 class="refused" data-testid="refused">ログインできませんでした</h1>
          <p data-testid="refusal">${refusalText(request.refusal)}</p>
          <a class="button" href="../../login">もう一度</a>`,
      ),
    );
  if (request.state !== 'done' || !request.account_no) return c.redirect('../../login', 303);
  // One session per login: the binding ends as the session begins.
  const consumed = await deps.db
    .updateTable('phone_requests')
    .set({ browser_digest: '' })
    .where('id', '=', request.id)
    .where('browser_digest', '=', request.browser_digest)
    .executeTakeFirst();
  if (consumed.numUpdatedRows !== 1n) return c.redirect('../../login', 303);
  unbindBrowser(c, request.id);
  await startSession(c, deps, request.account_no);
  return c.redirect('../../mypage', 303);
}

/** Signs the browser of `c` in to `accountNo`: a new session and its cookie (after a login of either kind). */
export async function startSession(c: Context, deps: Pick<RpDemoDeps, 'db' | 'clock'>, accountNo: string) {
  const { token, digest } = newSessionToken();
  const now = deps.clock();
  await deps.db
    .insertInto('web_sessions')
    .values({
      token_digest: digest,
      account_no: accountNo,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_SECONDS * 1000).toISOString(),
    })
    .execute();
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: SESSION_SECONDS });
}
