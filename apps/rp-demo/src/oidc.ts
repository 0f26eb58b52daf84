import { formatJapanTime } from '@openmyna/core';
import type { Context, Hono } from 'hono';
import * as client from 'openid-client';

import type { Site } from './layout.js';
import { startSession } from './login.js';
import { OidcFlowError } from './oidc/errors.js';
import { flowCookieKey, sealFlow, takeFlow, type OidcFlow } from './oidc/flow-cookie.js';
import { oidcErrorPage, signApplicationPage, signedApplicationPage } from './oidc/pages.js';
import { flowErrorOf, signTransactionsUrl, type OidcRelyingParty } from './oidc/relying-party.js';
import { checkSignResult, decryptSignResult, digestInfoOf } from './oidc/sign-result.js';
import type { RpDemoDeps } from './options.js';

type OidcDeps = RpDemoDeps & { readonly oidc: OidcRelyingParty };

/**
 * The デジタル認証アプリ方式 (OpenID Connect, code flow with PKCE and `private_key_jwt`, through
 * `openid-client` alone): 「デジタル認証アプリ方式でログイン」 finds the account opened with the same card by
 * the ID token's pairwise `sub`; 「電子署名で申込内容を確認」 has the application signed through a sign
 * transaction and checks the signature. The PKCE verifier, `state` and `nonce` stay in a sealed cookie.
 */
export function oidcRoutes(app: Hono, deps: RpDemoDeps, site: Site): void {
  const { oidc } = deps;
  if (!oidc) return;
  const flowDeps: OidcDeps = { ...deps, oidc };
  const key = flowCookieKey(deps.sealingKey);
  const fail = (c: Context, caught: unknown, flow?: OidcFlow['flow']) => {
    const error = flowErrorOf(caught);
    return c.html(oidcErrorPage(site, error, flow), statusOf(error));
  };
  app.post('/oidc/login', async (c) => {
    try {
      return c.redirect((await authorize(c, flowDeps, key, { flow: 'login' }, { scope: 'openid' })).href, 303);
    } catch (error) {
      return fail(c, error);
    }
  });
  app.get('/oidc/apply', (c) => c.html(signApplicationPage(site, applicationDocument(site, deps.clock()))));
  app.post('/oidc/apply', async (c) => {
    try {
      return c.redirect((await startSigning(c, flowDeps, key, site)).href, 303);
    } catch (error) {
      return fail(c, error, 'sign');
    }
  });
  app.get('/oidc/callback', async (c) => {
    let flow: OidcFlow | undefined;
    try {
      flow = await takeFlow(c, key, deps.clock());
      if (flow.flow === 'login') return await finishLogin(c, flowDeps, flow);
      return c.html(signedApplicationPage(site, await finishSigning(c, flowDeps, flow)));
    } catch (error) {
      return fail(c, error, flow?.flow);
    }
  });
}

/** The HTTP status of a stopped flow's page. */
function statusOf(error: OidcFlowError): 400 | 403 | 502 {
  if (error.code === 'ERR_OIDC_PROVIDER_UNAVAILABLE' || error.code === 'ERR_OIDC_SIGN_RESULT') return 502;
  return error.code === 'ERR_OIDC_AUTHORIZATION_ERROR' || error.code === 'ERR_OIDC_ACCOUNT_UNKNOWN' ? 403 : 400;
}

/** A new flow: PKCE S256, `state` and `nonce` kept sealed in the browser's cookie; the authorization URL. */
async function authorize(
  c: Context,
  deps: OidcDeps,
  key: Uint8Array,
  flow: Pick<OidcFlow, 'flow' | 'signTransactionId' | 'document'>,
  parameters: Record<string, string>,
): Promise<URL> {
  const configuration = await deps.oidc.configuration();
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  await sealFlow(c, key, { ...flow, state, nonce, codeVerifier }, deps.clock());
  return client.buildAuthorizationUrl(configuration, {
    redirect_uri: deps.oidc.options.redirectUri,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...parameters,
  });
}

/** The callback's code exchanged, the flow's `state`, `nonce` and PKCE verifier checked (by openid-client). */
async function exchangeCode(c: Context, deps: OidcDeps, flow: OidcFlow) {
  const configuration = await deps.oidc.configuration();
  // The registered redirect URI with the callback's parameters: what the token request names.
  const current = new URL(deps.oidc.options.redirectUri);
  current.search = new URL(c.req.url).search;
  try {
    const tokens = await client.authorizationCodeGrant(configuration, current, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    return { configuration, tokens, sub: tokens.claims()!.sub };
  } catch (error) {
    throw flowErrorOf(error);
  }
}

/** 「デジタル認証アプリ方式でログイン」 answered: the account opened with this card, signed in. */
async function finishLogin(c: Context, deps: OidcDeps, flow: OidcFlow) {
  const { sub } = await exchangeCode(c, deps, flow);
  // The provider's pairwise sub is the verifier's JPKI login subject for this firm, kept at opening.
  const account = await deps.db
    .selectFrom('accounts')
    .select('account_no')
    .where('login_subject', '=', sub)
    .executeTakeFirst();
  if (!account) throw new OidcFlowError('ERR_OIDC_ACCOUNT_UNKNOWN', 'no account has this subject');
  await startSession(c, deps, account.account_no);
  return c.redirect('../mypage', 303);
}

/** The application's text as the person signs it. */
function applicationDocument(site: Site, now: Date): string {
  return [
    `${site.name} 証券総合口座 申込内容確認書`,
    `作成日時 ${formatJapanTime(now)}`,
    '申込内容 証券総合口座（特定口座・源泉徴収あり）',
    '上記の内容を確認し、電子署名により申し込みます。',
  ].join('\n');
}

/** A sign transaction over DigestInfo(SHA-256(application)), with a client-credentials token; its authorization URL. */
async function startSigning(c: Context, deps: OidcDeps, key: Uint8Array, site: Site): Promise<URL> {
  const configuration = await deps.oidc.configuration();
  const document = applicationDocument(site, deps.clock());
  let response: Response;
  try {
    const credentials = await client.clientCredentialsGrant(configuration, { scope: 'sign' });
    response = await client.fetchProtectedResource(
      configuration,
      credentials.access_token,
      new URL(signTransactionsUrl(deps.oidc.options)),
      'POST',
      JSON.stringify({
        digest: digestInfoOf(document).toString('base64'),
        digest_info: true,
        title: `${site.name} 申込内容確認書`,
      }),
      new Headers({ 'content-type': 'application/json' }),
    );
  } catch (error) {
    throw flowErrorOf(error);
  }
  const started = (await response.json().catch(() => ({}))) as { sign_transaction_id?: unknown };
  if (response.status !== 201 || typeof started.sign_transaction_id !== 'string')
    throw new OidcFlowError(
      'ERR_OIDC_PROVIDER_UNAVAILABLE',
      `the sign transaction was refused: HTTP ${response.status}`,
    );
  const signTransactionId = started.sign_transaction_id;
  return authorize(
    c,
    deps,
    key,
    { flow: 'sign', signTransactionId, document },
    { scope: 'openid sign name', sign_transaction_id: signTransactionId },
  );
}

/** The application signed: the name from userinfo, the decrypted result, the firm's checks of the signature. */
async function finishSigning(c: Context, deps: OidcDeps, flow: OidcFlow) {
  if (!flow.signTransactionId || flow.document === undefined)
    throw new OidcFlowError('ERR_OIDC_NO_FLOW', 'the sign flow lost its transaction');
  const { configuration, tokens, sub } = await exchangeCode(c, deps, flow);
  let info: client.UserInfoResponse;
  let response: Response;
  try {
    info = await client.fetchUserInfo(configuration, tokens.access_token, sub);
    response = await client.fetchProtectedResource(
      configuration,
      tokens.access_token,
      new URL(`${signTransactionsUrl(deps.oidc.options)}/${encodeURIComponent(flow.signTransactionId)}/result`),
      'GET',
    );
  } catch (error) {
    throw flowErrorOf(error);
  }
  if (response.status !== 200)
    throw new OidcFlowError('ERR_OIDC_SIGN_RESULT', `the sign result was refused: HTTP ${response.status}`);
  const { result } = (await response.json().catch(() => ({}))) as { result?: unknown };
  const signed = await decryptSignResult(result, await deps.oidc.decryptionKey());
  const checked = checkSignResult(signed, {
    signTransactionId: flow.signTransactionId,
    document: flow.document,
    now: deps.clock(),
  });
  return { ...(info.name ? { name: info.name } : {}), ...checked };
}
