import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import {
  openPkcs11Custody,
  openSealedFileCustody,
  signEs256Jwt,
  type KeyCustody,
  type RsaKeyName,
} from '@openmyna/issuer';
import { describe, expect, it } from 'vitest';

import { softHsmTokens } from '../../../test-support/softhsm.js';

function sealedFiles(): Promise<KeyCustody> {
  return Promise.resolve().then(() =>
    openSealedFileCustody({ dataDir: mkdtempSync(join(tmpdir(), 'openmyna-names-')), passphrase: 'p' }),
  );
}

async function token(): Promise<KeyCustody> {
  const { main } = softHsmTokens();
  return openPkcs11Custody({ uri: main.uri, pin: main.pin, namespace: randomBytes(6).toString('hex') });
}

describe.each([
  ['sealed files', sealedFiles],
  ['a PKCS#11 token', token],
])('key names in %s', (_, open) => {
  it("refuses a municipality code that is not one, so it cannot reach another municipality's key", async () => {
    const custody = await open();
    try {
      const real = await custody.createRsaSigner('kenhojo-issuer/13101');
      for (const name of [
        'kenhojo-issuer/13101/x',
        'kenhojo-issuer/../../x',
        'kenhojo-issuer/',
        'ca',
      ] as RsaKeyName[]) {
        await expect(custody.createRsaSigner(name)).rejects.toMatchObject({ code: 'ERR_KEY_CUSTODY_USAGE' });
        await expect(custody.has(name)).rejects.toMatchObject({ code: 'ERR_KEY_CUSTODY_USAGE' });
      }
      expect((await custody.rsaSigner('kenhojo-issuer/13101')).publicKeyInfo).toEqual(real.publicKeyInfo);
    } finally {
      await custody.close();
    }
  }, 60_000);
});

describe('signEs256Jwt', () => {
  it('always says ES256 in the header, whatever header it is given', async () => {
    const key = { signEs256: () => Promise.resolve(new Uint8Array(64)) };
    const jwt = await signEs256Jwt(key, { alg: 'none', typ: 't' }, {});
    const header = JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as { alg: string };
    expect(header.alg).toBe('ES256');
  });
});
