import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openPkcs11Custody, openSealedFileCustody } from '@openmyna/issuer';
import { SoftwareSigner } from '@openmyna/pki';
import { describe, expect, it } from 'vitest';

import { softHsmTokens } from '../../../test-support/softhsm.js';

const PASSPHRASE = 'correct horse';
const readKey = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('the sealed-file custody keeps each key in its own place', () => {
  it('refuses a CA key file copied over another CA key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'openmyna-places-'));
    const custody = openSealedFileCustody({ dataDir, passphrase: PASSPHRASE });
    await custody.createRsaSigner('jpki-signing-ca');
    await custody.createRsaSigner('jpki-authentication-ca');
    const signing = join(dataDir, 'pki', 'signing', 'ca-key.json');
    expect(readKey(signing)['purpose']).toBe('jpki-signing-ca');
    // Whoever can write the data directory but not read the passphrase swaps the two CAs' keys.
    writeFileSync(join(dataDir, 'pki', 'authentication', 'ca-key.json'), readFileSync(signing));
    await expect(custody.rsaSigner('jpki-authentication-ca')).rejects.toMatchObject({ code: 'ERR_KEY_PURPOSE' });
    await expect(custody.rsaSigner('jpki-signing-ca')).resolves.toBeDefined();
  });

  it('seals a key file written before purposes existed again with its purpose, the first time it opens', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'openmyna-places-'));
    const custody = openSealedFileCustody({ dataDir, passphrase: PASSPHRASE });
    const made = await custody.createRsaSigner('jpki-signing-ocsp');
    const path = join(dataDir, 'pki', 'signing', 'ocsp-key.json');
    // The file as an older openmyna wrote it: no purpose, the public key alone authenticated.
    const legacy = await SoftwareSigner.importEncrypted(readKey(path) as never, PASSPHRASE, true, 'jpki-signing-ocsp');
    writeFileSync(path, JSON.stringify(await legacy.exportEncrypted(PASSPHRASE, 10_000)));
    expect(readKey(path)).not.toHaveProperty('purpose');
    expect((await custody.rsaSigner('jpki-signing-ocsp')).publicKeyInfo).toEqual(made.publicKeyInfo);
    expect(readKey(path)['purpose']).toBe('jpki-signing-ocsp');
    expect((await custody.rsaSigner('jpki-signing-ocsp')).publicKeyInfo).toEqual(made.publicKeyInfo);
  });
});

describe('the PKCS#11 custody reads its PIN only from a file no one else can read', () => {
  it('refuses a pin-source others can read, without showing the PIN, and takes it once it is 0600', async () => {
    const { main } = softHsmTokens();
    const pinFile = join(mkdtempSync(join(tmpdir(), 'openmyna-pin-')), 'pin');
    writeFileSync(pinFile, `${main.pin}\n`);
    chmodSync(pinFile, 0o644);
    const uri = `pkcs11:token=${main.label};module-path=${main.modulePath}?pin-source=${pinFile}`;
    const refused = await openPkcs11Custody({ uri }).then(
      () => undefined,
      (thrown: unknown) => thrown as Error & { code?: string },
    );
    expect(refused).toMatchObject({ code: 'ERR_KEY_CUSTODY_PIN' });
    expect(refused?.message).toContain('mode 0644');
    expect(refused?.message).toContain('chmod 600');
    expect(refused?.message).not.toContain(main.pin);
    chmodSync(pinFile, 0o600);
    const custody = await openPkcs11Custody({ uri });
    await custody.close();
    const missing = await openPkcs11Custody({ uri: `${uri}.missing` }).catch((thrown: unknown) => thrown);
    expect(missing).toMatchObject({ code: 'ERR_KEY_CUSTODY_PIN' });
  });
});
