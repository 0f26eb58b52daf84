import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

import { expectAccessible } from '../test-support/axe.js';
import { launchChromium } from '../test-support/browser.js';
import { expectPageWords } from '../test-support/page-words.js';

/** Where the story's sites are. */
export interface StoryUrls {
  readonly issuer: string;
  readonly wallet: string;
  readonly rp: string;
  readonly shop: string;
}

/**
 * The sandbox story with two browsers, the phone (with a camera) and the PC: each step as the user
 * does it, with a screenshot named `<prefix><n>-<step>.png` in `shots`. The sandbox test runs it over
 * `sandbox up`; the cluster test over two issuers and two verifiers behind HAProxy.
 */
export class PhoneAndPc {
  /** The person's actions since {@link startCounting} (clicks, fills, scans, WebAuthn gestures), by name. */
  private counted: string[] | undefined;

  private constructor(
    readonly urls: StoryUrls,
    private readonly dir: string,
    private readonly shots: string,
    private readonly browsers: Browser[],
    readonly phone: Page,
    readonly pc: Page,
    private readonly phoneCamera: string,
  ) {}

  /** The two browsers, the phone's with a fake camera playing `<dir>/phone-camera.mjpeg`. */
  static async open(urls: StoryUrls, dir: string, shots: string): Promise<PhoneAndPc> {
    const browser = await launchChromium();
    const pc = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' })).newPage();
    // The phone has a camera: until it is pointed at a QR code, it sees the PC's blank page.
    const phoneCamera = join(dir, 'phone-camera.mjpeg');
    writeFileSync(phoneCamera, await pc.screenshot({ type: 'jpeg' }));
    const phoneBrowser = await launchChromium(fakeCamera(phoneCamera));
    const phone = await (
      await phoneBrowser.newContext({ viewport: { width: 390, height: 844 }, locale: 'ja-JP' })
    ).newPage();
    return new PhoneAndPc(urls, dir, shots, [browser, phoneBrowser], phone, pc, phoneCamera);
  }

  async close(): Promise<void> {
    await Promise.all(this.browsers.map((browser) => browser.close()));
  }

  /** Starts counting the person's actions (the first one, `first`, included). */
  startCounting(first: string): void {
    this.counted = [first];
  }

  /** Stops counting: the actions since {@link startCounting}. */
  stopCounting(): string[] {
    const counted = this.counted ?? [];
    this.counted = undefined;
    return counted;
  }

  /** One action of the person, counted while counting. */
  private async act(name: string, action: () => Promise<unknown>): Promise<void> {
    this.counted?.push(name);
    await action();
  }

  /**
   * Adds a virtual platform authenticator (Chrome DevTools Protocol: CTAP2, internal, resident keys,
   * user verification that succeeds, PRF) to the phone, as a phone with biometrics has.
   */
  async phoneHasBiometrics(): Promise<void> {
    const cdp = await this.phone.context().newCDPSession(this.phone);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        hasPrf: true,
        automaticPresenceSimulation: true,
      },
    });
    this.forgetBiometrics = () => cdp.send('WebAuthn.clearCredentials', { authenticatorId }).then(() => undefined);
  }

  /** The phone's authenticator loses its credentials (set after {@link phoneHasBiometrics}). */
  forgetBiometrics: () => Promise<void> = () => Promise.reject(new Error('the phone has no virtual authenticator'));

  /** 設定 → 「生体認証・画面ロックで承認する」 with the shared PIN and the signing password. */
  async setUpPlatformVerification(shot: string): Promise<void> {
    const { phone } = this;
    await this.phoneHome();
    await phone.getByTestId('go-settings').click();
    const section = phone.getByTestId('platform-verification');
    await section.locator('input[name=sharedPin]').fill('1234');
    await section.locator('input[name=signingPassword]').fill('OPENMYNA1');
    await section.getByTestId('platform-set-up').click();
    await phone.getByTestId('platform-message').or(phone.getByTestId('platform-error')).waitFor({ timeout: 30_000 });
    const failure = phone.getByTestId('platform-error');
    expect(await failure.count(), (await failure.count()) ? ((await failure.textContent()) ?? '') : '').toBe(0);
    await this.shot(phone, shot);
  }

  /**
   * A screenshot of `page` as `<name>.png`, then the checks of what it shows: words, not identifiers or
   * ISO timestamps, and accessibility (axe-core).
   */
  async shot(page: Page, name: string): Promise<Buffer> {
    const picture = await page.screenshot({ path: join(this.shots, `${name}.png`), fullPage: true });
    await expectPageWords(page);
    await expectAccessible(page, name);
    return picture;
  }

  /** The phone adds the demo card of `person` with its PINs (provisioning from the card). */
  async provision(person: string, shot: string): Promise<void> {
    const { phone } = this;
    await phone.goto(this.urls.wallet);
    await phone.getByTestId('add-card').click();
    await phone.getByTestId('demo-card').selectOption(person);
    await phone.locator('input[name=cardAuth]').fill('1234');
    await phone.locator('input[name=cardSigning]').fill('OPENMYNA1');
    // One 4-digit PIN for 利用者証明用 and 入力補助 (the card's 1234), the signing password apart.
    await phone.getByTestId('shared-pin').check();
    await phone.getByTestId('start-provisioning').click();
    await phone.getByTestId('card-face').waitFor({ timeout: 60_000 });
    await this.shot(phone, shot);
  }

  /**
   * The PC opens an account at the securities firm; the phone answers with its PINs (the signing
   * password and the shared PIN), or with one platform verification (`verification: 'platform'`). An
   * application made again (`again`) may instead hear that the account exists ('exists'). The person's
   * actions from 「スマホで読み取る」 to 「認証完了」 are in {@link lastActions}.
   */
  async openAccount(
    prefix: string,
    again = false,
    verification: 'pins' | 'platform' = 'pins',
  ): Promise<'opened' | 'exists'> {
    const { pc, phone } = this;
    await pc.goto(this.urls.rp);
    await this.shot(pc, `${prefix}02-pc-top`);
    await pc.getByTestId('start').click();
    await pc.getByTestId('submit-application').waitFor();
    await this.shot(pc, `${prefix}02a-pc-application`);
    await pc.getByTestId('submit-application').click();
    await pc.getByTestId('smartphone').waitFor();
    await this.shot(pc, `${prefix}03-pc-method`);
    // The wallet is open on the phone's home screen, as a person keeps it at hand.
    await this.phoneHome();
    this.startCounting('click 「スマホで読み取る」');
    await pc.getByTestId('smartphone').click();
    const qr = pc.getByTestId('qr');
    await qr.waitFor();
    await this.shot(pc, `${prefix}04-pc-qr`);
    // The phone's camera reads the QR code; the wallet shows who asks and what, and sends after the PINs.
    await this.phoneScans(qr);
    expect(await phone.getByTestId('requester').textContent()).toContain('openmyna証券');
    expect(await phone.getByTestId('my-number-notice').textContent()).toContain('登録されています');
    await this.shot(phone, `${prefix}05-phone-consent`);
    if (verification === 'platform') await this.approveWithPlatform();
    else {
      await this.fillPins({ signingPassword: 'OPENMYNA1', kenhojoPin: '1234', authenticationPin: '1234' });
      await this.act('click 「同意して送信」', () => phone.getByTestId('approve').click());
    }
    await phone.getByTestId('outcome').waitFor();
    await this.shot(phone, `${prefix}06-phone-sent`);
    // The PC page turns to 「認証完了」 by itself.
    await pc.getByTestId('done').or(pc.getByTestId('refused')).waitFor({ timeout: 30_000 });
    this.lastActions = this.stopCounting();
    if (again && (await pc.getByTestId('refused').isVisible())) {
      expect(await pc.getByTestId('refusal').textContent()).toContain('すでに口座が開設されています');
      await this.shot(pc, `${prefix}07-pc-already-opened`);
      return 'exists';
    }
    expect(await pc.getByTestId('my-number').textContent()).toMatch(/^\*{8}\d{4}$/);
    expect(await pc.getByTestId('account-no').textContent()).toMatch(/^\d{4}-\d{10}$/);
    await this.shot(pc, `${prefix}07-pc-done`);
    return 'opened';
  }

  /** The person's actions of the last {@link openAccount} (「スマホで読み取る」 to 「認証完了」) or {@link signWithOidc}. */
  lastActions: string[] = [];

  /**
   * The same-device path: the firm's page opened on the phone itself; its link opens the wallet's
   * consent screen directly. Returns the person's actions from 「スマホで読み取る」 to the consent screen.
   */
  async sameDevice(prefix: string): Promise<string[]> {
    const { phone } = this;
    await phone.goto(this.urls.rp);
    await phone.getByTestId('start').click();
    await phone.getByTestId('submit-application').click();
    this.startCounting('click 「スマホで読み取る」');
    await phone.getByTestId('smartphone').click();
    await this.act('follow the same-device link', () => phone.getByTestId('same-device').click());
    await phone.getByTestId('consent').waitFor({ timeout: 30_000 });
    const actions = this.stopCounting();
    expect(await phone.getByTestId('requester').textContent()).toContain('openmyna証券');
    await this.shot(phone, `${prefix}05b-phone-same-device-consent`);
    await phone.getByRole('button', { name: '拒否' }).click();
    await phone.getByTestId('outcome').waitFor();
    return actions;
  }

  /** 「生体認証で承認して送信」: one tap, one user verification by the platform authenticator. */
  async approveWithPlatform(): Promise<void> {
    await this.act('click 「生体認証で承認して送信」', () => this.phone.getByTestId('approve-platform').click());
    // The virtual authenticator verifies the user (automatic presence): the person's one gesture.
    this.counted?.push('WebAuthn gesture (biometrics)');
  }

  /**
   * Fills the PIN fields the consent screen shows: with a shared PIN, the 利用者証明用 and 入力補助 PINs
   * are its one field (`sharedPin`).
   */
  async fillPins(pins: Record<string, string>): Promise<void> {
    const filled = new Set<string>();
    for (const [name, pin] of Object.entries(pins)) {
      const field = (await this.phone.locator(`input[name=${name}]`).count()) > 0 ? name : 'sharedPin';
      if (filled.has(field) || (await this.phone.locator(`input[name=${field}]`).count()) === 0) continue;
      filled.add(field);
      await this.act(`fill ${field}`, () => this.phone.locator(`input[name=${field}]`).fill(pin));
    }
  }

  /** 「スマホでログイン」 with the 利用者証明用 PIN (the shared PIN), after biometrics failed if `biometricsFail`. */
  async logIn(prefix: string, biometricsFail = false): Promise<void> {
    const { pc, phone } = this;
    await pc.goto(`${this.urls.rp}/login`);
    await this.shot(pc, `${prefix}07b-pc-login`);
    await pc.getByTestId('login').click();
    await this.shot(pc, `${prefix}08-pc-login-qr`);
    if (biometricsFail) {
      // 「生体認証で承認して送信」 fails (the authenticator lost its credential): the PIN field, and why.
      await this.phoneHome();
      await this.phoneScans(pc.getByTestId('qr'));
      await phone.getByTestId('approve-platform').click();
      await phone.getByTestId('platform-fallback').waitFor();
      expect(await phone.getByTestId('approve-platform').count()).toBe(0);
      await this.fillPins({ authenticationPin: '1234' });
      await this.shot(phone, `${prefix}09-phone-login-consent-fallback`);
      await phone.getByTestId('approve').click();
      await phone.getByTestId('outcome').waitFor();
    } else await this.phoneAnswers({ authenticationPin: '1234' }, `${prefix}09-phone-login-consent`);
    await pc.getByTestId('signed-in').waitFor({ timeout: 30_000 });
    expect(await pc.getByTestId('name').textContent()).toContain('様');
    await this.shot(pc, `${prefix}10-pc-signed-in`);
  }

  /**
   * 「デジタル認証アプリ方式でログイン」: the firm as an OpenID Connect client; the verifier's page shows the QR
   * code, the phone answers with the 利用者証明用 PIN, and the PC comes back to the firm signed in.
   */
  async logInWithOidc(prefix: string): Promise<void> {
    const { pc } = this;
    // Signed out first: the firm's session must come from this login.
    await pc.context().clearCookies();
    await pc.goto(`${this.urls.rp}/login`);
    await pc.getByTestId('oidc-login').click();
    await pc.getByTestId('qr').waitFor();
    expect(new URL(pc.url()).pathname).toMatch(/\/api\/realms\/main\/interaction\//);
    await this.shot(pc, `${prefix}10a-pc-oidc-login-qr`);
    await this.phoneAnswers({ authenticationPin: '1234' }, `${prefix}10b-phone-oidc-login-consent`);
    await pc.getByTestId('signed-in').waitFor({ timeout: 30_000 });
    expect(await pc.getByTestId('name').textContent()).toContain('様');
    await this.shot(pc, `${prefix}10c-pc-oidc-signed-in`);
  }

  /**
   * 「電子署名で申込内容を確認」: the firm starts a sign transaction over the application's DigestInfo, the phone
   * signs it with the 署名用パスワード, and the firm shows the signer and its own check of the signature.
   */
  async signWithOidc(prefix: string): Promise<void> {
    const { pc } = this;
    await pc.goto(`${this.urls.rp}/oidc/apply`);
    await this.shot(pc, `${prefix}10c2-pc-oidc-apply`);
    this.startCounting('click 「電子署名で申込内容を確認」');
    await pc.getByTestId('oidc-apply').click();
    await pc.getByTestId('qr').waitFor();
    await this.shot(pc, `${prefix}10d-pc-oidc-sign-qr`);
    await this.phoneAnswers(
      { signingPassword: 'OPENMYNA1', authenticationPin: '1234' },
      `${prefix}10e-phone-oidc-sign-consent`,
    );
    await pc.getByTestId('signature-verified').or(pc.getByTestId('refused')).waitFor({ timeout: 30_000 });
    this.lastActions = this.stopCounting();
    expect(await pc.getByTestId('refused').count(), (await pc.locator('main').textContent()) ?? '').toBe(0);
    expect(await pc.getByTestId('name').textContent()).not.toBe('—');
    await this.shot(pc, `${prefix}10f-pc-oidc-signed`);
  }

  /** In person at the counter: the clerk's camera reads the phone's engagement QR code. */
  async atTheCounter(prefix: string): Promise<void> {
    const { phone } = this;
    await this.phoneHome();
    await phone.getByTestId('go-in-person').click();
    const engagement = phone.getByTestId('engagement-text');
    await engagement.waitFor({ state: 'attached' });
    await this.shot(phone, `${prefix}11-phone-engagement-qr`);
    // The counter's camera sees the phone's screen: Chromium's fake camera plays a picture of the QR code
    // (MJPEG), and the page's own scanner (getUserMedia + jsQR) reads it and starts the check.
    const cameraFile = join(this.dir, 'camera.mjpeg');
    writeFileSync(cameraFile, await pictureOf(phone.getByTestId('engagement-qr')));
    const counterBrowser = await launchChromium(fakeCamera(cameraFile));
    try {
      const clerk = await (
        await counterBrowser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' })
      ).newPage();
      await clerk.goto(`${this.urls.rp}/counter`);
      await this.shot(clerk, `${prefix}12-pc-counter`);
      await clerk.getByTestId('scan').click();
      await clerk.waitForURL(/\/counter\/[A-Za-z0-9_-]+$/, { timeout: 30_000 });
      await phone.getByTestId('consent').waitFor({ timeout: 30_000 });
      expect(await phone.getByTestId('requester').textContent()).toContain('openmyna証券');
      await this.fillPins({ kenhojoPin: '1234' });
      await this.shot(phone, `${prefix}13-phone-counter-consent`);
      await phone.getByTestId('approve').click();
      await clerk.getByTestId('portrait').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await clerk.getByTestId('name').textContent()).not.toBe('');
      expect(
        await clerk.getByTestId('portrait').evaluate((image: HTMLImageElement) => image.naturalWidth),
      ).toBeGreaterThan(0);
      await this.shot(clerk, `${prefix}14-pc-counter-person`);
      await clerk.getByTestId('record-match').click();
      expect(await clerk.getByTestId('decision').textContent()).toBe('本人と一致');
      await this.shot(clerk, `${prefix}15-pc-counter-recorded`);
    } finally {
      await counterBrowser.close();
    }
  }

  /** The shop: 「20歳以上」 only, and its My Number request refused by the verifier. */
  async atTheShop(prefix: string): Promise<void> {
    const { pc } = this;
    await pc.goto(this.urls.shop);
    await this.shot(pc, `${prefix}15b-pc-shop`);
    await pc.getByTestId('age-check').click();
    await pc.getByTestId('qr').waitFor();
    await this.shot(pc, `${prefix}15c-pc-shop-qr`);
    await this.phoneAnswers({ kenhojoPin: '1234' }, `${prefix}16-phone-age-consent`);
    await pc.getByTestId('done').waitFor({ timeout: 30_000 });
    await this.shot(pc, `${prefix}17-pc-shop-age`);
    await pc.goto(this.urls.shop);
    await pc.getByTestId('ask-my-number').click();
    expect(await pc.getByTestId('refusal').getAttribute('data-code')).toBe('ERR_RP_NOT_AUTHORIZED');
    await this.shot(pc, `${prefix}18-pc-shop-my-number-refused`);
  }

  /**
   * The person reports the phone lost: the issuer's operator revokes it (admin API, `adminToken`),
   * and the next login cannot be answered — the wallet says why.
   */
  async reportedLost(person: string, adminToken: string, prefix: string): Promise<void> {
    const admin = (path: string, init: RequestInit = {}) =>
      fetch(`${this.urls.issuer}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      });
    const { phones } = (await (await admin(`/admin/persons/${person}/phones`)).json()) as {
      phones: { id: string; status: string }[];
    };
    const active = phones.filter((phone) => phone.status === 'active');
    expect(active).toHaveLength(1);
    const revoked = await admin(`/admin/phones/${active[0]!.id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: '紛失の届出' }),
    });
    expect(revoked.status).toBe(200);
    // The web wallet keeps its keys in the issuer's remote secure area, which destroyed them with the
    // revocation: the phone cannot answer at all, and says why. (A phone with its keys on the phone
    // answers, and the verifier refuses the revoked certificate: apps/issuer/test/wallet/wallet.test.ts.)
    await this.pc.goto(`${this.urls.rp}/login`);
    await this.pc.getByTestId('login').click();
    await this.phoneAnswers({ authenticationPin: '1234' }, `${prefix}19-phone-login-after-revocation`, 'error');
    expect(await this.phone.getByTestId('error').textContent()).toContain('失効');
    await this.shot(this.pc, `${prefix}20-pc-login-still-open`);
  }

  /**
   * The phone's camera pointed at `qr` (on the PC's screen): one tap on the home screen's
   * 「QRコードを読み取る」 opens the camera, which reads it and opens the request.
   */
  async phoneScans(qr: Locator): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      writeFileSync(this.phoneCamera, await pictureOf(qr));
      const tap = () => this.phone.getByTestId('go-scan').click();
      // Only the first tap is the person's: see below for the second.
      if (attempt === 1) await this.act('tap 「QRコードを読み取る」 (the camera reads the code)', tap);
      else await tap();
      const consent = this.phone.getByTestId('consent');
      const error = this.phone.getByTestId('error');
      await consent.or(error).first().waitFor({ timeout: 30_000 });
      if (await consent.isVisible()) return;
      const said = (await error.textContent()) ?? '';
      // Chromium's fake camera can still be playing the previous QR code (the request answered a step
      // before) when a capture is restarted quickly under load — a real camera shows what it sees: the
      // wallet then rightly refuses that answered request. The story points the camera again, once.
      if (attempt > 1 || !/expired or was answered|HTTP 409/.test(said))
        throw new Error(`the wallet showed an error instead of the consent screen: ${said}`);
      await this.phoneHome();
    }
  }

  /** The wallet's home screen (the wallet reopens from IndexedDB). */
  async phoneHome(): Promise<void> {
    await this.phone.goto(this.urls.wallet);
    await this.phone.getByTestId('card-face').waitFor();
  }

  /** The phone answers the request the PC shows as a QR code. */
  async phoneAnswers(
    pins: Record<string, string>,
    shotName: string,
    ending: 'outcome' | 'error' = 'outcome',
  ): Promise<void> {
    const qr = this.pc.getByTestId('qr');
    await qr.waitFor();
    await this.phoneHome();
    await this.phoneScans(qr);
    await this.fillPins(pins);
    await this.shot(this.phone, shotName);
    await this.phone.getByTestId('approve').click();
    await this.phone.getByTestId(ending).waitFor();
  }
}

/** Chromium switches for a camera that plays `file` (MJPEG) and a permission prompt that says yes. */
export const fakeCamera = (file: string): string[] => [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  `--use-file-for-fake-video-capture=${file}`,
];

/** A JPEG picture of what `element` shows, with a white margin, in even dimensions (as a camera frame). */
async function pictureOf(element: Locator): Promise<Buffer> {
  const box = (await element.boundingBox())!;
  const even = (value: number) => Math.ceil(value / 2) * 2;
  return element.page().screenshot({
    type: 'jpeg',
    quality: 95,
    clip: {
      x: Math.max(0, box.x - 12),
      y: Math.max(0, box.y - 12),
      width: even(box.width + 24),
      height: even(box.height + 24),
    },
  });
}
