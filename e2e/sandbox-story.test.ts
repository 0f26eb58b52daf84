import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../apps/cli/test/cli-harness.js';
import { REPO_ROOT } from '../test-support/test-vectors.js';
import { PhoneAndPc } from './story.js';

/** Screenshots of each step, kept by CI as artifacts. */
const SHOTS = join(REPO_ROOT, 'artifacts', 'screenshots', 'e2e');

/**
 * The whole story over the real sandbox (`openmyna sandbox up` as a child process: issuer, verifier,
 * web wallet, securities firm and shop on localhost) in two browser contexts — the phone and the PC:
 * provision the phone, open an account cross-device (the Digital Agency document's case), log in, log in
 * and sign the application the デジタル認証アプリ way (OpenID Connect), present at the counter, meet the shop
 * that may not have a My Number, then the phone is reported lost and the firm refuses it. A screenshot of each step goes to artifacts/screenshots/e2e.
 */
describe('the phone alone, over the whole sandbox', () => {
  let sandbox: ChildProcessWithoutNullStreams;
  let dataDir: string;
  let story: PhoneAndPc;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-e2e-'));
    const ports = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    dataDir = join(dir, 'data');
    const names = ['--issuer-port', '--verifier-port', '--wallet-port', '--rp-port', '--shop-port'];
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
        ...names.flatMap((name, index) => [name, String(ports[index])]),
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
    const urls = {
      issuer: /issuer\s+(http\S+)/.exec(output)![1]!,
      wallet: /web wallet\s+(http\S+)/.exec(output)![1]!,
      rp: /RP demo\s+(http\S+)/.exec(output)![1]!,
      shop: /shop demo\s+(http\S+)/.exec(output)![1]!,
    };
    story = await PhoneAndPc.open(urls, dir, SHOTS);
  }, 240_000);
  afterAll(async () => {
    await story?.close();
    if (sandbox && sandbox.exitCode === null) {
      const exited = new Promise((done) => sandbox.once('exit', done));
      sandbox.kill('SIGTERM');
      await exited;
    }
  });

  it('provisions the phone with one shared PIN and biometrics, then opens an account in four actions', async () => {
    await story.phoneHasBiometrics();
    await story.provision('P0000001', '01-phone-card');
    await story.setUpPlatformVerification('01b-phone-platform-verification');
    // The same-device path: the firm's page on the phone opens the wallet's consent screen directly.
    expect(await story.sameDevice('')).toEqual(['click 「スマホで読み取る」', 'follow the same-device link']);
    // 「スマホで読み取る」 → scan → 「生体認証で承認して送信」 → the gesture → 「認証完了」.
    expect(await story.openAccount('', false, 'platform')).toBe('opened');
    expect(story.lastActions.length, story.lastActions.join('; ')).toBeLessThanOrEqual(4);
  });

  it('logs in with 「スマホでログイン」 with the PIN, when biometrics fail (the authenticator lost its credential)', async () => {
    await story.forgetBiometrics();
    await story.logIn('', true);
  });

  it('logs in with 「デジタル認証アプリ方式でログイン」: OpenID Connect, the QR code on the verifier’s page', () =>
    story.logInWithOidc(''));

  // Not yet: the phone does not sign a sign transaction's digest (the web wallet's consent shows the login
  // alone, and apps/cli/test/oidc.test.ts's two sign cases fail with the CLI phone too); that side is being
  // finished on its own branch. Unskip once the wallet asks for the 署名用パスワード here.
  it('signs the application with 「電子署名で申込内容を確認」: a sign transaction, the signature checked by the firm', async () => {
    // With PINs (the platform button declined): the signing password and the shared PIN, two fields.
    await story.signWithOidc('');
    expect(story.lastActions.length, story.lastActions.join('; ')).toBeLessThanOrEqual(5);
    expect(story.lastActions.filter((action) => action.startsWith('fill'))).toHaveLength(2);
  });

  it('presents in person at the counter: the clerk’s camera reads the phone, the clerk sees the verified photo, name, address and age', () =>
    story.atTheCounter(''));

  it('meets the shop: 「20歳以上」 only, and its My Number request refused by the verifier', () => story.atTheShop(''));

  it('refuses the phone once it is reported lost and revoked', async () => {
    // The person calls the issuer's hotline: the operator finds the phone and revokes it.
    const token = (JSON.parse(readFileSync(join(dataDir, 'issuer', 'admin-token.json'), 'utf8')) as { token: string })
      .token;
    await story.reportedLost('P0000001', token, '');
  });
});
