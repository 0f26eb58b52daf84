import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parsePhoneBundle, SecureArea, WalletError } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { issuerWithPhones } from '../../../../test-support/verifier-fixtures.js';
import { PHONE_PINS } from '../../../../test-support/wallet-fixtures.js';

const phoneFile = () => join(mkdtempSync(join(tmpdir(), 'openmyna-phone-')), 'phone.json');
const open = (path: string, passphrase = 'passphrase') =>
  openEncryptedFileWalletStorage({ path, passphrase, iterations: 10_000 });

describe("the phone's bundle and secure area", () => {
  let issuer: Awaited<ReturnType<typeof issuerWithPhones>>;
  let bundle: Record<string, unknown>;

  beforeAll(async () => {
    issuer = await issuerWithPhones('secure-area', [3]);
    bundle = JSON.parse(JSON.stringify(issuer.phones[0]!.bundle)) as Record<string, unknown>;
  }, 90_000);
  afterAll(() => issuer.dispose());

  it('reads the issuer’s bundle, and refuses any malformed one with ERR_BUNDLE_INVALID', () => {
    expect(parsePhoneBundle(bundle).phoneId).toBe(issuer.phones[0]!.bundle.phoneId);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parsePhoneBundle(value);
        } catch (error) {
          return error instanceof WalletError && error.code === 'ERR_BUNDLE_INVALID';
        }
        return false;
      }),
    );
    // Each field removed, or of the wrong type, is named.
    const paths = ['phoneId', 'jpki.authenticationCertificate', 'kenhojo.myNumberFile', 'juki.residentCode', 'mdoc'];
    for (const path of paths) {
      for (const replacement of [undefined, 42, '', '@@not base64@@']) {
        const copy = JSON.parse(JSON.stringify(bundle)) as Record<string, Record<string, unknown>>;
        const [head, tail] = path.split('.') as [string, string | undefined];
        if (tail) copy[head]![tail] = replacement;
        else (copy as Record<string, unknown>)[head] = replacement;
        expect(() => parsePhoneBundle(copy), `${path} = ${String(replacement)}`).toThrow(WalletError);
      }
    }
    // The MF-level 7F21 certificate is optional (bundles of older issuers lack it), but checked when present.
    const kenkaku = bundle['kenkaku'] as Record<string, unknown>;
    expect(parsePhoneBundle(bundle).kenkaku.cardCvCertificate).toBe(kenkaku['cardCvCertificate']);
    const { cardCvCertificate: _omitted, ...older } = kenkaku;
    expect(parsePhoneBundle({ ...bundle, kenkaku: older }).kenkaku).not.toHaveProperty('cardCvCertificate');
    for (const replacement of [42, '', '@@not base64@@'])
      expect(() => parsePhoneBundle({ ...bundle, kenkaku: { ...kenkaku, cardCvCertificate: replacement } })).toThrow(
        /kenkaku\.cardCvCertificate/,
      );
    // A private key where the PIN-reset authority's public key belongs is refused.
    const withPrivate = {
      ...bundle,
      pinResetAuthority: { issuer: 'x', publicJwk: { kty: 'EC', crv: 'P-256', d: 'x' } },
    };
    expect(() => parsePhoneBundle(withPrivate)).toThrow(/pinResetAuthority/);
  });

  it('installs only a bundle issued for its own keys', async () => {
    const area = new SecureArea(await open(phoneFile()));
    await area.generateKeys();
    // Another phone's bundle: its certificates hold other keys.
    await expect(area.install(bundle, PHONE_PINS, new Date())).rejects.toMatchObject({
      code: 'ERR_BUNDLE_INVALID',
      message: expect.stringContaining('another key') as unknown,
    });
    expect(await area.installedPhoneId()).toBeUndefined();
    await expect(area.install(bundle, { ...PHONE_PINS, authentication: '12' }, new Date())).rejects.toMatchObject({
      code: 'ERR_PIN_FORMAT',
    });
  });

  it('keeps nothing readable in its file, and opens nothing altered or under another passphrase', async () => {
    const path = phoneFile();
    const area = new SecureArea(await open(path));
    const keys = await area.generateKeys();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(keys.authenticationKey.slice(0, 40));
    expect(text).not.toContain('"d"');
    await expect(open(path, 'another passphrase')).rejects.toMatchObject({ code: 'ERR_WALLET_STORAGE' });
    const file = JSON.parse(text) as { ciphertext: string };
    const flipped = file.ciphertext.startsWith('A') ? `B${file.ciphertext.slice(1)}` : `A${file.ciphertext.slice(1)}`;
    writeFileSync(path, JSON.stringify({ ...file, ciphertext: flipped }));
    await expect(open(path)).rejects.toMatchObject({ code: 'ERR_WALLET_STORAGE' });
    writeFileSync(path, text.slice(0, text.length / 2));
    await expect(open(path)).rejects.toMatchObject({ code: 'ERR_WALLET_STORAGE' });
  });

  it('survives a write that never completed: a left-over temporary file is ignored', async () => {
    const path = phoneFile();
    const storage = await open(path);
    await storage.write('counter:jpki/0018', 2);
    writeFileSync(`${path}.tmp`, '{"torn":');
    expect(await (await open(path)).read('counter:jpki/0018')).toBe(2);
  });

  it('wipes credentials and keys, keeps the log, and seals under a new wrapping key afterwards', async () => {
    const path = phoneFile();
    const storage = await open(path);
    const area = new SecureArea(storage);
    await area.generateKeys();
    await storage.appendLog({ id: '1', time: new Date().toISOString(), kind: 'wipe', items: [], result: 'completed' });
    const before = await storage.wrappingKey();
    await area.wipe();
    expect(await storage.read('pending-keys')).toBeUndefined();
    expect(await storage.readLog()).toHaveLength(1);
    expect(await storage.wrappingKey()).not.toBe(before);
    expect(before.extractable).toBe(false);
    await expect(area.pendingKeys()).rejects.toMatchObject({ code: 'ERR_WALLET_STATE' });
  });
});
