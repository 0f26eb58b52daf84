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
});
