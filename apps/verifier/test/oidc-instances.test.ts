import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  beginOidcAuthorization,
  finishOidcAuthorization,
  oidcRelyingParty,
  signResult,
  startSignTransaction,
  type OidcFlow,
} from '../../../test-support/oidc-browser.js';
import { startVerifierService, VERIFIER_ADMIN } from '../../../test-support/verifier-service.js';
import {
  cardTransport,
  CARD_PINS,
  nodeWallet,
  PHONE_PINS,
  walletWorld,
} from '../../../test-support/wallet-fixtures.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

/*
 * The OpenID Provider on two verifier instances sharing one database, as behind a round-robin load
 * balancer (one public URL): every step of an authorization lands on the other instance than the step
 * before — the authorization request, the page, the phone's answer, the completion, the provider's resume,
 * the token and userinfo, the sign transaction and its result. On SQLite and on PostgreSQL.
 */
describe.each(['sqlite', 'postgres'] as const)('the OpenID Provider on two instances over %s', (engine) => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let b: Awaited<ReturnType<typeof startVerifierService>>;
  let config: oidc.Configuration;
  let encryptionKey: Awaited<ReturnType<typeof oidcRelyingParty>>['encryptionKey'];
  let phone: Awaited<ReturnType<typeof nodeWallet>>;
  let a: string;
  /** The load balancer: each request to the public URL goes to the instance after the last one's. */
  let turn = 0;
  const balanced = (url: string) => (turn++ % 2 === 0 ? url : url.replace(a, b.base));

  beforeAll(async () => {
    world = await walletWorld(`oidc-instances-${engine}`, [3], { engine });
    a = world.verifier.base;
    b = await startVerifierService(world.issuer, engine, {
      publicUrl: a,
      twin: { database: world.verifier.database, keys: world.verifier.keys, relayUrl: world.verifier.relayUrl },
    });
    ({ config, encryptionKey } = await oidcRelyingParty({
      verifier: a,
      adminToken: VERIFIER_ADMIN,
      rpId: world.verifier.keys.securities.id,
      redirectUri: REDIRECT,
      scopes: ['name', 'sign'],
    }));
    config[oidc.customFetch] = (url, options) => fetch(balanced(url), options as RequestInit);
    phone = await nodeWallet({
      ...world,
      walletFetch: ((input: string, init?: RequestInit) => world.walletFetch(balanced(input), init)) as typeof fetch,
    });
    await phone.wallet.provision({
      card: await cardTransport(world.issuer.cards[0]!),
      cardPins: CARD_PINS,
      phonePins: PHONE_PINS,
    });
  }, 120_000);
  afterAll(async () => {
    await b?.dispose();
    await world?.dispose();
  });

  /** The phone answers; the browser's next requests go to the other instance. */
  async function answered(flow: OidcFlow) {
    await phone.wallet.approve(await phone.wallet.openRequest(flow.interaction.link), {
      authenticationPin: PHONE_PINS.authentication,
      signingPassword: PHONE_PINS.signing,
    });
    const elsewhere = { ...flow.interaction, complete: balanced(new URL(flow.interaction.complete, a).href) };
    return oidc.authorizationCodeGrant(
      config,
      await finishOidcAuthorization({ ...flow, interaction: elsewhere }, a, [a, b.base]),
      {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      },
    );
  }

  it('logs in with the 4 info, each step on the other instance', async () => {
    const tokens = await answered(await beginOidcAuthorization(config, REDIRECT, { scope: 'openid name' }));
    expect((await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).name).toBeTruthy();
  }, 60_000);

  it('signs a transaction over its DigestInfo, started on one instance and read on the other', async () => {
    const document = new TextEncoder().encode('申込書 — 2 instances');
    const digestInfo = Buffer.concat([
      Buffer.from('3031300d060960864801650304020105000420', 'hex'),
      createHash('sha256').update(document).digest(),
    ]);
    const id = await startSignTransaction(config, a, { digest: digestInfo.toString('base64'), digest_info: true });
    const tokens = await answered(
      await beginOidcAuthorization(config, REDIRECT, { scope: 'openid sign', sign_transaction_id: id }),
    );
    const signed = await signResult(config, a, id, tokens.access_token, encryptionKey);
    const key = createPublicKey(
      new X509Certificate(Buffer.from(signed.certificate, 'base64')).publicKey.export({ format: 'pem', type: 'spki' }),
    );
    expect(verify('sha256', document, key, Buffer.from(signed.signature, 'base64'))).toBe(true);
  }, 60_000);
});
