import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { migrate } from '@openmyna/storage';
import { CompactEncrypt, exportJWK, SignJWT, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import { createRpDemoApp, RP_DEMO_MIGRATIONS, type RpDemoSchema } from '../src/index.js';

const ISSUER = 'https://provider.example/api/realms/main';
const REDIRECT = 'http://127.0.0.1:8083/oidc/callback';
const SIGN_TRANSACTIONS = 'https://provider.example/api/sign-transactions';
const CLIENT_ID = 'RPcallbacks';
/** A fixed clock (the application text is the same on the page and in the flow), after the certificate is made. */
const NOW = new Date(Date.now() + 60_000);
const ENDPOINTS = {
  authorization_endpoint: `${ISSUER}/protocol/openid-connect/auth`,
  token_endpoint: `${ISSUER}/protocol/openid-connect/token`,
  userinfo_endpoint: `${ISSUER}/protocol/openid-connect/userinfo`,
  jwks_uri: `${ISSUER}/protocol/openid-connect/certs`,
};

/** A provider behind the demo's `fetch`: it answers what the real one does, for the one flow under way. */
class FakeProvider {
  /** The flow the browser was sent off with: its nonce goes into the ID token. */
  nonce = '';
  sub = 'pairwise-sub-1';
  signResult: Record<string, string> | undefined;

  private constructor(
    private readonly idTokenKey: CryptoKey,
    private readonly jwks: { keys: JWK[] },
    private readonly firmEncryptionKey: CryptoKey,
  ) {}

  static async create(firmEncryptionKey: CryptoKey): Promise<FakeProvider> {
    const pair = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'id-token', alg: 'RS256', use: 'sig' };
    return new FakeProvider(pair.privateKey, { keys: [jwk] }, firmEncryptionKey);
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const body = init?.body instanceof URLSearchParams ? init.body.toString() : ((init?.body as string) ?? '');
    if (url === `${ISSUER}/.well-known/openid-configuration`)
      return Response.json({
        issuer: ISSUER,
        ...ENDPOINTS,
        response_types_supported: ['code'],
        authorization_response_iss_parameter_supported: true,
      });
    if (url === ENDPOINTS.jwks_uri) return Response.json(this.jwks);
    if (url === ENDPOINTS.token_endpoint && body.includes('grant_type=client_credentials'))
      return Response.json({ access_token: 'at-sign', token_type: 'Bearer', expires_in: 600 });
    if (url === ENDPOINTS.token_endpoint && body.includes('code=good-code') && body.includes('code_verifier='))
      return Response.json({
        access_token: 'at-user',
        token_type: 'Bearer',
        expires_in: 600,
        id_token: await this.idToken(),
      });
    if (url === ENDPOINTS.token_endpoint) return Response.json({ error: 'invalid_grant' }, { status: 400 });
    if (url === ENDPOINTS.userinfo_endpoint) return Response.json({ sub: this.sub, name: '署名 花子' });
    if (url === SIGN_TRANSACTIONS) return Response.json({ sign_transaction_id: 'tx-1' }, { status: 201 });
    if (url === `${SIGN_TRANSACTIONS}/tx-1/result` && this.signResult)
      return Response.json({ result: await this.encrypt(this.signResult) });
    return Response.json({ error: 'not_found' }, { status: 404 });
  };

  private idToken(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ nonce: this.nonce, acr: 'aal3', amr: ['hwk', 'pin'], auth_time: now })
      .setProtectedHeader({ alg: 'RS256', kid: 'id-token' })
      .setIssuer(ISSUER)
      .setAudience(CLIENT_ID)
      .setSubject(this.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(this.idTokenKey);
  }

  private encrypt(plaintext: unknown): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(plaintext)))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })
      .encrypt(this.firmEncryptionKey);
  }
}

/**
 * The demo's callbacks through to their ends against a provider that answers as the real one: the login
 * finds the account by the ID token's `sub`; the signature's result is decrypted and checked against its
 * certificate. (The phone side of sign transactions is not there yet: this is the firm's side alone.)
 */
describe('the securities firm’s OpenID Connect callbacks, to their ends', () => {
  let database: TestDatabase<RpDemoSchema>;
  let provider: FakeProvider;
  let app: ReturnType<typeof createRpDemoApp>;
  const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let certificate: string;

  beforeAll(async () => {
    database = await testDatabase<RpDemoSchema>('sqlite');
    await migrate(database.db as Kysely<unknown>, database.engine, RP_DEMO_MIGRATIONS);
    const signing = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
    const encryption = await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['encrypt', 'decrypt'],
    );
    provider = await FakeProvider.create(encryption.publicKey);
    app = createRpDemoApp({
      db: database.db,
      verifier: { url: 'http://127.0.0.1:9', apiKey: 'unused' },
      walletUrl: 'http://127.0.0.1:8082',
      sealingKey: new Uint8Array(32).fill(9),
      clock: () => NOW,
      fetch: provider.fetch,
      oidc: {
        issuer: ISSUER,
        clientId: CLIENT_ID,
        redirectUri: REDIRECT,
        signingKey: { ...(await exportJWK(signing.privateKey)), kid: 'sig-1', alg: 'ES256' },
        encryptionKey: { ...(await exportJWK(encryption.privateKey)), kid: 'enc-1' },
      },
    });
    const work = mkdtempSync(join(tmpdir(), 'openmyna-rp-callbacks-'));
    writeFileSync(join(work, 'key.pem'), signer.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    execFileSync('openssl', [
      'req',
      '-x509',
      '-new',
      '-utf8',
      '-key',
      join(work, 'key.pem'),
      '-subj',
      '/CN=署名 花子',
      '-days',
      '1',
      '-outform',
      'DER',
      '-out',
      join(work, 'cert.der'),
    ]);
    certificate = readFileSync(join(work, 'cert.der')).toString('base64');
  });
  afterAll(() => database?.dispose());

  /** Starts a flow at `path` in a new browser; the provider learns its nonce as the real one would. */
  async function start(path: string) {
    const started = await app.request(path, { method: 'POST' });
    expect(started.status).toBe(303);
    const authorization = new URL(started.headers.get('location')!);
    provider.nonce = authorization.searchParams.get('nonce')!;
    const cookie = started.headers.getSetCookie()[0]!.split(';')[0]!;
    const back = (code: string) =>
      app.request(
        `/oidc/callback?${new URLSearchParams({ code, state: authorization.searchParams.get('state')!, iss: ISSUER })}`,
        { headers: { cookie } },
      );
    return { authorization, back };
  }

  it('logs in to the account whose login subject is the ID token’s sub; none for another sub', async () => {
    await database.db
      .insertInto('applications')
      .values({
        id: 'app-1',
        answers: '{}',
        document: '',
        presentation_id: null,
        state: 'opened',
        refusal: null,
        account_no: '2026-0000000001',
        created_at: new Date().toISOString(),
      })
      .execute();
    await database.db
      .insertInto('accounts')
      .values({
        account_no: '2026-0000000001',
        application_id: 'app-1',
        name: '署名 花子',
        address: '東京都',
        birth_date: '1990-01-01',
        sex: '2',
        my_number_sealed: new Uint8Array(28),
        verification: '[]',
        opened_at: new Date().toISOString(),
        login_subject: 'pairwise-sub-1',
      })
      .execute();
    const signedIn = await (await start('/oidc/login')).back('good-code');
    expect(signedIn.status, await signedIn.clone().text()).toBe(303);
    expect(signedIn.headers.get('location')).toBe('../mypage');
    const session = signedIn.headers.getSetCookie().find((line) => line.startsWith('rp_session='))!;
    const mypage = await app.request('/mypage', { headers: { cookie: session.split(';')[0]! } });
    expect(await mypage.text()).toContain('署名 花子 様');

    provider.sub = 'pairwise-sub-2';
    try {
      const unknown = await (await start('/oidc/login')).back('good-code');
      expect(unknown.status).toBe(403);
      expect(await unknown.text()).toContain('data-code="ERR_OIDC_ACCOUNT_UNKNOWN"');
    } finally {
      provider.sub = 'pairwise-sub-1';
    }
  });

  it('refuses a code the provider does not take, in words', async () => {
    const refused = await (await start('/oidc/login')).back('stale-code');
    expect(refused.status).toBe(502);
    expect(await refused.text()).toContain('data-code="ERR_OIDC_PROVIDER_UNAVAILABLE"');
  });

  it('shows the signed application: the name from userinfo, the signer, every check passed', async () => {
    // The page's text (the clock is fixed) is what the flow keeps: the phone signs DigestInfo(SHA-256(text)),
    // which is RSA-SHA256 of the text.
    const shown = /<pre[^>]*>([^<]*)<\/pre>/.exec(await (await app.request('/oidc/apply')).text())![1]!;
    const signature = sign('sha256', Buffer.from(shown, 'utf8'), signer.privateKey).toString('base64');
    provider.signResult = { sign_transaction_id: 'tx-1', signature, certificate };
    const signed = await (await start('/oidc/apply')).back('good-code');
    expect(signed.status).toBe(200);
    const html = await signed.text();
    expect(html).toContain('data-testid="signature-verified"');
    expect(html).toContain('data-testid="name">署名 花子');
    expect(html).toContain('data-testid="signer">署名 花子');
    expect(html.match(/：OK/g)).toHaveLength(3);

    // Another text's signature fails closed, and the page says so.
    provider.signResult = { sign_transaction_id: 'tx-1', signature: signDocument('別の申込書'), certificate };
    const forged = await (await (await start('/oidc/apply')).back('good-code')).text();
    expect(forged).toContain('電子署名を確認できませんでした');
    expect(forged).toMatch(/data-check="signature">\s*電子署名の検証：NG/);
  });

  const signDocument = (document: string) =>
    sign('sha256', Buffer.from(document, 'utf8'), signer.privateKey).toString('base64');
});
