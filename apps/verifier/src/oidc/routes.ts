import type { IncomingMessage } from 'node:http';

import { bearerToken } from '@openmyna/service';
import type { Context, Hono } from 'hono';
import type Provider from 'oidc-provider';

import type { RouteDeps } from '../http/route-deps.js';
import { oidcClient } from './clients.js';
import { nodeOf, sentBy, type OidcDeps } from './node.js';
import { cancelInteraction, completeInteraction, interactionPage, interactionStatus } from './interactions.js';
import { DEFAULT_OIDC_PATHS, type OidcOptions, type OidcPaths } from './paths.js';
import { createOidcProvider } from './provider.js';
import {
  createSignTransaction,
  SIGN_TRANSACTION_SECONDS,
  SignTransactionRefusal,
  signResultFor,
  type SignTransactionInput,
} from './sign-transactions.js';

/**
 * Installs the デジタル認証アプリ-compatible OpenID Provider beside the Hono routes (docs/oidc.md): the
 * interaction pages and the sign transactions as Hono routes, everything else under the issuer path handed
 * to `oidc-provider`.
 */
// Any Hono app: the verifier's environment is not the provider's concern.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function installOidc(app: Hono<any, any, any>, deps: RouteDeps, options: OidcOptions = {}): void {
  const paths: OidcPaths = { ...DEFAULT_OIDC_PATHS, ...options.paths };
  let made: Promise<Provider> | undefined;
  const provider = () =>
    (made ??= createOidcProvider({
      context: deps.context,
      sealingKey: deps.options.sealingKey,
      publicUrl: deps.options.publicUrl,
      paths,
    }).catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
  const oidc: OidcDeps = {
    ...deps,
    paths,
    provider,
    signTransactionSeconds: options.signTransactionSeconds ?? SIGN_TRANSACTION_SECONDS,
  };
  const interactions = `${paths.issuer}${paths.interaction}/:uid`;
  app.get(interactions, (c) => interactionPage(oidc, c));
  app.get(`${interactions}/status`, (c) => interactionStatus(oidc, c));
  app.get(`${interactions}/complete`, (c) => completeInteraction(oidc, c));
  app.get(`${interactions}/cancel`, (c) => cancelInteraction(oidc, c));
  app.post(paths.signTransactions, (c) => startSignTransaction(oidc, c));
  app.get(`${paths.signTransactions}/:id/result`, (c) => signTransactionResult(oidc, c));
  const mount = async (c: Context) => {
    const node = nodeOf(c, deps.options.publicUrl);
    if (!node)
      return c.json({ error: 'server_error', error_description: 'the provider needs a Node HTTP server' }, 501);
    // The request guard has opened the body as a web stream, which takes the Node stream's chunks as they
    // come: the provider cannot read the Node stream too. It is read here in full and handed over as
    // `req.body`, which the provider reads then (with a one-time notice that a parser came first).
    if (c.req.method === 'POST') (node.req as IncomingMessage & { body?: string }).body = await c.req.text();
    const url = new URL(c.req.url);
    const original = node.req.url ?? '';
    // The provider answers at paths relative to its mount path (the issuer's), and learns that from originalUrl.
    (node.req as IncomingMessage & { originalUrl?: string }).originalUrl = original;
    node.req.url = (url.pathname.slice(paths.issuer.length) || '/') + url.search;
    const handle = (await provider()).callback();
    await new Promise<void>((done, fail) => {
      node.res.once('finish', done);
      node.res.once('close', done);
      Promise.resolve(handle(node.req, node.res)).catch(fail);
    });
    return sentBy(node.res);
  };
  app.all(paths.issuer, mount);
  app.all(`${paths.issuer}/*`, mount);
}

/** The JSON error of the sign-transaction endpoints: `{ error, error_description }`, no-store. */
function refused(c: Context, refusal: SignTransactionRefusal): Response {
  c.header('cache-control', 'no-store');
  if (refusal.status === 401) c.header('www-authenticate', `Bearer error="${refusal.error}"`);
  return c.json({ error: refusal.error, error_description: refusal.description }, refusal.status);
}

/** `POST /api/sign-transactions`: a client-credentials access token with the `sign` scope. */
async function startSignTransaction(deps: OidcDeps, c: Context): Promise<Response> {
  try {
    const provider = await deps.provider();
    const token = bearerToken(c.req.header('authorization'));
    const credentials = token ? await provider.ClientCredentials.find(token) : undefined;
    if (!credentials)
      throw new SignTransactionRefusal(401, 'invalid_token', 'a client-credentials access token is required');
    if (
      !String(credentials.scope ?? '')
        .split(' ')
        .includes('sign')
    )
      throw new SignTransactionRefusal(403, 'insufficient_scope', 'the access token has no sign scope');
    const client = await oidcClient(deps.context, credentials.clientId ?? '');
    if (!client) throw new SignTransactionRefusal(401, 'invalid_token', 'the client of this access token is gone');
    let body: SignTransactionInput;
    try {
      body = await c.req.json<SignTransactionInput>();
    } catch {
      throw new SignTransactionRefusal(400, 'invalid_request', 'the body is a JSON object');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new SignTransactionRefusal(400, 'invalid_request', 'the body is a JSON object');
    const created = await createSignTransaction(deps.context, client, body, deps.signTransactionSeconds);
    c.header('cache-control', 'no-store');
    return c.json({ sign_transaction_id: created.id, expires_in: created.expiresIn }, 201);
  } catch (error) {
    if (error instanceof SignTransactionRefusal) return refused(c, error);
    throw error;
  }
}

/** `GET /api/sign-transactions/{id}/result`: the access token of the authorization that signed. */
async function signTransactionResult(deps: OidcDeps, c: Context): Promise<Response> {
  try {
    const provider = await deps.provider();
    const token = bearerToken(c.req.header('authorization'));
    const access = token ? await provider.AccessToken.find(token) : undefined;
    if (!access) throw new SignTransactionRefusal(401, 'invalid_token', 'an access token is required');
    if (
      !String(access.scope ?? '')
        .split(' ')
        .includes('sign')
    )
      throw new SignTransactionRefusal(403, 'insufficient_scope', 'the access token has no sign scope');
    const client = await oidcClient(deps.context, access.clientId ?? '');
    if (!client) throw new SignTransactionRefusal(401, 'invalid_token', 'the client of this access token is gone');
    const id = c.req.param('id') ?? '';
    const result = await signResultFor(deps.context, deps.options.sealingKey, client, id, access.grantId);
    c.header('cache-control', 'no-store');
    return c.json({ sign_transaction_id: id, result });
  } catch (error) {
    if (error instanceof SignTransactionRefusal) return refused(c, error);
    throw error;
  }
}
