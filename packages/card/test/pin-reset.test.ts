import {
  MemoryRetryCounterStore,
  PIN_RESET_AUTHORIZATION_TYPE,
  protectPin,
  resetPinInPerson,
  resetPinsWithIssuerAuthorization,
  resetPinWithStrongerFactor,
  RetryCounter,
  verifyPinResetAuthorization,
} from '@openmyna/card';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';

const encode = (text: string) => new TextEncoder().encode(text);
const salt = new Uint8Array(16).fill(2);

function counters() {
  const store = new MemoryRetryCounterStore();
  return {
    pin: new RetryCounter({ reference: 'jpki/0018', maxTries: 3, pin: protectPin(encode('1234'), salt), store }),
    password: new RetryCounter({ reference: 'jpki/001B', maxTries: 5, pin: protectPin(encode('ABC123'), salt), store }),
  };
}

async function block(counter: RetryCounter) {
  for (let i = 0; i < counter.maxTries; i++) await counter.verify(encode('wrong-value'));
  expect(await counter.triesLeft()).toBe(0);
}

describe('resetting blocked PINs only through a stronger factor', () => {
  it('lets the signing password reset the authentication PIN', async () => {
    const { pin, password } = counters();
    await block(pin);
    const outcome = await resetPinWithStrongerFactor({
      target: pin,
      proof: password,
      proofValue: encode('ABC123'),
      newPin: protectPin(encode('4321'), salt),
    });
    expect(outcome).toEqual({ result: 'reset' });
    expect(await pin.verify(encode('4321'))).toEqual({ result: 'verified' });
  });

  it('refuses the reverse: the PIN cannot reset the password', async () => {
    const { pin, password } = counters();
    await block(password);
    const outcome = await resetPinWithStrongerFactor({
      target: password,
      proof: pin,
      proofValue: encode('1234'),
      newPin: protectPin(encode('NEW123'), salt),
    });
    expect(outcome.result).toBe('in-person-required');
    expect(await password.triesLeft()).toBe(0);
  });

  it('spends the proof counter on a wrong proof, and sends both-blocked to the counter in person', async () => {
    const { pin, password } = counters();
    await block(pin);
    expect(
      await resetPinWithStrongerFactor({
        target: pin,
        proof: password,
        proofValue: encode('WRONG1'),
        newPin: protectPin(encode('4321'), salt),
      }),
    ).toEqual({
      result: 'proof-wrong',
      triesLeft: 4,
    });
    await block(password);
    expect(
      (
        await resetPinWithStrongerFactor({
          target: pin,
          proof: password,
          proofValue: encode('ABC123'),
          newPin: protectPin(encode('4321'), salt),
        })
      ).result,
    ).toBe('in-person-required');
    await resetPinInPerson(password, protectPin(encode('NEW123'), salt), { identityCheckedBy: 'clerk 17' });
    expect(await password.verify(encode('NEW123'))).toEqual({ result: 'verified' });
    await expect(
      resetPinInPerson(pin, protectPin(encode('1111'), salt), { identityCheckedBy: '' }),
    ).rejects.toMatchObject({ code: 'ERR_PIN_BLOCKED' });
  });
});

describe('the issuer’s PIN-reset authorization, as the phone checks it', () => {
  const now = new Date('2026-11-27T03:00:00Z');
  const keys = async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    return { privateKey, authority: await exportJWK(publicKey) };
  };
  const token = (
    privateKey: CryptoKey,
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = { alg: 'ES256', typ: PIN_RESET_AUTHORIZATION_TYPE },
  ) =>
    new SignJWT({ pins: ['jpki/001B'], nonce: 'n-0123456789abcdef', ...claims })
      .setProtectedHeader(header as { alg: string })
      .setIssuer('http://issuer')
      .setSubject('Fphone')
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(now.getTime() / 1000) + 300)
      .setJti('J1')
      .sign(privateKey);

  it('accepts one for this phone and nonce, and resets exactly the PINs it names', async () => {
    const { privateKey, authority } = await keys();
    const { password, pin } = counters();
    for (let i = 0; i < 5; i++) await password.verify(encode('WRONG1'));
    const reset = await resetPinsWithIssuerAuthorization({
      token: await token(privateKey),
      authority,
      phoneId: 'Fphone',
      nonce: 'n-0123456789abcdef',
      now,
      counters: new Map([
        ['jpki/001B', password],
        ['jpki/0018', pin],
      ]),
      newPins: { 'jpki/001B': protectPin(encode('NEW123'), salt) },
    });
    expect(reset).toEqual(['jpki/001B']);
    expect((await password.verify(encode('NEW123'))).result).toBe('verified');
    expect((await pin.verify(encode('1234'))).result).toBe('verified');
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, RegExp]>([
    ['a PIN the issuer may not reset', { pins: ['kenkaku/0011'] }, undefined, /pins/],
    ['no PINs', { pins: [] }, undefined, /pins/],
    ['another nonce', { nonce: 'other' }, undefined, /nonce/],
    ['another type', {}, { alg: 'ES256', typ: 'JWT' }, /claim-validation-failed/],
  ])('refuses %s', async (_name, claims, header, message) => {
    const { privateKey, authority } = await keys();
    await expect(
      verifyPinResetAuthorization(await token(privateKey, claims, header), {
        authority,
        phoneId: 'Fphone',
        nonce: 'n-0123456789abcdef',
        now,
      }),
    ).rejects.toThrow(message);
  });

  it('refuses an unsigned token and any malformed input with its code, never another error', async () => {
    const { authority } = await keys();
    const expected = { authority, phoneId: 'Fphone', nonce: 'n-0123456789abcdef', now };
    const unsigned = new UnsecuredJWT({ pins: ['jpki/001B'], nonce: expected.nonce }).setSubject('Fphone').encode();
    await expect(verifyPinResetAuthorization(unsigned, expected)).rejects.toMatchObject({
      code: 'ERR_PIN_RESET_AUTHORIZATION',
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.array(fc.base64String()).map((p) => p.join('.')),
        ),
        async (input) => {
          await expect(verifyPinResetAuthorization(input, expected)).rejects.toMatchObject({
            code: 'ERR_PIN_RESET_AUTHORIZATION',
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
