import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../apps/cli/test/cli-harness.js';
import { launchChromium } from '../test-support/browser.js';
import { REPO_ROOT } from '../test-support/shared-vectors.js';

/** Screenshots of each step, kept by CI as artifacts. */
const SHOTS = join(REPO_ROOT, 'artifacts', 'screenshots', 'e2e');

/**
 * The Digital Agency document's case end to end, over the real sandbox (`openmyna sandbox up` as a
 * child process: issuer, verifier, web wallet, RP demo on localhost) in two browser contexts — the
 * phone and the PC.
 */
describe('account opening with the phone alone, over the whole sandbox', () => {
  let sandbox: ChildProcessWithoutNullStreams;
  let urls: { wallet: string; rp: string };
  let browser: Browser;
  let phone: Page;
  let pc: Page;
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-e2e-'));
    const [issuerPort, verifierPort, walletPort, rpPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    sandbox = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'apps/cli/dist/main.js'),
        'sandbox',
        'up',
        '--data',
        join(dir, 'data'),
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
      ],
      { cwd: dir },
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
      wallet: /web wallet\s+(http\S+)/.exec(output)![1]!,
      rp: /RP demo\s+(http\S+)/.exec(output)![1]!,
    };
    browser = await launchChromium();
    phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'ja-JP' })).newPage();
    pc = await (await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'ja-JP' })).newPage();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
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
    const link = (await qr.getAttribute('data-link'))!;

    // The phone reads the QR (its text), shows who asks and what, and sends after the PINs.
    await phone.getByTestId('go-request').click();
    await phone.locator('textarea[name=link]').fill(link);
    await phone.getByTestId('open-request').click();
    await phone.getByTestId('consent').waitFor();
    expect(await phone.getByTestId('requester').textContent()).toContain('openmyna証券');
    expect(await phone.getByTestId('my-number-notice').textContent()).toContain('登録されています');
    await shot(phone, '05-phone-consent');
    await phone.locator('input[name=signingPassword]').fill('OPENMYNA1');
    await phone.locator('input[name=kenhojoPin]').fill('1234');
    await phone.getByTestId('approve').click();
    await phone.getByTestId('outcome').waitFor();
    await shot(phone, '06-phone-sent');

    // The PC page turns to 「認証完了」 by itself.
    await pc.getByTestId('done').waitFor({ timeout: 30_000 });
    expect(await pc.getByTestId('my-number').textContent()).toMatch(/^\*{8}\d{4}$/);
    expect(await pc.getByTestId('account-no').textContent()).toMatch(/^\d{4}-\d{10}$/);
    await shot(pc, '07-pc-done');
  });
});
