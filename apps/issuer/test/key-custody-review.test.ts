import { generateKeyPairSync, randomBytes } from 'node:crypto';

import { openPkcs11Custody, parsePkcs11Uri, redactPkcs11Uri, type KeyCustody } from '@openmyna/issuer';
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';

import { softHsmTokens } from '../../../test-support/softhsm.js';

describe('key custody review', () => {
  it('redacts a pin-value wherever the URI puts it, in messages about the token', async () => {
    const { main } = softHsmTokens();
    expect(redactPkcs11Uri('pkcs11:pin-value=s3cret;token=x')).not.toContain('s3cret');
    expect(redactPkcs11Uri('pkcs11:token=x?pin-value=ab;s3cret&module-path=/m')).not.toContain('s3cret');
    for (const uri of [
      `pkcs11:pin-value=s3cret;token=no-such-token;module-path=${main.modulePath}`,
      `pkcs11:token=no-such-token;module-path=${main.modulePath}?pin-value=ab;s3cret`,
    ]) {
      const error = await openPkcs11Custody({ uri }).then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );
      expect(error?.message).toContain('no PKCS#11 token matches');
      expect(error?.message).not.toContain('s3cret');
    }
  });

  describe('takes only the one pair it made under a label', () => {
    const { main } = softHsmTokens();
    const namespace = `review-${randomBytes(4).toString('hex')}`;
    const label = (name: string) => `openmyna:${namespace}/${name}`;
    let custody: KeyCustody;
    const raw = () => {
      const library = new pkcs11js.PKCS11();
      library.load(main.modulePath);
      const slot = library
        .C_GetSlotList(true)
        .find((candidate) => library.C_GetTokenInfo(candidate).label.trim() === main.label)!;
      return { library, session: library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION) };
    };
    /** A public EC key someone else holds the private half of, planted under `name` (no PIN needed for it). */
    const plantPublicEcKey = (name: string) => {
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
      const point = Buffer.concat([
        Buffer.from([4]),
        Buffer.from(jwk.x!, 'base64url'),
        Buffer.from(jwk.y!, 'base64url'),
      ]);
      const { library, session } = raw();
      library.C_CreateObject(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_LABEL, value: label(name) },
        { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06082a8648ce3d030107', 'hex') },
        { type: pkcs11js.CKA_EC_POINT, value: Buffer.concat([Buffer.from([4, 65]), point]) },
      ]);
      library.C_CloseSession(session);
      return jwk;
    };
    const destroyPublic = (name: string) => {
      const { library, session } = raw();
      library.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_LABEL, value: label(name) },
      ]);
      const found = library.C_FindObjects(session, 16);
      library.C_FindObjectsFinal(session);
      for (const handle of found) library.C_DestroyObject(session, handle);
      library.C_CloseSession(session);
    };

    it('refuses a public key planted next to the real one', async () => {
      custody = await openPkcs11Custody({ uri: main.uri, pin: main.pin, namespace });
      await custody.createEcKey('mdoc-document-signer');
      plantPublicEcKey('mdoc-document-signer');
      await expect(custody.ecKey('mdoc-document-signer')).rejects.toMatchObject({
        code: 'ERR_KEY_CUSTODY_TOKEN_OPERATION',
      });
    });

    it('refuses a public key that replaced the real one (it would be certified for the wrong holder)', async () => {
      await custody.createEcKey('pin-reset');
      destroyPublic('pin-reset');
      const planted = plantPublicEcKey('pin-reset');
      const taken = await custody.ecKey('pin-reset').then(
        (key) => Buffer.from(key.publicKey.x).toString('base64url'),
        (error: unknown) => error as Error,
      );
      expect(taken).not.toBe(planted.x);
      expect(taken).toMatchObject({ code: 'ERR_KEY_CUSTODY_TOKEN_OPERATION' });
    });

    it('refuses an EC key under an RSA name', async () => {
      await custody.createEcKey('mdoc-iaca');
      const { library, session } = raw();
      for (const objectClass of [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY]) {
        library.C_FindObjectsInit(session, [
          { type: pkcs11js.CKA_CLASS, value: objectClass },
          { type: pkcs11js.CKA_LABEL, value: label('mdoc-iaca') },
        ]);
        const [handle] = library.C_FindObjects(session, 1);
        library.C_FindObjectsFinal(session);
        library.C_SetAttributeValue(session, handle!, [{ type: pkcs11js.CKA_LABEL, value: label('kenhojo-ca') }]);
      }
      library.C_CloseSession(session);
      await expect(custody.rsaSigner('kenhojo-ca')).rejects.toMatchObject({ code: 'ERR_KEY_CUSTODY_TOKEN_OPERATION' });
      await custody.close();
    });
  });

  it('takes slot-id as the slot ID (RFC 7512 §2.3), not as a position in the slot list', async () => {
    const { main } = softHsmTokens();
    const library = new pkcs11js.PKCS11();
    library.load(main.modulePath);
    library.C_Initialize();
    const ids = library.C_GetSlotList(true).map((slot) => slot.readBigUInt64LE(0));
    const position = ids.findIndex((_, index) => !ids.includes(BigInt(index)));
    library.C_Finalize();
    expect(position).toBeGreaterThanOrEqual(0);
    const uri = `pkcs11:slot-id=${position};module-path=${main.modulePath}`;
    const opened = await openPkcs11Custody({ uri, pin: main.pin }).then(
      async (custody) => {
        await custody.close();
        return 'opened a token';
      },
      (error: unknown) => (error as { code?: string }).code,
    );
    expect(opened).toBe('ERR_KEY_CUSTODY_TOKEN');
  });

  it('refuses an attribute given in both the path and the query', () => {
    for (const uri of [
      'pkcs11:token=t;module-path=/usr/lib/a.so?module-path=/tmp/b.so',
      'pkcs11:token=t;pin-source=/run/a?pin-source=/tmp/b',
    ])
      expect(() => parsePkcs11Uri(uri)).toThrow(expect.objectContaining({ code: 'ERR_KEY_CUSTODY_URI' }));
  });
});
