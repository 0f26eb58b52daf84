import { randomBytes } from 'node:crypto';

import { openPkcs11Custody } from '@openmyna/issuer';
import pkcs11js from 'pkcs11js';
import { afterEach, describe, expect, it } from 'vitest';

import { softHsmTokens } from '../../../test-support/softhsm.js';

// The native methods pkcs11js wraps when it makes a library object (so this must run before the custody loads it).
const native = Object.getPrototypeOf(pkcs11js.PKCS11.prototype) as {
  C_GenerateKeyPair: (...args: unknown[]) => unknown;
};
const generateKeyPair = native.C_GenerateKeyPair;
afterEach(() => {
  native.C_GenerateKeyPair = generateKeyPair;
});

describe('replacing a key in a PKCS#11 token', () => {
  it('keeps the old key when making the new one fails', async () => {
    let fail = false;
    native.C_GenerateKeyPair = function (this: unknown, ...args: unknown[]) {
      if (fail) throw new Error('CKR_DEVICE_MEMORY');
      return generateKeyPair.apply(this, args);
    };
    const { main } = softHsmTokens();
    const custody = await openPkcs11Custody({
      uri: main.uri,
      pin: main.pin,
      namespace: randomBytes(6).toString('hex'),
    });
    try {
      const before = (await custody.createEcKey('mdoc-iaca')).publicKey;
      fail = true;
      await expect(custody.createEcKey('mdoc-iaca')).rejects.toMatchObject({ code: 'ERR_KEY_CUSTODY_TOKEN_OPERATION' });
      fail = false;
      expect((await custody.ecKey('mdoc-iaca')).publicKey).toEqual(before);
      const replaced = (await custody.createEcKey('mdoc-iaca')).publicKey;
      expect(replaced).not.toEqual(before);
      expect((await custody.ecKey('mdoc-iaca')).publicKey).toEqual(replaced);
    } finally {
      await custody.close();
    }
  });

  it("rejects (never throws) when a closed custody's signer is used", async () => {
    const { main } = softHsmTokens();
    const custody = await openPkcs11Custody({
      uri: main.uri,
      pin: main.pin,
      namespace: randomBytes(6).toString('hex'),
    });
    const key = await custody.createEcKey('pin-reset');
    const signer = await custody.createRsaSigner('kenhojo-ca');
    await custody.close();
    let signed: Promise<unknown> | undefined;
    expect(() => {
      signed = key.signEs256(new Uint8Array([1]));
    }).not.toThrow();
    await expect(signed).rejects.toMatchObject({ name: 'KeyCustodyError', code: 'ERR_KEY_CUSTODY_USAGE' });
    await expect(Promise.resolve().then(() => signer.sign(new Uint8Array([1])))).rejects.toMatchObject({
      code: 'ERR_KEY_CUSTODY_USAGE',
    });
  });
});
