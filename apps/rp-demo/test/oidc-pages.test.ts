import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import { createRpDemoApp, RP_DEMO_MIGRATIONS, type RpDemoOidcOptions, type RpDemoSchema } from '../src/index.js';

const ISSUER = 'https://provider.example/api/realms/main';
const REDIRECT = 'http://127.0.0.1:8083/oidc/callback';
const SIGN_TRANSACTIONS = 'https://provider.example/api/sign-transactions';

/** The provider's discovery document, as the verifier publishes it (iss in authorization responses). */
const DISCOVERY = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/protocol/openid-connect/auth`,
  token_endpoint: `${ISSUER}/protocol/openid-connect/token`,
  userinfo_endpoint: `${ISSUER}/protocol/openid-connect/userinfo`,
  jwks_uri: `${ISSUER}/protocol/openid-connect/certs`,
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['private_key_jwt'],
  authorization_response_iss_parameter_supported: true,
};

/**
 * The デジタル認証アプリ方式 pages of the securities firm without a browser or a provider: the provider is a
 * discovery document behind the demo's `fetch`, and the callback is called as the provider would redirect.
 */
describe('the securities firm’s OpenID Connect pages', () => {
  let database: TestDatabase<RpDemoSchema>;
  let oidc: RpDemoOidcOptions;
  let reachable = true;
  const requested: string[] = [];

  beforeAll(async () => {
    database = await testDatabase<RpDemoSchema>('sqlite');
    await migrate(database.db as Kysely<unknown>, database.engine, RP_DEMO_MIGRATIONS);
    const signing = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
    const encryption = await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['decrypt'],
    );
    oidc = {
      issuer: ISSUER,
      clientId: 'RPtestclient',
      redirectUri: REDIRECT,
      signingKey: { ...(await crypto.subtle.exportKey('jwk', signing.privateKey)), kid: 'sig-1', alg: 'ES256' },
      encryptionKey: { ...(await crypto.subtle.exportKey('jwk', encryption.privateKey)), kid: 'enc-1' },
    };
  });
  afterAll(() => database?.dispose());

  const bodies = new Map<string, string>();
  /** The provider: its discovery document, client-credentials tokens and sign transactions. */
  const provider: typeof fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    requested.push(url);
    // openid-client sends its bodies as URLSearchParams or strings.
    const body = init?.body instanceof URLSearchParams ? init.body.toString() : (init?.body as string | undefined);
    bodies.set(url, body ?? '');
    if (!reachable) return Promise.reject(new TypeError('fetch failed'));
    if (url === `${ISSUER}/.well-known/openid-configuration`) return Promise.resolve(Response.json(DISCOVERY));
    if (url === DISCOVERY.token_endpoint && body?.includes('grant_type=client_credentials'))
      return Promise.resolve(Response.json({ access_token: 'at-sign', token_type: 'Bearer', expires_in: 600 }));
    if (url === SIGN_TRANSACTIONS)
      return Promise.resolve(Response.json({ sign_transaction_id: 'tx-1' }, { status: 201 }));
    return Promise.resolve(Response.json({ error: 'invalid_request' }, { status: 400 }));
  };
  const site = (withOidc: boolean) =>
    createRpDemoApp({
      db: database.db,
      verifier: { url: 'http://127.0.0.1:9', apiKey: 'unused' },
      walletUrl: 'http://127.0.0.1:8082',
      sealingKey: new Uint8Array(32).fill(7),
      clock: () => new Date(),
      fetch: provider,
      ...(withOidc ? { oidc } : {}),
    });

  /** Starts a login in a new browser: the authorization URL and the browser's cookies. */
  async function startLogin(app: ReturnType<typeof site>) {
    const started = await app.request('/oidc/login', { method: 'POST' });
    expect(started.status).toBe(303);
    const cookie = started.headers.getSetCookie().find((line) => line.startsWith('rp_oidc_flow='))!;
    return { authorization: new URL(started.headers.get('location')!), cookie: cookie.split(';')[0]! };
  }

  const callback = (app: ReturnType<typeof site>, cookie: string | undefined, query: Record<string, string>) =>
    app.request(`/oidc/callback?${new URLSearchParams(query)}`, { headers: cookie ? { cookie } : {} });

  it('offers neither button without an OpenID Connect client, and has no OIDC routes', async () => {
    const app = site(false);
    expect(await (await app.request('/login')).text()).not.toContain('oidc-login');
    expect(await (await app.request('/')).text()).not.toContain('oidc/apply');
    expect((await app.request('/oidc/apply')).status).toBe(404);
    expect((await app.request('/oidc/callback?code=x&state=y')).status).toBe(404);
  });

  it('starts the code flow with PKCE S256, state and nonce, kept sealed in an HttpOnly cookie', async () => {
    const app = site(true);
    expect(await (await app.request('/login')).text()).toContain('デジタル認証アプリ方式でログイン');
    const started = await app.request('/oidc/login', { method: 'POST' });
    const { authorization, cookie } = await startLogin(app);
    const params = authorization.searchParams;
    expect(authorization.href.startsWith(DISCOVERY.authorization_endpoint)).toBe(true);
    expect(Object.fromEntries(params)).toMatchObject({
      client_id: 'RPtestclient',
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      code_challenge_method: 'S256',
    });
    for (const name of ['state', 'nonce', 'code_challenge']) expect(params.get(name)).toMatch(/^[\w-]{22,}$/);
    expect(started.headers.getSetCookie().join()).toMatch(/HttpOnly/);
    // Sealed: neither the state nor the nonce can be read off the cookie.
    expect(cookie).not.toContain(params.get('state'));
    expect(Buffer.from(cookie.split('.')[3] ?? '', 'base64url').toString()).not.toContain(params.get('nonce'));
  });

  it('refuses a callback whose state is not the flow’s, before any token request, and clears the flow', async () => {
    const app = site(true);
    const { authorization, cookie } = await startLogin(app);
    const mismatch = await callback(app, cookie, { code: 'c-1', state: 'another-state', iss: ISSUER });
    expect(mismatch.status).toBe(400);
    const page = await mismatch.text();
    expect(page).toContain('data-code="ERR_OIDC_RESPONSE_MISMATCH"');
    expect(page).toContain('このブラウザで始めた手続きのものではありません');
    expect(requested.some((url) => url.startsWith(DISCOVERY.token_endpoint))).toBe(false);
    // The refused callback clears the flow: the browser, following it, has none left.
    expect(mismatch.headers.getSetCookie().join()).toMatch(/rp_oidc_flow=;.*Max-Age=0/i);
    const again = await callback(app, undefined, {
      code: 'c-1',
      state: authorization.searchParams.get('state')!,
      iss: ISSUER,
    });
    expect(await again.text()).toContain('data-code="ERR_OIDC_NO_FLOW"');
  });

  it('shows error=access_denied in Japanese, and a callback without its flow as expired', async () => {
    const app = site(true);
    const { authorization, cookie } = await startLogin(app);
    const state = authorization.searchParams.get('state')!;
    const denied = await callback(app, cookie, { error: 'access_denied', state, iss: ISSUER });
    expect(denied.status).toBe(403);
    const page = await denied.text();
    expect(page).toContain('data-code="ERR_OIDC_AUTHORIZATION_ERROR"');
    expect(page).toContain('マイナンバーカードでの認証が行われなかったか、認証できませんでした');
    const stray = await callback(app, undefined, { code: 'c-2', state, iss: ISSUER });
    expect(stray.status).toBe(400);
    expect(await stray.text()).toContain('別のブラウザで始められました');
  });

  it('starts a sign transaction over the DigestInfo of the application text, then the authorization with it', async () => {
    const app = site(true);
    const form = await (await app.request('/oidc/apply')).text();
    expect(form).toContain('電子署名で申込内容を確認');
    expect(form).toContain('デジタル認証アプリ方式で申し込む');
    const started = await app.request('/oidc/apply', { method: 'POST' });
    expect(started.status).toBe(303);
    const { digest, digest_info } = JSON.parse(bodies.get(SIGN_TRANSACTIONS)!) as {
      digest: string;
      digest_info: boolean;
    };
    expect(digest_info).toBe(true);
    expect(Buffer.from(digest, 'base64').subarray(0, 19).toString('hex')).toBe(
      '3031300d060960864801650304020105000420',
    );
    const authorization = new URL(started.headers.get('location')!);
    expect(authorization.searchParams.get('scope')).toBe('openid sign name');
    expect(authorization.searchParams.get('sign_transaction_id')).toBe('tx-1');
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('tells the person when the provider cannot be reached', async () => {
    reachable = false;
    try {
      const unreachable = await site(true).request('/oidc/login', { method: 'POST' });
      expect(unreachable.status).toBe(502);
      expect(await unreachable.text()).toContain('data-code="ERR_OIDC_PROVIDER_UNAVAILABLE"');
    } finally {
      reachable = true;
    }
  });
});
