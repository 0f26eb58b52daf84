import { describe, expect, it } from 'vitest';

import {
  approvalFields,
  approvalOf,
  assertSharedPin,
  birthDatePins,
  errorCodeOf,
  keyFromPrfOutput,
  newPrfSalt,
  sealPins,
  unsealPins,
} from '@openmyna/wallet';

const PINS = { signingPassword: 'PHONE2026', authenticationPin: '2580', kenhojoPin: '2580' };
const prf = (fill: number) => new Uint8Array(32).fill(fill);
const codeOf = (promise: Promise<unknown>) => promise.then(() => undefined, errorCodeOf);

describe('PINs sealed under the platform authenticator’s PRF output', () => {
  it('open with the same PRF output, and only the PINs', async () => {
    const sealed = await sealPins(await keyFromPrfOutput(prf(7)), PINS, {
      credentialId: 'cred-1',
      prfSalt: newPrfSalt(),
    });
    expect(JSON.stringify(sealed)).not.toContain('2580');
    expect(JSON.stringify(sealed)).not.toContain('PHONE2026');
    expect(await unsealPins(await keyFromPrfOutput(prf(7)), structuredClone(sealed))).toEqual(PINS);
  });

  it('refuse another authenticator’s key, a tampered blob, a moved blob and a malformed one', async () => {
    const key = await keyFromPrfOutput(prf(7));
    const sealed = await sealPins(key, PINS, { credentialId: 'cred-1', prfSalt: newPrfSalt() });
    expect(await codeOf(unsealPins(await keyFromPrfOutput(prf(8)), sealed))).toBe('ERR_PLATFORM_VERIFICATION');
    const bytes = Uint8Array.from(atob(sealed.ciphertext), (char) => char.charCodeAt(0));
    bytes[0]! ^= 1;
    const tampered = { ...sealed, ciphertext: btoa(String.fromCharCode(...bytes)) };
    expect(await codeOf(unsealPins(key, tampered))).toBe('ERR_PLATFORM_VERIFICATION');
    expect(await codeOf(unsealPins(key, { ...sealed, credentialId: 'cred-2' }))).toBe('ERR_PLATFORM_VERIFICATION');
    expect(await codeOf(unsealPins(key, { ...sealed, iv: 'AAAA' }))).toBe('ERR_PLATFORM_VERIFICATION');
    expect(await codeOf(unsealPins(key, { version: 2 }))).toBe('ERR_PLATFORM_VERIFICATION');
    expect(await codeOf(keyFromPrfOutput(new Uint8Array(16)))).toBe('ERR_PLATFORM_VERIFICATION');
    expect(await codeOf(sealPins(key, {}, { credentialId: 'cred-1', prfSalt: newPrfSalt() }))).toBe(
      'ERR_APPROVAL_INCOMPLETE',
    );
  });
});

describe('the shared 4-digit PIN', () => {
  const birthDate = { year: 1980, month: 2, day: 17 };

  it('is refused when the card face gives it away, with no PIN in the message', () => {
    // 1980 (year), 0217 (MMDD), 1702 (DDMM), 8002 (YYMM), 0280 (MMYY), 5502 (昭和55年2月).
    expect([...birthDatePins(birthDate)].sort()).toEqual(['0217', '0280', '1702', '1980', '5502', '8002']);
    for (const pin of birthDatePins(birthDate)) {
      const refusal = (() => {
        try {
          assertSharedPin(pin, { birthDate });
        } catch (error) {
          return error as Error;
        }
      })();
      expect(errorCodeOf(refusal)).toBe('ERR_PIN_WEAK');
      expect(refusal!.message).not.toContain(pin);
    }
    expect(() => assertSharedPin('2285', { birthDate, securityCode: '2285' })).toThrow(/security code/);
    expect(() => assertSharedPin('123', { birthDate })).toThrow(/4 digits/);
    expect(() => assertSharedPin('2580', { birthDate, securityCode: '2285' })).not.toThrow();
  });

  it('is one field of the consent screen, sent to both applets', () => {
    const all = ['signingPassword', 'kenhojoPin', 'authenticationPin'] as const;
    expect(approvalFields(all, { sharedPin: true })).toEqual(['signingPassword', 'sharedPin']);
    expect(approvalFields(['kenhojoPin'], { sharedPin: true })).toEqual(['sharedPin']);
    expect(approvalFields(['signingPassword'], { sharedPin: true })).toEqual(['signingPassword']);
    expect(approvalFields(all, { sharedPin: false })).toEqual(all);
    expect(approvalOf({ signingPassword: 'PHONE2026', sharedPin: '2580' })).toEqual(PINS);
  });
});
