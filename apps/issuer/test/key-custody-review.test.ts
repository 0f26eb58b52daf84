import { openPkcs11Custody, redactPkcs11Uri } from '@openmyna/issuer';
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
});
