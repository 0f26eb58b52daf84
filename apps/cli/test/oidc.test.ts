import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { JWK } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  beginOidcAuthorization,
  finishOidcAuthorization,
  OidcBrowser,
  signResult,
  startSignTransaction,
  type OidcFlow,
} from '../../../test-support/oidc-browser.js';
import { freePort, run, spawnService, stopService } from './cli-harness.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

/**
 * The デジタル認証アプリ-compatible OpenID Provider driven end to end with `openid-client` as the relying
 * party and the CLI wallet (`openmyna phone present`) as the phone, over the verifier and issuer services
 * as `openmyna … serve` runs them: login with and without the 4 info, sign transactions with and
 * without DigestInfo (the signature checked by OpenSSL), and the refusals with OAuth's errors.
 */
describe('the OpenID Provider (デジタル認証アプリ-compatible), with openid-client and the CLI wallet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openmyna-oidc-'));
  let issuer: Awaited<ReturnType<typeof spawnService>>;
  let verifier: Awaited<ReturnType<typeof spawnService>>;
  let config: oidc.Configuration;
  let narrow: oidc.Configuration;
  let clientKey: { key: webcrypto.CryptoKey; kid: string };
  let encryptionKey: JWK;
  let issuerUrl: string;
  const phone = () => ['--phone', 'phone.json', '--data', 'data', '--issuer', issuer.url];

  beforeAll(async () => {
    // The credentials name the issuer's OCSP and CRL URLs: it serves at the port they were made for.
    const issuerPort = await freePort();
    const up = await run(
      ['sandbox', 'up', '--data', 'data', '--persons', '3', '--issuer-port', String(issuerPort), '--no-serve'],
      { cwd: dir },
    );
    expect(up.code, up.stderr).toBe(0);
    // Sign transactions expire after 3 s here, so the expiry case can wait one out on the real clock.
    process.env['OPENMYNA_VERIFIER_SIGN_TRANSACTION_SECONDS'] = '3';
    try {
      [issuer, verifier] = await Promise.all([spawnService(dir, 'issuer', issuerPort), spawnService(dir, 'verifier')]);
    } finally {
      delete process.env['OPENMYNA_VERIFIER_SIGN_TRANSACTION_SECONDS'];
    }
    const provisioned = await run(['phone', 'provision', ...phone(), '--card', 'data/cards/P0000001.json'], {
      cwd: dir,
    });
    expect(provisioned.code, provisioned.stderr).toBe(0);
    const { token } = JSON.parse(readFileSync(join(dir, 'data', 'verifier', 'admin-token.json'), 'utf8')) as {
      token: string;
    };
    const register = async (name: string) =>
      (await (
        await fetch(`${verifier.url}/admin/relying-parties`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, myNumberPurpose: 'none' }),
        })
      ).json()) as { id: string };
    const securities = await register('OIDC証券');
    const bookshop = await register('OIDC書店');
    // The firm's keys: one to sign its client assertions, one for the sign results to be encrypted to.
    const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signingJwk = { ...signing.publicKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256', kid: 'sig-1' };
    const encryption = generateKeyPairSync('rsa', { modulusLength: 2048 });
    encryptionKey = encryption.privateKey.export({ format: 'jwk' });
    const encryptionJwk = { ...encryption.publicKey.export({ format: 'jwk' }), use: 'enc', kid: 'enc-1' };
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [signingJwk, encryptionJwk] }));
    const scopes = ['name', 'address', 'birthdate', 'gender', 'sign'].flatMap((scope) => ['--scope', scope]);
    const registered = await run(
      [
        'verifier',
        'oidc-client',
        '--url',
        verifier.url,
        '--rp',
        securities.id,
        '--redirect-uri',
        REDIRECT,
        '--jwks',
        'jwks.json',
        ...scopes,
      ],
      { cwd: dir },
    );
    expect(registered.code, registered.stderr).toBe(0);
    const clientId = /client_id\s+(\S+)/.exec(registered.stdout)![1]!;
    issuerUrl = /issuer\s+(\S+)/.exec(registered.stdout)![1]!;
    // The bookshop may log people in, and nothing more.
    const bookshopClient = await run(
      [
        'verifier',
        'oidc-client',
        '--url',
        verifier.url,
        '--rp',
        bookshop.id,
        '--redirect-uri',
        REDIRECT,
        '--jwks',
        'jwks.json',
      ],
      { cwd: dir },
    );
    expect(bookshopClient.code, bookshopClient.stderr).toBe(0);
    clientKey = {
      key: await webcrypto.subtle.importKey(
        'jwk',
        signing.privateKey.export({ format: 'jwk' }),
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['sign'],
      ),
      kid: 'sig-1',
    };
    const discover = (id: string) =>
      oidc.discovery(new URL(issuerUrl), id, { id_token_signed_response_alg: 'RS256' }, oidc.PrivateKeyJwt(clientKey), {
        execute: [oidc.allowInsecureRequests],
      });
    config = await discover(clientId);
    narrow = await discover(/client_id\s+(\S+)/.exec(bookshopClient.stdout)![1]!);
  }, 120_000);

  afterAll(async () => {
    if (verifier) await stopService(verifier.child);
    if (issuer) await stopService(issuer.child);
  });

  const authorize = (configuration: oidc.Configuration, parameters: Record<string, string>) =>
    beginOidcAuthorization(configuration, REDIRECT, parameters);

  /** The phone answers the QR code with the CLI wallet; the browser's page then completes and redirects. */
  async function phoneAnswersThenCallback(flow: OidcFlow): Promise<URL> {
    const sent = await run(
      [
        'phone',
        'present',
        ...phone(),
        '--request',
        flow.interaction.link,
        '--yes',
        '--auth-pin',
        '1234',
        '--signing-password',
        'OPENMYNA1',
      ],
      { cwd: dir },
    );
    expect(sent.code, sent.stderr + sent.stdout).toBe(0);
    const status = (await (
      await flow.browser.get(new URL(flow.interaction.status, verifier.url).href, 'application/json')
    ).json()) as {
      status: string;
    };
    expect(status.status).toBe('completed');
    const back = await finishOidcAuthorization(flow, verifier.url);
    expect(back.href.startsWith(REDIRECT), back.href).toBe(true);
    return back;
  }

  it('publishes a discovery document openid-client accepts: code flow, PKCE S256, private_key_jwt only', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(issuerUrl);
    expect(metadata.authorization_endpoint).toBe(`${issuerUrl}/protocol/openid-connect/auth`);
    expect(metadata.token_endpoint).toBe(`${issuerUrl}/protocol/openid-connect/token`);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.grant_types_supported).not.toContain('password');
    expect(metadata['sign_transactions_endpoint']).toBe(`${verifier.url}/api/sign-transactions`);
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'name', 'address', 'birthdate', 'gender', 'sign']),
    );
  });

  it('logs in without the 4 info: an ID token with a pairwise sub, acr, amr, auth_time and the nonce', async () => {
    const flow = await authorize(config, { scope: 'openid', acr_values: 'aal3 crl' });
    const callback = await phoneAnswersThenCallback(flow);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claims['acr']).toBe('aal3');
    expect(claims['amr'], JSON.stringify(claims)).toEqual(['hwk', 'pin']);
    expect(typeof claims.auth_time).toBe('number');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(Object.keys(info)).toEqual(['sub']);
    // The same holder logs in again: the same sub for this client.
    const again = await authorize(config, { scope: 'openid' });
    const second = await oidc.authorizationCodeGrant(config, await phoneAnswersThenCallback(again), {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
    });
    expect(second.claims()!.sub).toBe(claims.sub);
  }, 60_000);

  it('logs in with the 4 info: userinfo gives name, address, birthdate and gender from the signing certificate', async () => {
    const flow = await authorize(config, { scope: 'openid name address birthdate gender' });
    const callback = await phoneAnswersThenCallback(flow);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(typeof info.name).toBe('string');
    expect(typeof info.address?.formatted).toBe('string');
    expect(info.birthdate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(['male', 'female', 'not known', 'not applicable']).toContain(info.gender);
  }, 60_000);

  /** A sign transaction started with a client-credentials token, signed on the phone, its result decrypted. */
  async function signTransaction(digest: Uint8Array, digestInfo: boolean) {
    const id = await startSignTransaction(config, verifier.url, {
      digest: Buffer.from(digest).toString('base64'),
      digest_info: digestInfo,
      title: '口座開設申込書',
    });
    const flow = await authorize(config, { scope: 'openid sign name', sign_transaction_id: id });
    const callback = await phoneAnswersThenCallback(flow);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    const signed = await signResult(config, verifier.url, id, tokens.access_token, encryptionKey);
    return { id, tokens, signed };
  }

  /** OpenSSL's verdict on `signature` over `input` under the certificate's key (`pkeyutl`, or `dgst -sha256`). */
  function openssl(
    signed: { signature: string; certificate: string },
    input: Uint8Array,
    mode: 'raw' | 'sha256',
  ): string {
    const work = mkdtempSync(join(tmpdir(), 'openmyna-oidc-openssl-'));
    writeFileSync(join(work, 'cert.der'), Buffer.from(signed.certificate, 'base64'));
    writeFileSync(join(work, 'sig.bin'), Buffer.from(signed.signature, 'base64'));
    writeFileSync(join(work, 'input.bin'), input);
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', 'cert.der', '-pubkey', '-noout', '-out', 'key.pem'], {
      cwd: work,
    });
    const args =
      mode === 'raw'
        ? ['pkeyutl', '-verify', '-pubin', '-inkey', 'key.pem', '-in', 'input.bin', '-sigfile', 'sig.bin']
        : ['dgst', '-sha256', '-verify', 'key.pem', '-signature', 'sig.bin', 'input.bin'];
    return execFileSync('openssl', args, { cwd: work, encoding: 'utf8' });
  }

  it('signs a transaction over the plain SHA-256 digest: OpenSSL verifies the raw signature against the certificate', async () => {
    const document = new TextEncoder().encode('口座開設申込書 — 利用規約に同意します。');
    const digest = createHash('sha256').update(document).digest();
    const { signed } = await signTransaction(digest, false);
    expect(openssl(signed, digest, 'raw')).toMatch(/Signature Verified Successfully/i);
  }, 60_000);

  it('signs a transaction over the DigestInfo: OpenSSL verifies an RSA-SHA256 signature of the document', async () => {
    const document = new TextEncoder().encode('電子契約書 第1条');
    const digest = createHash('sha256').update(document).digest();
    const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), digest]);
    const { signed, id, tokens } = await signTransaction(digestInfo, true);
    expect(openssl(signed, document, 'sha256')).toMatch(/Verified OK/);
    // The transaction is used: a second authorization with it is refused.
    const reuse = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid sign',
      sign_transaction_id: id,
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'reuse-state',
      nonce: 'reuse-nonce',
    });
    expect(await errorOf(reuse)).toBe('invalid_request');
    // Another authorization's access token does not read this result.
    const login = await authorize(config, { scope: 'openid' });
    const other = await oidc.authorizationCodeGrant(config, await phoneAnswersThenCallback(login), {
      pkceCodeVerifier: login.verifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
    });
    const stranger = await fetch(`${verifier.url}/api/sign-transactions/${id}/result`, {
      headers: { authorization: `Bearer ${other.access_token}` },
    });
    expect(stranger.status).toBe(403);
    expect(tokens.access_token).not.toBe(other.access_token);
  }, 90_000);

  /** The `error` the browser is redirected back with, or the provider's own error page's. */
  async function errorOf(url: URL): Promise<string | null> {
    const response = await new OidcBrowser().get(url.href);
    const location = response.headers.get('location');
    if (location?.startsWith(REDIRECT)) {
      const back = new URL(location);
      return back.searchParams.get('error') ?? new URLSearchParams(back.hash.slice(1)).get('error');
    }
    return ((await response.json()) as { error?: string }).error ?? null;
  }

  it('refuses what the reference refuses, each with its OAuth error', async () => {
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const base = {
      scope: 'openid',
      state: 's-1',
      nonce: 'n-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    // A redirect URI that was not registered: an error page, never a redirect there.
    expect(
      await errorOf(oidc.buildAuthorizationUrl(config, { ...base, redirect_uri: 'http://127.0.0.1:9/evil' })),
    ).toBe('invalid_redirect_uri');
    // No PKCE, a plain PKCE, no state, no nonce.
    const { code_challenge: _c, code_challenge_method: _m, ...noPkce } = base;
    expect(await errorOf(oidc.buildAuthorizationUrl(config, { ...noPkce, redirect_uri: REDIRECT }))).toBe(
      'invalid_request',
    );
    expect(
      await errorOf(
        oidc.buildAuthorizationUrl(config, { ...base, redirect_uri: REDIRECT, code_challenge_method: 'plain' }),
      ),
    ).toBe('invalid_request');
    const { state: _s, ...noState } = base;
    expect(await errorOf(oidc.buildAuthorizationUrl(config, { ...noState, redirect_uri: REDIRECT }))).toBe(
      'invalid_request',
    );
    const { nonce: _n, ...noNonce } = base;
    expect(await errorOf(oidc.buildAuthorizationUrl(config, { ...noNonce, redirect_uri: REDIRECT }))).toBe(
      'invalid_request',
    );
    // A client not registered for the scope it asks for.
    expect(
      await errorOf(oidc.buildAuthorizationUrl(narrow, { ...base, redirect_uri: REDIRECT, scope: 'openid name' })),
    ).toBe('invalid_scope');
    // The implicit flow does not exist here.
    expect(
      await errorOf(oidc.buildAuthorizationUrl(config, { ...base, redirect_uri: REDIRECT, response_type: 'id_token' })),
    ).toBe('unsupported_response_type');
  });

  it('refuses a reused code, a replayed client assertion and an expired sign transaction', async () => {
    const flow = await authorize(config, { scope: 'openid' });
    const callback = await phoneAnswersThenCallback(flow);
    const code = callback.searchParams.get('code')!;
    await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(code).toBeTruthy();

    // One client assertion, sent twice: the second is a replay.
    const token = config.serverMetadata().token_endpoint!;
    const assertion = await clientAssertion(config.clientMetadata().client_id, token);
    const post = () =>
      fetch(token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'sign',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }),
      });
    expect((await post()).status).toBe(200);
    const replayed = await post();
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: string }).error).toBe('invalid_client');
    // A body without a length (chunked) reaches the provider as well: an OAuth error, not a hang.
    const chunked = await fetch(token, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('grant_type=client_credentials&scope=sign'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(400);
    expect(((await chunked.json()) as { error: string }).error).toBe('invalid_request');

    // A sign transaction left past its 3 s.
    const credentials = await oidc.clientCredentialsGrant(config, { scope: 'sign' });
    const started = await fetch(`${verifier.url}/api/sign-transactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credentials.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ digest: createHash('sha256').update('late').digest('base64') }),
    });
    const { sign_transaction_id: id } = (await started.json()) as { sign_transaction_id: string };
    await new Promise((done) => setTimeout(done, 3500));
    const late = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid sign',
      sign_transaction_id: id,
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'late-state',
      nonce: 'late-nonce',
    });
    expect(await errorOf(late)).toBe('invalid_request');
  }, 60_000);

  /** A `private_key_jwt` assertion as openid-client makes one, kept to be sent twice. */
  async function clientAssertion(clientId: string, audience: string): Promise<string> {
    const { SignJWT } = await import('jose');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: oidc.randomState() })
      .setProtectedHeader({ alg: 'ES256', kid: clientKey.kid })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(clientKey.key);
  }
});
