import type { JpkiReader, KenhojoReader, PinResult } from '@openmyna/card';
import { describe, expect, it } from 'vitest';

import { expectVerified, verifyJpkiPin, verifyKenhojoPin } from '@openmyna/wallet';

/** A reader's PIN side as the applet answers it: tries left, and what one VERIFY with a value returns. */
function fakeApplet(tries: number, outcome: PinResult) {
  const sent: string[] = [];
  return {
    sent,
    jpki: {
      triesLeft: () => Promise.resolve(tries),
      verifyPin: (_secret: string, value: string) => (sent.push(value), Promise.resolve(outcome)),
    } as unknown as JpkiReader,
    kenhojo: {
      triesLeft: () => Promise.resolve(tries),
      verify: (_credential: string, value: string) => (sent.push(value), Promise.resolve(outcome)),
    } as unknown as KenhojoReader,
  };
}

describe('PIN outcomes: the last try is the lock', () => {
  it('reads a wrong PIN with tries left as ERR_PIN_WRONG, naming the PIN', () => {
    expect(() => expectVerified({ result: 'wrong', triesLeft: 1 }, 'kenhojoPin')).toThrow(
      expect.objectContaining({ code: 'ERR_PIN_WRONG', pin: 'kenhojoPin', triesLeft: 1 }),
    );
  });

  it('reads the try that spends the last one (63C0) as the lock, not as "0 tries left"', () => {
    expect(() => expectVerified({ result: 'wrong', triesLeft: 0 }, 'authenticationPin')).toThrow(
      expect.objectContaining({ code: 'ERR_PIN_BLOCKED', pin: 'authenticationPin', triesLeft: 0 }),
    );
    expect(() => expectVerified({ result: 'blocked' }, 'cardSigningPassword')).toThrow(
      expect.objectContaining({ code: 'ERR_PIN_BLOCKED', pin: 'cardSigningPassword' }),
    );
  });

  it('refuses a locked PIN before its value is sent to the applet (local or remote)', async () => {
    const locked = fakeApplet(0, { result: 'verified' });
    await expect(verifyJpkiPin(locked.jpki, 'signing', 'SECRET1', 'signingPassword')).rejects.toMatchObject({
      code: 'ERR_PIN_BLOCKED',
      pin: 'signingPassword',
    });
    await expect(verifyKenhojoPin(locked.kenhojo, '1234')).rejects.toMatchObject({
      code: 'ERR_PIN_BLOCKED',
      pin: 'kenhojoPin',
    });
    expect(locked.sent).toEqual([]);
    const open = fakeApplet(3, { result: 'verified' });
    await verifyJpkiPin(open.jpki, 'authentication', '1234', 'authenticationPin');
    expect(open.sent).toHaveLength(1);
  });

  it('never puts the PIN in the message', () => {
    let message = '';
    try {
      expectVerified({ result: 'wrong', triesLeft: 0 }, 'signingPassword');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('locked');
    expect(message).not.toMatch(/\d{4}/);
  });
});
