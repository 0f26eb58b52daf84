import { createHash, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TEST_PG_URL } from '../../../test-support/databases.js';
import { freePort, run, spawnService, stopService } from './cli-harness.js';

/*
 * Security review (branch oidc-review): the authorization code is single-use only as long as requests
 * do not overlap. Two verifier instances on one PostgreSQL (as behind a load balancer), the same code
 * redeemed on both at once: oidc-provider's consumeGrantSource reads `consumed`, then calls the
 * adapter's consume(), an unconditional UPDATE — both requests pass the read, both get tokens, and
 * with no third (failing) request to trigger reuse detection, both sets of tokens stay valid.
 */

const REDIRECT = 'http://127.0.0.1:9/callback';

describe('the authorization code on two verifier instances sharing PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openmyna-oidc-race-'));
  const database = `oidc_race_${randomBytes(5).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(TEST_PG_URL), { pathname: `/${database}` }).href;
  let issuer: Awaited<ReturnType<typeof spawnService>>;
  let first: Awaited<ReturnType<typeof spawnService>>;
  let second: Awaited<ReturnType<typeof spawnService>>;
  let issuerUrl: string;
  let clientId: string;
  let signingKey: webcrypto.CryptoKey;
  let signClientId: string;

  const admin = async (client: pg.Client, sql: string) => {
    await client.query(sql);
  };

  beforeAll(async () => {
    const server = new pg.Client({ connectionString: TEST_PG_URL });
    await server.connect();
    await admin(server, `create database ${database}`);
    await server.end();
    const issuerPort = await freePort();
    const up = await run(
      ['sandbox', 'up', '--data', 'data', '--persons', '3', '--issuer-port', String(issuerPort), '--no-serve'],
      { cwd: dir },
    );
    expect(up.code, up.stderr).toBe(0);
    issuer = await spawnService(dir, 'issuer', issuerPort);
    first = await spawnService(dir, 'verifier', 0, ['--db', databaseUrl]);
    // The second instance serves the same issuer (the same public URL), as behind a load balancer.
    second = await spawnService(dir, 'verifier', 0, ['--db', databaseUrl, '--public-url', first.url]);
    const provisioned = await run(
      [
        'phone',
        'provision',
        ...['--phone', 'phone.json', '--data', 'data', '--issuer', issuer.url, '--card', 'data/cards/P0000001.json'],
      ],
      { cwd: dir },
    );
    expect(provisioned.code, provisioned.stderr).toBe(0);
    const { token } = JSON.parse(readFileSync(join(dir, 'data', 'verifier', 'admin-token.json'), 'utf8')) as {
      token: string;
    };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const party = (await (
      await fetch(`${first.url}/admin/relying-parties`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: '競合証券', myNumberPurpose: 'none' }),
      })
    ).json()) as { id: string };
    const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    signingKey = await webcrypto.subtle.importKey(
      'jwk',
      signing.privateKey.export({ format: 'jwk' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const registered = (await (
      await fetch(`${first.url}/admin/relying-parties/${party.id}/oidc-client`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({
          redirectUris: [REDIRECT],
          jwks: { keys: [{ ...signing.publicKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256', kid: 'sig-1' }] },
          scopes: ['openid'],
        }),
      })
    ).json()) as { clientId: string; issuer: string };
    clientId = registered.clientId;
    issuerUrl = registered.issuer;
    // A second party whose client may use client credentials (the sign scope, with an encryption key).
    const signer = (await (
      await fetch(`${first.url}/admin/relying-parties`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: '競合署名', myNumberPurpose: 'none' }),
      })
    ).json()) as { id: string };
    const encryption = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    signClientId = (
      (await (
        await fetch(`${first.url}/admin/relying-parties/${signer.id}/oidc-client`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({
            redirectUris: [REDIRECT],
            jwks: {
              keys: [
                { ...signing.publicKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256', kid: 'sig-1' },
                { ...encryption, use: 'enc' },
              ],
            },
            scopes: ['openid', 'sign'],
          }),
        })
      ).json()) as { clientId: string }
    ).clientId;
  }, 120_000);

  afterAll(async () => {
    for (const service of [second, first, issuer]) if (service) await stopService(service.child);
    const server = new pg.Client({ connectionString: TEST_PG_URL });
    await server.connect();
    await admin(server, `drop database if exists ${database}`);
    await server.end();
  });

  async function assertion(client = clientId): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: randomBytes(12).toString('base64url') })
      .setProtectedHeader({ alg: 'ES256', kid: 'sig-1' })
      .setIssuer(client)
      .setSubject(client)
      .setAudience(issuerUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(signingKey);
  }

  /** A login through the first instance, to the code in the callback. */
  async function code(): Promise<{ code: string; verifier: string }> {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${issuerUrl}/protocol/openid-connect/auth`);
    const parameters = {
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      state: `state-${randomBytes(4).toString('hex')}`,
      nonce: `nonce-${randomBytes(4).toString('hex')}`,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
    const cookies = new Map<string, string>();
    const get = async (target: string, accept?: string) => {
      const response = await fetch(target, {
        redirect: 'manual',
        headers: {
          cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(accept ? { accept } : {}),
        },
      });
      for (const line of response.headers.getSetCookie()) {
        const [name, ...rest] = line.split(';')[0]!.split('=');
        cookies.set(name!.trim(), rest.join('='));
      }
      return response;
    };
    const started = await get(url.href);
    const page = (await (
      await get(new URL(started.headers.get('location')!, url).href, 'application/json')
    ).json()) as { link: string; complete: string };
    const sent = await run(
      [
        'phone',
        'present',
        ...['--phone', 'phone.json', '--data', 'data', '--issuer', issuer.url, '--request', page.link],
        ...['--yes', '--auth-pin', '1234'],
      ],
      { cwd: dir },
    );
    expect(sent.code, sent.stderr).toBe(0);
    let next = new URL(page.complete, first.url).href;
    while (next.startsWith(first.url)) next = new URL((await get(next)).headers.get('location')!, next).href;
    return { code: new URL(next).searchParams.get('code')!, verifier };
  }

  it('redeems one authorization code once, even when two instances get it at the same moment', async () => {
    // A race: ten codes, each sent to both instances at once; every one must be redeemed once.
    const rounds: { statuses: number[]; live: number }[] = [];
    for (let round = 0; round < 10; round++) {
      const { code: authorizationCode, verifier } = await code();
      // Both requests ready before either is sent, one to each instance.
      const requests = await Promise.all(
        [first.url, second.url].map(async (instance) => ({
          url: `${instance}/api/realms/main/protocol/openid-connect/token`,
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: authorizationCode,
            redirect_uri: REDIRECT,
            code_verifier: verifier,
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: await assertion(),
          }).toString(),
        })),
      );
      const answers = await Promise.all(
        requests.map(async ({ url, body }) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body,
          });
          return { status: response.status, body: (await response.json()) as { access_token?: string } };
        }),
      );
      let live = 0;
      for (const answer of answers.filter((one) => one.body.access_token)) {
        const info = await fetch(`${issuerUrl}/protocol/openid-connect/userinfo`, {
          headers: { authorization: `Bearer ${answer.body.access_token}` },
        });
        if (info.status === 200) live++;
      }
      rounds.push({ statuses: answers.map((answer) => answer.status).sort(), live });
    }
    // RFC 6749 §4.1.2: used once. Today some rounds give [200, 200], both access tokens working.
    expect(rounds.filter((round) => round.statuses.join() !== '200,400' || round.live > 1)).toEqual([]);
  }, 90_000);

  it('accepts one client assertion once, even when two instances get it at the same moment', async () => {
    // The same race in ReplayDetection.unique (find, then save): one captured private_key_jwt assertion,
    // replayed to both instances at once, can buy two access tokens.
    const rounds: number[][] = [];
    for (let round = 0; round < 10; round++) {
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'sign',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(signClientId),
      }).toString();
      const statuses = await Promise.all(
        [first.url, second.url].map(
          async (instance) =>
            (
              await fetch(`${instance}/api/realms/main/protocol/openid-connect/token`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body,
              })
            ).status,
        ),
      );
      rounds.push(statuses.sort());
    }
    expect(rounds.filter((statuses) => statuses.join() !== '200,401')).toEqual([]);
  }, 60_000);
});
