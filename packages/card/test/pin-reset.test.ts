import {
  MemoryRetryCounterStore,
  protectPin,
  resetPinInPerson,
  resetPinWithStrongerFactor,
  RetryCounter,
} from '@openmyna/card';
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
