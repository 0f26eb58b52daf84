import { SoftwareSigner, verifyPkcs1Signature } from '@openmyna/pki';
import { describe, expect, it } from 'vitest';

describe('SoftwareSigner and encrypted key files', () => {
  it('round-trips a key through an encrypted file and keeps signing with it', async () => {
    const signer = await SoftwareSigner.generate();
    const file = await signer.exportEncrypted('correct horse battery staple', 10_000);
    expect(JSON.stringify(file)).not.toMatch(/BEGIN|PRIVATE/);
    expect(file.kdf).toMatchObject({ name: 'PBKDF2', hash: 'SHA-256', iterations: 10_000 });
    const again = await SoftwareSigner.importEncrypted(file, 'correct horse battery staple');
    expect(again.publicKeyInfo).toEqual(signer.publicKeyInfo);
    const data = new TextEncoder().encode('data');
    expect(
      await verifyPkcs1Signature({
        subjectPublicKeyInfo: signer.publicKeyInfo,
        data,
        signature: await again.sign(data),
        hash: 'SHA-256',
      }),
    ).toBe(true);
    await expect(again.exportEncrypted('x', 10_000)).rejects.toMatchObject({ code: 'ERR_KEY_ENCRYPTION' });
  });

  it('refuses a wrong passphrase and a tampered file without saying more', async () => {
    const file = await (await SoftwareSigner.generate()).exportEncrypted('right', 10_000);
    await expect(SoftwareSigner.importEncrypted(file, 'wrong')).rejects.toMatchObject({ code: 'ERR_KEY_PASSPHRASE' });
    const other = await (await SoftwareSigner.generate()).exportEncrypted('right', 10_000);
    // The public key is authenticated data: swapping it breaks decryption.
    await expect(
      SoftwareSigner.importEncrypted({ ...file, publicKeyInfo: other.publicKeyInfo }, 'right'),
    ).rejects.toMatchObject({ code: 'ERR_KEY_PASSPHRASE' });
    await expect(SoftwareSigner.importEncrypted({ ...file, format: 'other' } as never, 'right')).rejects.toMatchObject({
      code: 'ERR_KEY_ENCRYPTION',
    });
    await expect((await SoftwareSigner.generate()).exportEncrypted('right', 10)).rejects.toMatchObject({
      code: 'ERR_KEY_ENCRYPTION',
    });
    await expect(SoftwareSigner.importEncrypted(file, '')).rejects.toMatchObject({ code: 'ERR_KEY_PASSPHRASE' });
  });

  it('binds a key file to its purpose: another purpose, a stripped or an edited purpose is refused', async () => {
    const file = await (await SoftwareSigner.generate()).exportEncrypted('right', 10_000, 'jpki-signing-ca');
    expect(file.purpose).toBe('jpki-signing-ca');
    await expect(SoftwareSigner.importEncrypted(file, 'right', false, 'jpki-signing-ca')).resolves.toBeDefined();
    // Copied to the authentication CA's place: refused by name before any decryption.
    await expect(SoftwareSigner.importEncrypted(file, 'right', false, 'jpki-authentication-ca')).rejects.toMatchObject({
      code: 'ERR_KEY_PURPOSE',
    });
    // The purpose is authenticated: removing it, or rewriting it to match the new place, breaks decryption.
    const { purpose: _dropped, ...stripped } = file;
    await expect(
      SoftwareSigner.importEncrypted(stripped, 'right', false, 'jpki-authentication-ca'),
    ).rejects.toMatchObject({ code: 'ERR_KEY_PASSPHRASE' });
    await expect(
      SoftwareSigner.importEncrypted(
        { ...file, purpose: 'jpki-authentication-ca' },
        'right',
        false,
        'jpki-authentication-ca',
      ),
    ).rejects.toMatchObject({ code: 'ERR_KEY_PASSPHRASE' });
    await expect(
      SoftwareSigner.importEncrypted({ ...file, purpose: 7 } as never, 'right', false, 'jpki-signing-ca'),
    ).rejects.toMatchObject({ code: 'ERR_KEY_ENCRYPTION' });
    // A file sealed before purposes existed opens wherever it is (the custody re-seals it with one).
    const legacy = await (await SoftwareSigner.generate()).exportEncrypted('right', 10_000);
    expect(legacy).not.toHaveProperty('purpose');
    await expect(SoftwareSigner.importEncrypted(legacy, 'right', false, 'jpki-signing-ca')).resolves.toBeDefined();
  });
});
