import { constants, createHash, publicDecrypt, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';

import { MemoryRetryCounterStore, openVirtualCard } from '@openmyna/card';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectAccessible } from '../../../test-support/axe.js';
import { launchChromium } from '../../../test-support/browser.js';
import { registryPerson } from '../../../test-support/issuer-fixtures.js';
import { expectPageWords } from '../../../test-support/page-words.js';
import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import {
  beginOidcAuthorization,
  finishOidcAuthorization,
  oidcRelyingParty,
  signResult,
  startSignTransaction,
  type OidcFlow,
} from '../../../test-support/oidc-browser.js';
import { listenOnFreePort, VERIFIER_ADMIN } from '../../../test-support/verifier-service.js';
import { CARD_PINS, counterAsks, walletWorld } from '../../../test-support/wallet-fixtures.js';
import { loadSandboxTls } from '../src/sandbox-tls.js';
import { createWalletWebApp, startWalletWeb } from '../src/wallet-web-service.js';
import { freePort } from './cli-harness.js';

const SEED = 'wallet-web';
const PERSONS = [3, 4] as const;
/** Screenshots of each step, kept by CI as artifacts. */
const SHOTS = join(REPO_ROOT, 'artifacts', 'screenshots', 'wallet-web');

/** A person adds a demo card: the card's PINs typed, the phone's taken from the card's, then the home screen. */
async function addDemoCard(page: Page, cardId?: string): Promise<void> {
  await page.getByTestId('add-card').click();
  if (cardId) await page.getByTestId('demo-card').selectOption(cardId);
  await page.locator('input[name=cardAuth]').fill(CARD_PINS.authentication);
  await page.locator('input[name=cardSigning]').fill(CARD_PINS.signing);
}

describe('the web wallet (PWA) in headless Chromium, driven as a person would', () => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let host: Awaited<ReturnType<typeof listenOnFreePort>>;
  let browser: Browser;
  let page: Page;
  const person = registryPerson(SEED, PERSONS[0]).input;
  /** A screenshot of the screen, then the checks of what it shows: words, not identifiers; axe-core. */
  const shot = async (name: string) => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    await expectPageWords(page);
    await expectAccessible(page, name);
  };
  const accountOpening = async () =>
    (await (
      await world.verifier.rp('securities', '/v1/presentations', {
        method: 'POST',
        body: JSON.stringify({
          sign: {
            document: Buffer.from('証券総合口座 開設申込書\n申込日 2026年11月27日').toString('base64'),
            title: '証券総合口座 開設申込書',
          },
          kenhojo: ['my_number', 'basic_four_info'],
          purpose: '証券口座の開設（本人確認と個人番号の提供）',
        }),
      })
    ).json()) as { id: string; link: string };
  /** The same-device link of the web wallet: its own URL with the request's parameters. */
  const walletLink = (link: string) => `${host.base}/?${new URL(link).search.slice(1)}`;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const outDir = mkdtempSync(join(tmpdir(), 'openmyna-wallet-web-'));
    await build({
      configFile: resolve(REPO_ROOT, 'apps/wallet-web/vite.config.ts'),
      build: { outDir, emptyOutDir: true },
      logLevel: 'warn',
    });
    world = await walletWorld(SEED, PERSONS);
    const app = createWalletWebApp({
      staticDir: outDir,
      config: {
        issuerUrl: world.issuerUrl,
        readerCa: Buffer.from(world.issuer.authorities.mdoc.readerCa.der).toString('base64'),
        relayUrl: world.verifier.relayUrl,
      },
      reader: {
        cards: world.issuer.cards.map((card) => ({
          id: card.document.personId,
          name: registryPerson(SEED, card.personIndex).input.basicFourInfo.name,
        })),
        open: (id) => {
          const card = world.issuer.cards.find((candidate) => candidate.document.personId === id)!;
          return openVirtualCard({
            document: card.document,
            passphrase: card.passphrase,
            store: () => new MemoryRetryCounterStore(),
          });
        },
      },
      clock: () => new Date(),
    });
    host = await listenOnFreePort((request) => app.fetch(request));
    // A fake camera (Chromium's test pattern) for the scanner's screen.
    browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'ja-JP' });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => host?.server.close(done));
    await world?.dispose();
  });

  it('adds a demo card: the card’s PINs, progress, then the card face on the home screen', async () => {
    await page.goto(host.base);
    await page.getByTestId('no-card').waitFor();
    await shot('01-empty');
    await addDemoCard(page, person.id);
    await shot('02-add-card');
    await page.getByTestId('start-provisioning').click();
    await page.getByTestId('card-face').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('holder-name').textContent()).toBe(person.basicFourInfo.name);
    await shot('03-home');
    // The installable app: a manifest with icons, and a service worker.
    const manifest = (await (await fetch(`${host.base}/manifest.webmanifest`)).json()) as { icons: unknown[] };
    expect(manifest.icons.length).toBeGreaterThan(1);
    expect((await fetch(`${host.base}/sw.js`)).status).toBe(200);
  });

  it('opens an account from a same-device link: consent, a wrong PIN with its tries left, then sent', async () => {
    const created = await accountOpening();
    await page.goto(walletLink(created.link));
    await page.getByTestId('consent').waitFor();
    expect(await page.getByTestId('requester').textContent()).toContain('securities 株式会社');
    expect(await page.getByTestId('document-title').textContent()).toBe('証券総合口座 開設申込書');
    expect(await page.getByTestId('my-number-notice').textContent()).toContain('マイナンバーの提供先として登録');
    await shot('04-consent');
    await page.locator('input[name=signingPassword]').fill(CARD_PINS.signing);
    await page.locator('input[name=kenhojoPin]').fill('0000');
    await page.getByTestId('approve').click();
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('残り 2 回');
    await shot('05-wrong-pin');
    await page.locator('input[name=kenhojoPin]').fill(CARD_PINS.authentication);
    await page.getByTestId('approve').click();
    await page.getByTestId('outcome').waitFor();
    expect(await page.getByTestId('outcome').textContent()).toBe('送信しました');
    await shot('06-sent');
    const result = (await (await world.verifier.rp('securities', `/v1/presentations/${created.id}`)).json()) as {
      result: { status: string };
      claims: Record<string, Record<string, string>>;
    };
    expect(result.result.status).toBe('valid');
    expect(result.claims['kenhojo']!['my_number']).toBe(person.myNumber);
  });

  it('pastes a cross-device request and shows a refusal of a bad link', async () => {
    await page.goto(host.base);
    await page.getByTestId('go-request').click();
    await shot('07a-request');
    // Chromium's fake camera (a test pattern, no QR code): the scanner's screen, then back to the link.
    await page.getByTestId('scan').click();
    await page.locator('.scanner video').waitFor();
    await shot('07b-scanner');
    await page.getByRole('button', { name: '読み取りをやめる' }).click();
    await page.locator('textarea[name=link]').fill('https://example.test/?not=a-request');
    await page.getByTestId('open-request').click();
    await page.getByTestId('error').waitFor();
    expect(await page.getByTestId('error').textContent()).toContain('ERR_REQUEST_INVALID');
    await shot('07c-bad-link');
    const created = (await (
      await world.verifier.rp('shop', '/v1/presentations', {
        method: 'POST',
        body: JSON.stringify({
          elements: [{ nameSpace: 'org.iso.23220.1', elementIdentifier: 'age_over_20' }],
          purpose: '年齢確認',
        }),
      })
    ).json()) as { id: string; link: string };
    await page.locator('textarea[name=link]').fill(created.link);
    await page.getByTestId('open-request').click();
    await page.getByTestId('consent').waitFor();
    await shot('07-shop-consent');
    await page.getByRole('button', { name: '拒否' }).click();
    await page.getByTestId('outcome').waitFor();
    expect(await page.getByTestId('outcome').textContent()).toBe('拒否しました');
    await shot('07d-declined');
    // A refusal is unsigned: the shop hears of it, and the request stays open for a real answer.
    const result = (await (await world.verifier.rp('shop', `/v1/presentations/${created.id}`)).json()) as {
      status: string;
      lastRejection: { check: string };
    };
    expect([result.status, result.lastRejection.check]).toEqual(['pending', 'wallet.response']);
  });

  it('presents in person: the engagement QR, the counter’s request, the 入力補助 PIN', async () => {
    await page.goto(host.base);
    await page.getByTestId('go-in-person').click();
    const qr = page.getByTestId('engagement-qr');
    await qr.waitFor();
    await shot('08-in-person-qr');
    const counter = await counterAsks(world, (await qr.getAttribute('data-uri'))!, {
      elements: ['portrait', 'full_name_unicode', 'resident_address_unicode'],
      reader: { name: '窓口 3番', myNumber: true },
    });
    await page.getByTestId('consent').waitFor();
    expect(await page.getByTestId('requester').textContent()).toContain('窓口 3番');
    await shot('09-in-person-consent');
    await page.locator('input[name=kenhojoPin]').fill(CARD_PINS.authentication);
    await page.getByTestId('approve').click();
    expect((await counter.receive()).get('full_name_unicode')).toBe(person.basicFourInfo.name);
    await page.getByTestId('outcome').waitFor();
  });

  it('answers the デジタル認証アプリ-compatible OpenID Provider for openid-client: the 4 info, a signed digest, a refusal', async () => {
    const redirect = 'http://127.0.0.1:9/callback';
    const base = world.verifier.base;
    const { config, encryptionKey } = await oidcRelyingParty({
      verifier: base,
      adminToken: VERIFIER_ADMIN,
      rpId: world.verifier.keys.securities.id,
      redirectUri: redirect,
      scopes: ['name', 'address', 'birthdate', 'gender', 'sign'],
    });
    /** The phone opens the authorization's request (same device), approves with the PINs, then the code is exchanged. */
    const phoneApproves = async (flow: OidcFlow, shotName: string) => {
      await page.goto(walletLink(flow.interaction.link));
      await page.getByTestId('consent').waitFor();
      await shot(shotName);
      await page.locator('input[name=authenticationPin]').fill(CARD_PINS.authentication);
      await page.locator('input[name=signingPassword]').fill(CARD_PINS.signing);
      await page.getByTestId('approve').click();
      await page.getByTestId('outcome').waitFor();
      return oidc.authorizationCodeGrant(config, await finishOidcAuthorization(flow, base), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
    };

    const login = await beginOidcAuthorization(config, redirect, { scope: 'openid name address birthdate gender' });
    const tokens = await phoneApproves(login, '12a-oidc-login-consent');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(info.name).toBe(person.basicFourInfo.name);

    // A sign transaction over the plain SHA-256 digest: the phone shows the digest, the card signs exactly it.
    const digest = createHash('sha256').update('申込内容 — openmyna 証券').digest();
    const id = await startSignTransaction(config, base, { digest: digest.toString('base64'), title: '申込内容の確認' });
    const signing = await beginOidcAuthorization(config, redirect, { scope: 'openid sign', sign_transaction_id: id });
    await page.goto(walletLink(signing.interaction.link));
    await page.getByTestId('consent').waitFor();
    expect((await page.getByTestId('digest').textContent())!.replace(/\s/g, '')).toBe(digest.toString('hex'));
    const signed = await signResult(
      config,
      base,
      id,
      (await phoneApproves(signing, '12b-oidc-sign-consent')).access_token,
      encryptionKey,
    );
    const certificate = new X509Certificate(Buffer.from(signed.certificate, 'base64'));
    const recovered = publicDecrypt(
      { key: certificate.publicKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from(signed.signature, 'base64'),
    );
    expect(recovered.equals(digest)).toBe(true);

    // The holder refuses on the phone: the browser's page stops waiting and says so (the request stays
    // open: a refusal is unsigned); the person cancels there, and the client hears access_denied.
    const refused = await beginOidcAuthorization(config, redirect, { scope: 'openid' });
    const statusOf = async (flow: OidcFlow) =>
      (await (await flow.browser.get(new URL(flow.interaction.status, base).href, 'application/json')).json()) as {
        status: string;
        stopped?: boolean;
      };
    await page.goto(walletLink(refused.interaction.link));
    await page.getByTestId('consent').waitFor();
    await page.getByRole('button', { name: '拒否' }).click();
    await page.getByTestId('outcome').waitFor();
    expect(await statusOf(refused)).toEqual({ status: 'pending', stopped: true });
    const back = await refused.browser.follow(new URL(refused.interaction.cancel, base).href, base);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');

    // The third wrong 利用者証明用暗証番号 locks it: the phone says so and gives up, and the firm's page (the PC's,
    // a second page of the same browser) stops waiting. (The last test resets this PIN with the card.)
    const firm = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
    const authorization = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirect,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
    });
    await firm.goto(authorization.href);
    const lockedLink = await firm.getByTestId('same-device').getAttribute('href');
    await page.goto(walletLink(lockedLink!));
    await page.getByTestId('consent').waitFor();
    for (const expected of ['残り 2 回', '残り 1 回', 'ロックされました']) {
      await page.locator('input[name=authenticationPin]').fill('0000');
      await page.getByTestId('approve').click();
      await expect.poll(() => page.getByTestId('error').textContent()).toContain(expected);
    }
    expect(await page.getByTestId('error').textContent()).toContain('暗証番号の初期化（カードを使う）');
    expect(await page.getByTestId('approve').isDisabled()).toBe(true);
    await shot('12c-pin-locked');
    // The firm's page hears the phone stopped (access_denied; which PIN, and that it locked, stay on the
    // phone) and no longer says it waits.
    await firm.getByTestId('stopped').waitFor();
    expect(await firm.getByTestId('stopped').textContent()).toContain('スマホで中止されました');
    expect(await firm.getByTestId('waiting').isHidden()).toBe(true);
    await firm.screenshot({ path: join(SHOTS, '12d-oidc-phone-stopped.png'), fullPage: true });
    await expectPageWords(firm);
    await expectAccessible(firm, '12d-oidc-phone-stopped');
    await firm.close();
  });

  it('checks the certificate status across origins: 「有効」 beside the button, when in 日本時間', async () => {
    // The page (host.base) asks the issuer on its own origin (world.issuerUrl): a real CORS request, its
    // OCSP POST preflighted by Chromium itself — nothing here rewrites or intercepts the page's fetches.
    expect(new URL(world.issuerUrl).origin).not.toBe(new URL(host.base).origin);
    await page.goto(host.base);
    await page.getByTestId('go-settings').click();
    const [ocsp] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${world.issuerUrl}/ocsp/authentication`, {
        timeout: 10_000,
      }),
      page.getByTestId('check-status').click(),
    ]);
    expect([ocsp.request().method(), ocsp.headers()['access-control-allow-origin']]).toEqual(['POST', '*']);
    const result = page.getByTestId('status-result');
    await expect
      .poll(() => result.textContent())
      .toMatch(/^有効 \d{4}年\d{1,2}月\d{1,2}日 \d{1,2}時\d{2}分（日本時間）に確認$/);
    await shot('10a-status');
    await page.getByTestId('language').click();
    expect(await result.textContent()).toMatch(/^valid checked \d{1,2} \w+ \d{4} at \d{2}:\d{2} \(Japan time\)$/);
    await page.getByTestId('language').click();
  });

  it('shows the history, switches to English, resets a PIN with the card, and revokes the phone', async () => {
    await page.goto(host.base);
    await page.getByTestId('go-history').click();
    await page.getByTestId('history').waitFor();
    const history = (await page.getByTestId('history').textContent()) ?? '';
    expect(history).toContain('オンライン提示');
    // A wrong and a locked PIN are their own kinds, not the person refusing.
    expect(history).toContain('暗証番号の誤り');
    expect(history).toContain('ロック');
    expect(history).not.toContain(person.myNumber);
    await shot('10-history');
    await page.getByTestId('language').click();
    expect(await page.locator('h1').textContent()).toBe('openmyna wallet');
    await page.getByTestId('back').click();
    await page.getByTestId('go-settings').click();
    // A PIN reset with the card (its signing password), before the phone is revoked.
    await page.locator('input[name=reset-card-password]').fill(CARD_PINS.signing);
    await page.locator('input[name=reset-new-pin]').fill('2468');
    await page.getByTestId('reset-pin').click();
    await expect.poll(() => page.getByTestId('settings-message').textContent()).toContain('new PIN is in force');
    await shot('11-pin-reset');
    // The 利用者証明用 PIN (the form's default) is now 2468: the revocation proves it.
    await page.locator('input[name=lifecycle-pin]').fill('2468');
    await page.getByTestId('revoke').click();
    await expect.poll(() => page.getByTestId('settings-message').textContent()).toContain('Revoked');
    await shot('12-revoked');
    await page.getByTestId('back').click();
    await page.getByTestId('no-card').waitFor();
    await page.getByTestId('language').click();
  });
});

describe('the web wallet over HTTPS through one origin (sandbox up --lan)', () => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let host: Awaited<ReturnType<typeof startWalletWeb>>;
  let tls: Awaited<ReturnType<typeof loadSandboxTls>>;
  let browser: Browser;
  const person = registryPerson('wallet-web-lan', 3).input;

  beforeAll(async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'openmyna-wallet-web-'));
    await build({
      configFile: resolve(REPO_ROOT, 'apps/wallet-web/vite.config.ts'),
      build: { outDir, emptyOutDir: true },
      logLevel: 'warn',
    });
    const port = await freePort();
    const origin = `https://127.0.0.1:${port}`;
    world = await walletWorld('wallet-web-lan', [3], { verifierPublicUrl: `${origin}/verifier` });
    tls = await loadSandboxTls(mkdtempSync(join(tmpdir(), 'openmyna-tls-')), ['127.0.0.1', 'localhost']);
    const card = world.issuer.cards[0]!;
    host = await startWalletWeb({
      host: '127.0.0.1',
      port,
      staticDir: outDir,
      tls,
      upstreams: { issuer: world.issuerUrl, verifier: world.verifier.base },
      config: {
        issuerUrl: `${origin}/issuer`,
        readerCa: Buffer.from(world.issuer.authorities.mdoc.readerCa.der).toString('base64'),
        relayUrl: `wss://127.0.0.1:${port}/verifier/relay`,
      },
      reader: {
        cards: [{ id: card.document.personId, name: person.basicFourInfo.name }],
        open: () =>
          openVirtualCard({
            document: card.document,
            passphrase: card.passphrase,
            store: () => new MemoryRetryCounterStore(),
          }),
      },
    });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await world?.dispose();
  });

  it('serves a certificate from the sandbox CA, and the wallet provisions and presents through the proxy', async () => {
    expect(host.url).toMatch(/^https:/);
    // The certificate chains to the sandbox's own CA for this address.
    const peer = await new Promise<string>((done, fail) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: Number(new URL(host.url).port), ca: tls.ca }, () => {
        done(socket.authorized ? 'authorized' : String(socket.authorizationError));
        socket.end();
      });
      socket.on('error', fail);
    });
    expect(peer).toBe('authorized');
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await page.goto(host.url);
    await addDemoCard(page);
    await page.getByTestId('start-provisioning').click();
    await page.getByTestId('card-face').waitFor({ timeout: 60_000 });
    const created = (await (
      await world.verifier.rp('securities', '/v1/presentations', {
        method: 'POST',
        body: JSON.stringify({
          sign: { document: Buffer.from('申込書').toString('base64'), title: '申込書' },
          kenhojo: ['my_number', 'basic_four_info'],
          purpose: '口座開設',
        }),
      })
    ).json()) as { id: string; link: string };
    expect(new URL(created.link).searchParams.get('request_uri')).toContain(`${host.url}/verifier/`);
    await page.goto(`${host.url}/?${new URL(created.link).search.slice(1)}`);
    await page.getByTestId('consent').waitFor();
    await page.locator('input[name=signingPassword]').fill(CARD_PINS.signing);
    await page.locator('input[name=kenhojoPin]').fill(CARD_PINS.authentication);
    await page.getByTestId('approve').click();
    await page.getByTestId('outcome').waitFor();
    const result = (await (await world.verifier.rp('securities', `/v1/presentations/${created.id}`)).json()) as {
      result: { status: string };
    };
    expect(result.result.status).toBe('valid');

    // In person through the proxied relay (wss on the same origin).
    await page.getByRole('button', { name: 'ホーム' }).click();
    await page.getByTestId('go-in-person').click();
    const qr = page.getByTestId('engagement-qr');
    await qr.waitFor();
    const counter = await counterAsks(world, (await qr.getAttribute('data-uri'))!, {
      elements: ['full_name_unicode'],
      ca: tls.ca,
    });
    expect(counter.relay.url).toBe(`wss://127.0.0.1:${new URL(host.url).port}/verifier/relay`);
    await page.getByTestId('consent').waitFor();
    // No reader authentication: the wallet warns that the reader is not verified.
    expect(await page.getByTestId('requester').textContent()).toContain('確認できない');
    await page.locator('input[name=kenhojoPin]').fill(CARD_PINS.authentication);
    await page.getByTestId('approve').click();
    expect((await counter.receive()).get('full_name_unicode')).toBe(person.basicFourInfo.name);

    // The status check asks the issuer through the same origin: the certificate's own OCSP URL
    // (127.0.0.1:8080) is not one a phone on the LAN reaches.
    await page.getByTestId('outcome').waitFor();
    await page.getByRole('button', { name: 'ホーム' }).click();
    await page.getByTestId('go-settings').click();
    await page.getByTestId('check-status').click();
    await expect.poll(() => page.getByTestId('status-result').textContent()).toMatch(/^有効 /);
  });
});
