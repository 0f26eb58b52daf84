import { SEX_CODES, type SexCode } from '@openmyna/core';
import type { Context } from 'hono';
import type Provider from 'oidc-provider';
import QRCode from 'qrcode';

import { isoTime } from '../context.js';
import { createPresentation, type PresentationInput } from '../create-presentation.js';
import { presentationFor, presentationRow } from '../presentation-results.js';
import { relyingParty, type RelyingParty } from '../relying-parties.js';
import { PresentationRejectionSchema } from '../result-schemas.js';
import { databaseAdapter } from './adapter.js';
import { oidcClient } from './clients.js';
import { FOUR_INFO_SCOPES } from './paths.js';
import { OIDC_ACR, OIDC_AMR, saveAccount, type AccountClaims } from './provider.js';
import { sweepExpiredOidc } from './sweep.js';
import { failSignTransaction, recordSignResult, takeSignTransaction } from './sign-transactions.js';
import { nodeOf, sentBy, type OidcDeps } from './node.js';

/** The provider's record linking an authorization (its interaction) to the presentation that answers it. */
const LINK_MODEL = 'OpenmynaPresentationLink';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What an interaction is about: its client's relying party, its scopes, its sign transaction. */
interface Authorization {
  readonly details: Details;
  readonly party: RelyingParty;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly signTransactionId: string | undefined;
}

async function authorizationOf(deps: OidcDeps, c: Context): Promise<Authorization | Response> {
  const node = nodeOf(c, deps.options.publicUrl);
  if (!node) return c.json({ error: 'server_error', error_description: 'the provider needs a Node HTTP server' }, 501);
  const provider = await deps.provider();
  let details: Details;
  try {
    details = await provider.interactionDetails(node.req, node.res);
  } catch {
    return page(
      c,
      400,
      '認証を続けられません',
      'この認証は期限切れか、別のブラウザで始められました。サービスの画面からやり直してください。',
    );
  }
  if (details.uid !== c.req.param('uid'))
    return page(c, 400, '認証を続けられません', 'この認証は別のブラウザで始められました。');
  const clientId = String(details.params['client_id']);
  const client = await oidcClient(deps.context, clientId);
  if (!client) return page(c, 400, '認証を続けられません', 'このサービスは登録されていません。');
  return {
    details,
    party: await relyingParty(deps.context, client.rpId),
    clientId,
    scopes: typeof details.params['scope'] === 'string' ? details.params['scope'].split(' ') : [],
    signTransactionId:
      typeof details.params['sign_transaction_id'] === 'string' ? details.params['sign_transaction_id'] : undefined,
  };
}

/**
 * `GET …/interaction/{uid}`: the page the browser lands on. It starts the OpenID4VP presentation that
 * answers this authorization (once: a reload shows the same one) and shows its QR code for a phone
 * (cross-device) and its link for a wallet on this device, then follows the answer by itself.
 * `Accept: application/json` gives the same as JSON (for a CLI wallet, and tests).
 */
export async function interactionPage(deps: OidcDeps, c: Context): Promise<Response> {
  const authorization = await authorizationOf(deps, c);
  if (authorization instanceof Response) return authorization;
  const { details, party } = authorization;
  const linked = await linkedPresentation(deps, details.uid);
  let presentation: { id: string; link: string; expiresAt: string };
  if (linked) presentation = linked;
  else {
    const input = await presentationInputFor(deps, authorization);
    if (!input)
      return finishWithError(deps, c, 'invalid_request', 'the sign transaction was used already or has expired');
    const created = await createPresentation(deps.context, deps.services, party, input);
    presentation = { id: created.id, link: created.link, expiresAt: created.expiresAt };
    await links(deps).upsert(
      details.uid,
      { ...presentation },
      Math.max(1, details.exp - Math.floor(Date.now() / 1000)),
    );
  }
  const base = `${deps.paths.issuer}${deps.paths.interaction}/${details.uid}`;
  c.header('cache-control', 'no-store');
  if ((c.req.header('accept') ?? '').includes('application/json'))
    return c.json({
      link: presentation.link,
      expiresAt: presentation.expiresAt,
      status: `${base}/status`,
      complete: `${base}/complete`,
      cancel: `${base}/cancel`,
    });
  return c.html(await pageFor(authorization, presentation.link, base));
}

/** The page with the QR code and the same-device link, which follows the answer by itself. */
async function pageFor(authorization: Authorization, link: string, base: string): Promise<string> {
  const { party } = authorization;
  const qr = await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const what = purposeOf(authorization);
  return layout(
    `${party.name} — マイナンバーカードで認証`,
    `<h1>${escapeHtml(party.name)}</h1>
<p data-testid="purpose">${escapeHtml(what)}</p>
<p>スマートフォンのウォレットでこのQRコードを読み取ってください。</p>
<div data-testid="qr" class="qr" role="img" aria-label="ウォレットで読み取るQRコード">${qr}</div>
<p><a data-testid="same-device" href="${escapeHtml(link)}">このスマートフォンのウォレットで開く</a></p>
<p data-testid="waiting">スマートフォンでの操作を待っています…</p>
<p data-testid="stopped" hidden>スマホで中止されました。もう一度読み取るか、取りやめてください。</p>
<p><a data-testid="cancel" href="${escapeHtml(`${base}/cancel`)}">取りやめる</a></p>
<script>
(function poll() {
  fetch(${JSON.stringify(`${base}/status`)}, { headers: { accept: 'application/json' } })
    .then(function (r) { return r.json(); })
    .then(function (s) {
      // The phone gave up: the page stops saying it waits, and still follows a later answer (below).
      document.querySelector('[data-testid=waiting]').hidden = !!s.stopped;
      document.querySelector('[data-testid=stopped]').hidden = !s.stopped;
      if (s.status === 'pending') return setTimeout(poll, 1000);
      location.href = ${JSON.stringify(`${base}/complete`)};
    })
    .catch(function () { setTimeout(poll, 2000); });
})();
</script>`,
  );
}

/**
 * `GET …/status`: pending, completed or failed — of this browser's authorization only; `stopped` while
 * pending when the last thing a wallet sent was an error response (the holder declined, or a PIN locked).
 * Such a response is unsigned — whoever saw the QR code could send one — so it does not end the request
 * (docs/verifier.md): the page says the phone stopped and still completes on the holder's own answer.
 */
export async function interactionStatus(deps: OidcDeps, c: Context): Promise<Response> {
  const authorization = await authorizationOf(deps, c);
  if (authorization instanceof Response) return authorization;
  const linked = await linkedPresentation(deps, authorization.details.uid);
  c.header('cache-control', 'no-store');
  if (!linked) return c.json({ status: 'failed' });
  const row = await presentationRow(deps.context, linked.id);
  const expired = row.status === 'pending' && row.expires_at < isoTime(deps.context.clock());
  const status = row.status === 'completed' ? 'completed' : row.status === 'failed' || expired ? 'failed' : 'pending';
  const stopped =
    status === 'pending' &&
    row.last_rejection !== null &&
    PresentationRejectionSchema.parse(JSON.parse(row.last_rejection)).check === 'wallet.response';
  return c.json({ status, ...(stopped ? { stopped: true } : {}) });
}

/** `GET …/cancel`: the person at the browser gives up; the client hears `access_denied`. */
export async function cancelInteraction(deps: OidcDeps, c: Context): Promise<Response> {
  const authorization = await authorizationOf(deps, c);
  if (authorization instanceof Response) return authorization;
  if (authorization.signTransactionId) await failSignTransaction(deps.context, authorization.signTransactionId);
  return finishWithError(deps, c, 'access_denied', 'the holder cancelled the authorization');
}

/** Ends the authorization with an OAuth error: the provider redirects to the client with it. */
async function finishWithError(deps: OidcDeps, c: Context, error: string, description: string): Promise<Response> {
  const node = nodeOf(c, deps.options.publicUrl)!;
  await (
    await deps.provider()
  ).interactionFinished(
    node.req,
    node.res,
    { error, error_description: description },
    { mergeWithLastSubmission: false },
  );
  return sentBy(node.res);
}

/**
 * `GET …/complete`: ends the authorization with the presentation's result. Valid: the pairwise subject
 * from the authentication certificate, the 4 info from the signing certificate, the signature of a sign
 * transaction, a grant of exactly the scopes asked for; then back to the provider, which redirects to the
 * client with the code. Otherwise the client gets `access_denied`.
 */
export async function completeInteraction(deps: OidcDeps, c: Context): Promise<Response> {
  const authorization = await authorizationOf(deps, c);
  if (authorization instanceof Response) return authorization;
  const { details, party, signTransactionId } = authorization;
  const linked = await linkedPresentation(deps, details.uid);
  const deny = async (description: string) => {
    if (signTransactionId) await failSignTransaction(deps.context, signTransactionId);
    return finishWithError(deps, c, 'access_denied', description);
  };
  if (!linked) return deny('the authorization was not answered');
  // Completed before (a reload, a second tab, a crash after this point): the same outcome again.
  if (linked.completion) return finish(deps, c, linked.completion);
  const view = await presentationFor(deps.context, deps.services, party, linked.id);
  if (view.status === 'pending' || view.status === 'processing')
    return c.redirect(`${deps.paths.issuer}${deps.paths.interaction}/${details.uid}`, 303);
  if (view.status !== 'completed')
    return deny(`the card authentication failed (${view.result?.decidedBy?.check ?? 'failed'})`);
  const claims = view.claims as Record<string, Record<string, string> | undefined> | undefined;
  const login = claims?.['login'];
  // The values were taken by a completion that did not get to record itself (it crashed in between):
  // nothing to complete with, and nothing changed.
  if (!claims || !login?.['subject'])
    return page(
      c,
      409,
      '認証は完了しています',
      'この認証はすでに処理されました。サービスの画面からやり直してください。',
    );
  const signed = claims['sign'];
  if (signTransactionId && (!signed?.['signature'] || !signed['certificate']))
    return deny('the phone did not sign the transaction');
  const completion = await recordCompletion(deps, authorization, linked, {
    sub: login['party_subject'] ?? login['subject'],
    ...(signed ? { signed } : {}),
  });
  return finish(deps, c, completion);
}

/** How an authorization was completed: kept with its link, so completing again gives the same outcome. */
interface Completion {
  readonly sub: string;
  readonly grantId: string;
}

/**
 * Records what the answer established, once: the grant of exactly the scopes asked for, the 4 info for
 * that grant's tokens, the transaction's signature for that grant's access token, then the completion.
 */
async function recordCompletion(
  deps: OidcDeps,
  authorization: Authorization,
  linked: LinkedPresentation,
  outcome: { readonly sub: string; readonly signed?: Record<string, string> },
): Promise<Completion> {
  const provider = await deps.provider();
  const { sub, signed } = outcome;
  const grant = new provider.Grant({ accountId: sub, clientId: authorization.clientId });
  grant.addOIDCScope(authorization.scopes.join(' '));
  const grantId = await grant.save();
  await saveAccount(deps.context, deps.options.sealingKey, grantId, signed ? accountClaimsOf(signed) : {});
  if (authorization.signTransactionId && signed)
    await recordSignResult(deps.context, deps.options.sealingKey, authorization.signTransactionId, grantId, {
      signature: signed['signature']!,
      certificate: signed['certificate']!,
    });
  await sweepExpiredOidc(deps.context);
  const completion = { sub, grantId };
  const { uid, exp } = authorization.details;
  await links(deps).upsert(uid, { ...linked, completion }, Math.max(1, exp - Math.floor(Date.now() / 1000)));
  return completion;
}

/** Back to the provider with the holder authenticated and the grant: it redirects to the client with the code. */
async function finish(deps: OidcDeps, c: Context, completion: Completion): Promise<Response> {
  const node = nodeOf(c, deps.options.publicUrl)!;
  await (
    await deps.provider()
  ).interactionFinished(
    node.req,
    node.res,
    {
      login: {
        accountId: completion.sub,
        acr: OIDC_ACR,
        amr: OIDC_AMR,
        remember: false,
        ts: Math.floor(Date.now() / 1000),
      },
      consent: { grantId: completion.grantId },
    },
    { mergeWithLastSubmission: false },
  );
  return sentBy(node.res);
}

/**
 * What the phone is asked for: always the JPKI authentication (the subject); with a sign transaction its
 * digest signed by the signing key; with 4-info scopes and no transaction a signature over a statement of
 * what is given to whom, whose certificate carries the 4 info.
 */
async function presentationInputFor(
  deps: OidcDeps,
  authorization: Authorization,
): Promise<PresentationInput | undefined> {
  const { party, details, clientId, signTransactionId, scopes } = authorization;
  const purpose = purposeOf(authorization);
  if (signTransactionId) {
    const transaction = await takeSignTransaction(deps.context, signTransactionId, clientId, details.uid);
    if (!transaction) return undefined;
    return {
      purpose,
      login: true,
      signDigest: {
        digest: Buffer.from(transaction.digest, 'base64url'),
        digestInfo: transaction.digest_info === 1,
        title: transaction.title,
      },
    };
  }
  const fourInfo = FOUR_INFO_SCOPES.filter((scope) => scopes.includes(scope));
  if (fourInfo.length === 0) return { purpose, login: true };
  const statement = `${party.name} に基本4情報(氏名・住所・生年月日・性別)を提供します。\n認証 ${details.uid}\n`;
  return {
    purpose,
    login: true,
    sign: {
      document: new TextEncoder().encode(statement),
      title: '基本4情報の提供',
      mediaType: 'text/plain; charset=utf-8',
    },
  };
}

function purposeOf(authorization: Authorization): string {
  if (authorization.signTransactionId) return '電子署名(署名用電子証明書)と利用者の認証';
  return FOUR_INFO_SCOPES.some((scope) => authorization.scopes.includes(scope))
    ? 'ログインと基本4情報の提供'
    : 'ログイン(利用者証明用電子証明書)';
}

/** The presentation answering an authorization, and its completion once there is one. */
interface LinkedPresentation {
  readonly id: string;
  readonly link: string;
  readonly expiresAt: string;
  readonly completion?: Completion;
}

async function linkedPresentation(deps: OidcDeps, uid: string): Promise<LinkedPresentation | undefined> {
  return (await links(deps).find(uid)) as LinkedPresentation | undefined;
}

const links = (deps: OidcDeps) => new (databaseAdapter(deps.context))(LINK_MODEL);

/** The 4 info of a signing certificate as OpenID Connect claims (docs/oidc.md). */
function accountClaimsOf(signed: Record<string, string>): AccountClaims {
  const sex = signed['sex'] as SexCode | undefined;
  return {
    ...(signed['name'] ? { name: signed['name'] } : {}),
    ...(signed['address'] ? { address: { formatted: signed['address'] } } : {}),
    ...(signed['birth_date'] ? { birthdate: signed['birth_date'] } : {}),
    ...(sex && SEX_CODES[sex] ? { gender: SEX_CODES[sex].en } : {}),
  };
}

function page(c: Context, status: 400 | 409, title: string, message: string): Response {
  return c.html(
    layout(title, `<h1>${escapeHtml(title)}</h1><p data-testid="error">${escapeHtml(message)}</p>`),
    status,
  );
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222}.qr svg{width:16rem;height:16rem}</style>
</head><body><main>${body}</main></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
