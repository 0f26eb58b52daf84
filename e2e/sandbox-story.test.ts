import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../apps/cli/test/cli-harness.js';
import { launchChromium } from '../test-support/browser.js';
import { REPO_ROOT } from '../test-support/test-vectors.js';

/** Screenshots of each step, kept by CI as artifacts. */
const SHOTS = join(REPO_ROOT, 'artifacts', 'screenshots', 'e2e');

/**
 * The whole story over the real sandbox (`openmyna sandbox up` as a child process: issuer, verifier,
 * web wallet, securities firm and shop on localhost) in two browser contexts — the phone and the PC:
 * provision the phone, open an account cross-device (the Digital Agency document's case), log in,
 * present at the counter, meet the shop that may not have a My Number, then the phone is reported lost
 * and the firm refuses it. A screenshot of each step goes to artifacts/screenshots/e2e.
 */
describe('the phone alone, over the whole sandbox', () => {
  let sandbox: ChildProcessWithoutNullStreams;
  let dataDir: string;
  let urls: { issuer: string; wallet: string; rp: string; shop: string };
  let browser: Browser;
  let phoneBrowser: Browser;
  /** What the phone's camera sees (Chromium's fake camera plays this MJPEG file). */
  let phoneCamera: string;
  let phone: Page;
  let pc: Page;
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-e2e-'));
    const [issuerPort, verifierPort, walletPort, rpPort, shopPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    dataDir = join(dir, 'data');
    sandbox = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'apps/cli/dist/main.js'),
        'sandbox',
        'up',
        '--data',
        dataDir,
        '--persons',
        '5',
        '--issuer-port',
        String(issuerPort),
        '--verifier-port',
        String(verifierPort),
        '--wallet-port',
        String(walletPort),
        '--rp-port',
        String(rpPort),
        '--shop-port',
        String(shopPort),
      ],
      // A revocation counts at once: the verifier asks OCSP every time instead of reusing an answer.
      { cwd: dir, env: { ...process.env, OPENMYNA_VERIFIER_OCSP_CACHE_SECONDS: '0' } },
    );
    let output = '';
    await new Promise<void>((ready, fail) => {
      sandbox.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Walkthrough:')) ready();
      });
      sandbox.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      sandbox.once('exit', (code) => fail(new Error(`the sandbox exited ${code}: ${output}`)));
    });
    urls = {
      issuer: /issuer\s+(http\S+)/.exec(output)![1]!,
      wallet: /web wallet\s+(http\S+)/.exec(output)![1]!,
      rp: /RP demo\s+(http\S+)/.exec(output)![1]!,
      shop: /shop demo\s+(http\S+)/.exec(output)![1]!,
    };
    browser = await launchChromium();
    pc = await (await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'ja-JP' })).newPage();
    // The phone has a camera: until it is pointed at a QR code, it sees the PC's blank page.
    phoneCamera = join(dir, 'phone-camera.mjpeg');
    writeFileSync(phoneCamera, await pc.screenshot({ type: 'jpeg' }));
    phoneBrowser = await launchChromium(fakeCamera(phoneCamera));
    phone = await (await phoneBrowser.newContext({ viewport: { width: 390, height: 844 }, locale: 'ja-JP' })).newPage();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await phoneBrowser?.close();
    if (sandbox && sandbox.exitCode === null) {
      const exited = new Promise((done) => sandbox.once('exit', done));
      sandbox.kill('SIGTERM');
      await exited;
    }
  });

  it('provisions the phone, then opens an account from the PC with 「スマホで読み取る」 to 「認証完了」', async () => {
    // The phone: add the demo card.
    await phone.goto(urls.wallet);
    await phone.getByTestId('add-card').click();
    await phone.getByTestId('demo-card').selectOption('P0000001');
    await phone.locator('input[name=cardAuth]').fill('1234');
    await phone.locator('input[name=cardSigning]').fill('OPENMYNA1');
    await phone.getByTestId('start-provisioning').click();
    await phone.getByTestId('card-face').waitFor({ timeout: 60_000 });
    await shot(phone, '01-phone-card');

    // The PC: the securities firm's site.
    await pc.goto(urls.rp);
    await shot(pc, '02-pc-top');
    await pc.getByTestId('start').click();
    await pc.getByTestId('submit-application').click();
    await pc.getByTestId('smartphone').waitFor();
    await shot(pc, '03-pc-method');
    await pc.getByTestId('smartphone').click();
    const qr = pc.getByTestId('qr');
    await qr.waitFor();
    await shot(pc, '04-pc-qr');

    // The phone's camera reads the QR code; the wallet shows who asks and what, and sends after the PINs.
    await phoneScans(qr);
    expect(await phone.getByTestId('requester').textContent()).toContain('openmyna証券');
    expect(await phone.getByTestId('my-number-notice').textContent()).toContain('登録されています');
    await shot(phone, '05-phone-consent');
    await phone.locator('input[name=signingPassword]').fill('OPENMYNA1');
    await phone.locator('input[name=kenhojoPin]').fill('1234');
    await phone.locator('input[name=authenticationPin]').fill('1234');
    await phone.getByTestId('approve').click();
    await phone.getByTestId('outcome').waitFor();
    await shot(phone, '06-phone-sent');

    // The PC page turns to 「認証完了」 by itself.
    await pc.getByTestId('done').waitFor({ timeout: 30_000 });
    expect(await pc.getByTestId('my-number').textContent()).toMatch(/^\*{8}\d{4}$/);
    expect(await pc.getByTestId('account-no').textContent()).toMatch(/^\d{4}-\d{10}$/);
    await shot(pc, '07-pc-done');
  });
  /** The phone's camera pointed at `qr` (on the PC's screen): the wallet's scanner reads it and opens the request. */
  async function phoneScans(qr: Locator) {
    writeFileSync(phoneCamera, await pictureOf(qr));
    await phone.getByTestId('go-request').click();
    await phone.getByTestId('scan').click();
    await phone.getByTestId('consent').waitFor({ timeout: 30_000 });
  }

  /** The wallet's home screen (the wallet reopens from IndexedDB). */
  async function phoneHome() {
    await phone.goto(urls.wallet);
    await phone.getByTestId('card-face').waitFor();
  }

  /** The phone answers the request the PC shows as a QR code (its text, as the camera would read it). */
  async function phoneAnswers(
    pcPage: Page,
    pins: Record<string, string>,
    shotName: string,
    ending: 'outcome' | 'error' = 'outcome',
  ) {
    const qr = pcPage.getByTestId('qr');
    await qr.waitFor();
    await phoneHome();
    await phoneScans(qr);
    for (const [name, pin] of Object.entries(pins)) await phone.locator(`input[name=${name}]`).fill(pin);
    await shot(phone, shotName);
    await phone.getByTestId('approve').click();
    await phone.getByTestId(ending).waitFor();
  }

  it('logs in with 「スマホでログイン」 (the 利用者証明用 PIN)', async () => {
    await pc.goto(`${urls.rp}/login`);
    await pc.getByTestId('login').click();
    await shot(pc, '08-pc-login-qr');
    await phoneAnswers(pc, { authenticationPin: '1234' }, '09-phone-login-consent');
    await pc.getByTestId('signed-in').waitFor({ timeout: 30_000 });
    expect(await pc.getByTestId('name').textContent()).toContain('様');
    await shot(pc, '10-pc-signed-in');
  });

  it('presents in person at the counter: the clerk’s camera reads the phone, the clerk sees the verified photo, name, address and age', async () => {
    await phoneHome();
    await phone.getByTestId('go-in-person').click();
    const engagement = phone.getByTestId('engagement-text');
    await engagement.waitFor({ state: 'attached' });
    await shot(phone, '11-phone-engagement-qr');
    // The counter's camera sees the phone's screen: Chromium's fake camera plays a picture of the QR code
    // (MJPEG), and the page's own scanner (getUserMedia + jsQR) reads it and starts the check.
    const cameraFile = join(dataDir, '..', 'camera.mjpeg');
    writeFileSync(cameraFile, await pictureOf(phone.getByTestId('engagement-qr')));
    const counterBrowser = await launchChromium(fakeCamera(cameraFile));
    try {
      const clerk = await (
        await counterBrowser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'ja-JP' })
      ).newPage();
      await clerk.goto(`${urls.rp}/counter`);
      await shot(clerk, '12-pc-counter');
      await clerk.getByTestId('scan').click();
      await clerk.waitForURL(/\/counter\/[A-Za-z0-9_-]+$/, { timeout: 30_000 });
      await phone.getByTestId('consent').waitFor({ timeout: 30_000 });
      expect(await phone.getByTestId('requester').textContent()).toContain('openmyna証券');
      await phone.locator('input[name=kenhojoPin]').fill('1234');
      await shot(phone, '13-phone-counter-consent');
      await phone.getByTestId('approve').click();
      await clerk.getByTestId('portrait').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await clerk.getByTestId('name').textContent()).not.toBe('');
      expect(
        await clerk.getByTestId('portrait').evaluate((image: HTMLImageElement) => image.naturalWidth),
      ).toBeGreaterThan(0);
      await shot(clerk, '14-pc-counter-person');
      await clerk.getByTestId('record-match').click();
      expect(await clerk.getByTestId('decision').textContent()).toBe('本人と一致');
      await shot(clerk, '15-pc-counter-recorded');
    } finally {
      await counterBrowser.close();
    }
  });

  it('meets the shop: 「20歳以上」 only, and its My Number request refused by the verifier', async () => {
    await pc.goto(urls.shop);
    await pc.getByTestId('age-check').click();
    await phoneAnswers(pc, { kenhojoPin: '1234' }, '16-phone-age-consent');
    await pc.getByTestId('done').waitFor({ timeout: 30_000 });
    await shot(pc, '17-pc-shop-age');
    await pc.goto(urls.shop);
    await pc.getByTestId('ask-my-number').click();
    expect(await pc.getByTestId('refusal').textContent()).toContain('ERR_RP_NOT_AUTHORIZED');
    await shot(pc, '18-pc-shop-my-number-refused');
  });

  it('refuses the phone once it is reported lost and revoked', async () => {
    // The person calls the issuer's hotline: the operator finds the phone and revokes it.
    const token = (JSON.parse(readFileSync(join(dataDir, 'issuer', 'admin-token.json'), 'utf8')) as { token: string })
      .token;
    const admin = (path: string, init: RequestInit = {}) =>
      fetch(`${urls.issuer}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    const { phones } = (await (await admin('/admin/persons/P0000001/phones')).json()) as { phones: { id: string }[] };
    expect(phones).toHaveLength(1);
    const revoked = await admin(`/admin/phones/${phones[0]!.id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: '紛失の届出' }),
    });
    expect(revoked.status).toBe(200);
    // The web wallet keeps its keys in the issuer's remote secure area, which destroyed them with the
    // revocation: the phone cannot answer at all, and says why. (A phone with its keys on the phone
    // answers, and the verifier refuses the revoked certificate: apps/issuer/test/wallet/wallet.test.ts.)
    await pc.goto(`${urls.rp}/login`);
    await pc.getByTestId('login').click();
    await phoneAnswers(pc, { authenticationPin: '1234' }, '19-phone-login-after-revocation', 'error');
    expect(await phone.getByTestId('error').textContent()).toContain('失効');
    await shot(pc, '20-pc-login-still-open');
  });
});

/** Chromium switches for a camera that plays `file` (MJPEG) and a permission prompt that says yes. */
const fakeCamera = (file: string) => [
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
