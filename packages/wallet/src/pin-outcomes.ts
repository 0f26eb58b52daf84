import { phonePinsProblem, type PhonePins, type PinResult } from '@openmyna/card';

import { WalletError } from './errors.js';

/** Checks the phone PINs' forms before anything is stored (the applets enforce them again on change). */
export function assertPhonePins(pins: PhonePins): void {
  const problem = phonePinsProblem(pins);
  if (problem) throw new WalletError('ERR_PIN_FORMAT', problem);
}

/** Turns a VERIFY outcome into an error unless it verified. */
export function expectVerified(result: PinResult, what: string): void {
  if (result.result === 'verified') return;
  if (result.result === 'blocked')
    throw new WalletError('ERR_PIN_BLOCKED', `${what} is blocked; reset it with your card (the issuer's reset flow)`);
  throw new WalletError('ERR_PIN_WRONG', `${what} is wrong; ${result.triesLeft} tries left`, {
    triesLeft: result.triesLeft,
  });
}
