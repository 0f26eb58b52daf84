import { generateKeyPairSync, webcrypto } from 'node:crypto';

import { compactDecrypt, importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';

/**
 * A browser as far as the OpenID Provider needs one: it keeps cookies (every cookie sent on every
 * request; the provider's are path-scoped, which changes nothing here) and follows redirects by hand, so a
 * test sees each hop.
 */
export class OidcBrowser {
  private readonly cookies = new Map<string, string>();

  async get(url: string, accept?: string): Promise<Response> {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(accept ? { accept } : {}),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      this.cookies.set(name!.trim(), rest.join('='));
    }
    return response;
  }

  /** Follows redirects from `url` until one leaves the `origins` (to the client's redirect URI) or a page answers. */
  async follow(url: string, origins: string | readonly string[]): Promise<{ url: string; response?: Response }> {
    const ours = typeof origins === 'string' ? [origins] : origins;
    let next = url;
    for (let hop = 0; hop < 10; hop++) {
      if (!ours.some((origin) => next.startsWith(origin))) return { url: next };
      const response = await this.get(next);
      const location = response.headers.get('location');
      if (!location || response.status < 300 || response.status >= 400) return { url: next, response };
      next = new URL(location, next).href;
    }
    throw new Error('too many redirects');
  }
}

/** What the authorization page gives a phone and a browser (`Accept: application/json`). */
export interface OidcInteraction {
  readonly link: string;
  readonly status: string;
  readonly complete: string;
  readonly cancel: string;
}

/** A relying party's OIDC client registered with the verifier's admin API, and openid-client configured for it. */
export async function oidcRelyingParty(options: {
  readonly verifier: string;
  readonly adminToken: string;
  readonly rpId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
}): Promise<{ config: oidc.Configuration; encryptionKey: JWK }> {
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const encryption = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const registered = (await (
    await fetch(`${options.verifier}/admin/relying-parties/${options.rpId}/oidc-client`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        redirectUris: [options.redirectUri],
        jwks: {
          keys: [
            { ...signing.publicKey.export({ format: 'jwk' }), use: 'sig', kid: 'sig-1' },
            { ...encryption.publicKey.export({ format: 'jwk' }), use: 'enc', kid: 'enc-1' },
          ],
        },
        scopes: ['openid', ...options.scopes],
      }),
    })
  ).json()) as { clientId: string; issuer: string };
  const key = await webcrypto.subtle.importKey(
    'jwk',
    signing.privateKey.export({ format: 'jwk' }),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const config = await oidc.discovery(
    new URL(registered.issuer),
    registered.clientId,
    { id_token_signed_response_alg: 'RS256' },
    oidc.PrivateKeyJwt({ key, kid: 'sig-1' }),
    { execute: [oidc.allowInsecureRequests] },
  );
  return { config, encryptionKey: encryption.privateKey.export({ format: 'jwk' }) };
}

/** An authorization begun in a browser: the page's JSON, and what the relying party keeps to check the answer. */
export interface OidcFlow {
  readonly browser: OidcBrowser;
  readonly interaction: OidcInteraction;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

/** The browser opens the authorization URL and lands on the page with the QR code (read as JSON). */
export async function beginOidcAuthorization(
  config: oidc.Configuration,
  redirectUri: string,
  parameters: Record<string, string>,
): Promise<OidcFlow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...parameters,
  });
  const browser = new OidcBrowser();
  const first = await browser.get(url.href);
  if (first.status !== 303)
    throw new Error(`the authorization endpoint answered ${first.status}: ${await first.text()}`);
  const page = await browser.get(new URL(first.headers.get('location')!, url).href, 'application/json');
  if (page.status !== 200) throw new Error(`the authorization page answered ${page.status}`);
  return { browser, interaction: (await page.json()) as OidcInteraction, verifier, state, nonce };
}

/** Once the phone answered: the page's completion, followed to the client's redirect URI. */
export async function finishOidcAuthorization(
  flow: OidcFlow,
  base: string,
  instances: readonly string[] = [base],
): Promise<URL> {
  const done = await flow.browser.follow(new URL(flow.interaction.complete, base).href, instances);
  return new URL(done.url);
}

/** A sign transaction started with a client-credentials token: its id. */
export async function startSignTransaction(
  config: oidc.Configuration,
  base: string,
  body: { digest: string; digest_info?: boolean; title?: string },
): Promise<string> {
  const credentials = await oidc.clientCredentialsGrant(config, { scope: 'sign' });
  const started = await fetch(`${base}/api/sign-transactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credentials.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (started.status !== 201) throw new Error(`the sign transaction was refused: ${await started.text()}`);
  return ((await started.json()) as { sign_transaction_id: string }).sign_transaction_id;
}

/** The result of sign transaction `id` read with `accessToken`, decrypted with the client's key. */
export async function signResult(
  config: oidc.Configuration,
  base: string,
  id: string,
  accessToken: string,
  encryptionKey: JWK,
): Promise<{ signature: string; certificate: string }> {
  const response = await oidc.fetchProtectedResource(
    config,
    accessToken,
    new URL(`${base}/api/sign-transactions/${id}/result`),
    'GET',
  );
  if (response.status !== 200) throw new Error(`the sign result answered ${response.status}`);
  const { result } = (await response.json()) as { result: string };
  const { plaintext } = await compactDecrypt(
    result,
    await importJWK({ ...encryptionKey, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256'),
  );
  return JSON.parse(new TextDecoder().decode(plaintext)) as { signature: string; certificate: string };
}
