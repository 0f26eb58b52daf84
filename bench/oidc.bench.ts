import * as oidc from 'openid-client';

import { beginOidcAuthorization, finishOidcAuthorization, oidcRelyingParty } from '../test-support/oidc-browser.js';
import { VERIFIER_ADMIN } from '../test-support/verifier-service.js';
import { PHONE_PINS, walletWorld } from '../test-support/wallet-fixtures.js';

import { provisionedTimedWallet, rawRsaSignatureTimes } from './timed-wallet.js';

const RUNS = 20;
const REDIRECT = 'http://127.0.0.1:9/callback';
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(1)} ms`;

/**
 * The machine time of a デジタル認証アプリ-style login (docs/oidc.md), from the relying party's authorization
 * request to its verified ID token, median of 20: `openid-client` as the relying party (PKCE, the client
 * assertion, the ID token's checks), the browser's hops (authorization endpoint, the QR page, its status
 * and completion, the provider's resume), the wallet (the request fetched and checked, the PIN, the JPKI
 * authentication) and the verifier (the answer's verification, the provider's records in SQLite). The
 * baseline in the same run is one raw RSA-2048 signature.
 */
export async function benchOidcLogin(): Promise<void> {
  const world = await walletWorld('bench-oidc', [3], { rateLimit: { perSecond: 1000, capacity: 1000 } });
  try {
    const base = world.verifier.base;
    const { config } = await oidcRelyingParty({
      verifier: base,
      adminToken: VERIFIER_ADMIN,
      rpId: world.verifier.keys.securities.id,
      redirectUri: REDIRECT,
      scopes: [],
    });
    const phone = await provisionedTimedWallet(world);
    const runs: { total: number; wallet: number }[] = [];
    for (let run = 0; run < RUNS + 2; run++) {
      const started = performance.now();
      const flow = await beginOidcAuthorization(config, REDIRECT, { scope: 'openid' });
      const step = performance.now();
      await phone.wallet.approve(await phone.wallet.openRequest(flow.interaction.link), {
        authenticationPin: PHONE_PINS.authentication,
      });
      const wallet = performance.now() - step - phone.lastPost();
      await flow.browser.get(new URL(flow.interaction.status, base).href, 'application/json');
      const back = await finishOidcAuthorization(flow, base);
      const tokens = await oidc.authorizationCodeGrant(config, back, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      if (!tokens.claims()?.sub) throw new Error('no ID token');
      if (run >= 2) runs.push({ total: performance.now() - started, wallet });
    }
    const rawMs = median(rawRsaSignatureTimes(RUNS));
    const total = median(runs.map((run) => run.total));
    const wallet = median(runs.map((run) => run.wallet));
    console.log(
      `\nOIDC login (デジタル認証アプリ-compatible): authorization request → ID token, machine time, median of ${RUNS}`,
    );
    console.log(
      `  total ${ms(total)} = ${(total / rawMs).toFixed(0)}× one raw RSA-2048 signature (OpenSSL, ${rawMs.toFixed(2)} ms)`,
    );
    console.log(
      `  the wallet (request checked, PIN, JPKI authentication)  ${ms(wallet)} (${((wallet / total) * 100).toFixed(0)}%)`,
    );
    console.log(
      `  the relying party, the browser's hops and the verifier     ${ms(total - wallet)} (${(((total - wallet) / total) * 100).toFixed(0)}%)`,
    );
  } finally {
    await world.dispose();
  }
}
