import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { containsMyNumberToken } from '@openmyna/core';
import { describe, expect, it } from 'vitest';

import { freePort, run, spawnService, stopService } from './cli-harness.js';

describe('openmyna phone (the CLI wallet)', () => {
  it('provisions from a sandbox card, shows and answers an account opening, signs a file, and revokes itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-phone-cli-'));
    const issuerPort = await freePort();
    const up = await run(
      ['sandbox', 'up', '--data', 'data', '--persons', '3', '--issuer-port', String(issuerPort), '--no-serve'],
      { cwd: dir },
    );
    expect(up.code, up.stderr).toBe(0);
    const issuer = await spawnService(dir, 'issuer', issuerPort);
    const verifier = await spawnService(dir, 'verifier');
    try {
      const { token } = JSON.parse(readFileSync(join(dir, 'data', 'verifier', 'admin-token.json'), 'utf8')) as {
        token: string;
      };
      const { apiKey } = (await (
        await fetch(`${verifier.url}/admin/relying-parties`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'テスト証券', myNumberPurpose: 'kojin-bango-kankei-jimu' }),
        })
      ).json()) as { apiKey: string };
      const rp = (path: string, init: RequestInit = {}) =>
        fetch(`${verifier.url}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        });
      const phone = ['--phone', 'phone.json', '--data', 'data', '--issuer', issuer.url];

      const provisioned = await run(['phone', 'provision', ...phone, '--card', 'data/cards/P0000001.json'], {
        cwd: dir,
      });
      expect(provisioned.code, provisioned.stderr).toBe(0);
      expect(provisioned.stdout).toMatch(/Added the card of .+ to phone\.json/);
      expect(provisioned.stderr).toContain('card-signing…');
      expect(readFileSync(join(dir, 'phone.json'), 'utf8')).toContain('openmyna-phone/1');

      const created = (await (
        await rp('/v1/presentations', {
          method: 'POST',
          body: JSON.stringify({
            sign: { document: Buffer.from('口座開設申込書 1').toString('base64'), title: '総合口座 申込書' },
            kenhojo: ['my_number', 'basic_four_info'],
            purpose: '口座開設',
          }),
        })
      ).json()) as { id: string; link: string };
      writeFileSync(join(dir, 'request.txt'), created.link);
      const shown = await run(['phone', 'present', ...phone, '--request', 'request.txt'], { cwd: dir });
      expect(shown.code).toBe(1);
      expect(shown.stdout).toContain('要求元 (requester): テスト証券 — verified');
      expect(shown.stdout).toContain('署名する文書 (document): 総合口座 申込書');
      expect(shown.stdout).toContain('マイナンバー: this requester is registered to receive it');
      expect(shown.stderr).toContain('not sent');
      const sent = await run(
        [
          'phone',
          'present',
          ...phone,
          '--request',
          created.link,
          '--yes',
          '--signing-password',
          'OPENMYNA1',
          '--kenhojo-pin',
          '1234',
        ],
        { cwd: dir },
      );
      expect(sent.code, sent.stderr).toBe(0);
      const result = (await (await rp(`/v1/presentations/${created.id}`)).json()) as { result: { status: string } };
      expect(result.result.status).toBe('valid');

      writeFileSync(join(dir, 'contract.txt'), '契約書');
      const signed = await run(
        ['phone', 'sign', ...phone, '--in', 'contract.txt', '--out', 'contract.p7s', '--signing-password', 'OPENMYNA1'],
        { cwd: dir },
      );
      expect(signed.code, signed.stderr).toBe(0);
      const verified = (await (
        await rp('/v1/jpki/signatures/verify', {
          method: 'POST',
          body: JSON.stringify({
            signedData: readFileSync(join(dir, 'contract.p7s')).toString('base64'),
            content: readFileSync(join(dir, 'contract.txt')).toString('base64'),
          }),
        })
      ).json()) as { status: string };
      expect(verified.status).toBe('valid');

      const reset = await run(
        ['phone', 'reset-pins', ...phone, '--card', 'data/cards/P0000001.json', '--kenhojo-pin', '2468'],
        { cwd: dir },
      );
      expect(reset.code, reset.stderr).toBe(0);
      expect(reset.stdout).toContain('Reset');
      const history = await run(['phone', 'history', ...phone, '--json'], { cwd: dir });
      expect(history.stdout).toContain('"kind": "presentation"');
      expect(history.stdout).toContain('"kind": "pin-reset"');
      expect(containsMyNumberToken(history.stdout)).toBe(false);
      const mdocs = await run(['phone', 'mdocs', ...phone], { cwd: dir });
      expect(mdocs.stdout).toMatch(/MSOs: \d+ unused, \d+ used, 0 expired/);
      const refilled = await run(['phone', 'mdocs', ...phone, '--refill', '--mdoc-batch', '5'], { cwd: dir });
      expect(refilled.code, refilled.stderr).toBe(0);
      expect(refilled.stdout).toContain('Refilled. MSOs: 5 unused, 0 used, 0 expired');
      const revoked = await run(['phone', 'lifecycle', ...phone, '--action', 'revoke', '--auth-pin', '1234'], {
        cwd: dir,
      });
      expect(revoked.stdout).toContain('Revoked');
      expect((await run(['phone', 'status', ...phone], { cwd: dir })).stdout).toContain('holds no card');
      expect(await stopService(issuer.child)).toBe(0);
      expect(await stopService(verifier.child)).toBe(0);
    } finally {
      issuer.child.kill('SIGKILL');
      verifier.child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('openmyna phone provision, the card', () => {
  it('takes the card as a file or from a PC/SC reader, one of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-phone-usage-'));
    const neither = await run(['phone', 'provision', '--phone', 'phone.json'], { cwd: dir });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('--card <file> or --pcsc [reader]');
    const both = await run(['phone', 'provision', '--phone', 'phone.json', '--card', 'c.json', '--pcsc'], { cwd: dir });
    expect(both.code).toBe(2);
    const tooMany = await run(['phone', 'mdocs', '--phone', 'phone.json', '--mdoc-batch', '51'], { cwd: dir });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('--mdoc-batch must be between 1 and 50');
  });
});
