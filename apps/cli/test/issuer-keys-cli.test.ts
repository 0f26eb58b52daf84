import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { toPem } from '@openmyna/pki';
import { afterAll, describe, expect, it } from 'vitest';

import { startIssuer, type RunningIssuer } from '../src/issuer-service.js';
import { softHsmTokens } from '../../../test-support/softhsm.js';
import { run } from './cli-harness.js';

let running: RunningIssuer | undefined;
afterAll(() => running?.close());

describe('openmyna issuer keys init / serve --keys pkcs11:…', () => {
  it('refuses a PIN on the command line without printing it back', async () => {
    for (const command of [
      ['issuer', 'serve'],
      ['issuer', 'keys', 'init'],
    ]) {
      const refused = await run([...command, '--keys', 'pkcs11:token=ca;pin-value=9183'], {
        cwd: mkdtempSync(join(tmpdir(), 'openmyna-issuer-keys-')),
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('pin-source=<file>');
      expect(refused.stderr).not.toContain('9183');
    }
  });

  it('makes the authority in a SoftHSM2 token, leaves no private key on disk, and serves CRLs signed there', async () => {
    const { main } = softHsmTokens();
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-issuer-keys-'));
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, main.pin, { mode: 0o600 });
    const keys = `pkcs11:token=${main.label};module-path=${main.modulePath}?pin-source=${pinFile}`;
    const made = await run(['issuer', 'keys', 'init', '--data', 'data', '--keys', keys], { cwd: dir });
    expect(made.stderr).toBe(
      'creating the signing hierarchy…\ncreating the authentication hierarchy…\ncreating the card-face CAs…\ncreating the IACA, document signer and PIN-reset key…\n',
    );
    expect(made.code).toBe(0);
    const pki = join(dir, 'data', 'pki');
    for (const sealed of [
      'signing/ca-key.json',
      'authentication/ocsp-key.json',
      'card-face/ca-key.json',
      'issuer/pin-reset-key.json',
    ])
      expect(existsSync(join(pki, sealed))).toBe(false);
    expect(Object.keys(JSON.parse(readFileSync(join(pki, 'mdoc', 'ds-key.json'), 'utf8')) as object)).toEqual([
      'certificate',
    ]);
    expect(existsSync(join(pki, 'passphrase'))).toBe(false);
    expect((await run(['issuer', 'keys', 'init', '--data', 'data', '--keys', keys], { cwd: dir })).code).toBe(3);

    running = await startIssuer({
      dataDir: join(dir, 'data'),
      host: '127.0.0.1',
      port: 0,
      logTo: { file: join(dir, 'log') },
      keys,
    });
    const crl = new Uint8Array(await (await fetch(`${running.url}/crl/signing/13101.crl`)).arrayBuffer());
    const crlPath = join(dir, 'signing.crl.pem');
    writeFileSync(crlPath, toPem(crl, 'X509 CRL'));
    const verified = spawnSync(
      'openssl',
      ['crl', '-in', crlPath, '-CAfile', join(pki, 'signing', 'ca.pem'), '-noout'],
      {
        encoding: 'utf8',
      },
    );
    expect(verified.stderr).toContain('verify OK');
  }, 120_000);
});
