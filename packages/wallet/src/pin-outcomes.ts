import { phonePinsProblem, type JpkiReader, type KenhojoReader, type PhonePins, type PinResult } from '@openmyna/card';

import { WalletError, type PinName } from './errors.js';

/** A PIN of the phone, by the name the wallet's screens use. */
export type PhoneSecret = Extract<PinName, 'authenticationPin' | 'signingPassword' | 'kenhojoPin' | 'jukiPin'>;

/** Each PIN's name in messages (the card's own names; never its value). */
const PIN_LABELS: Record<PinName, string> = {
  authenticationPin: 'the 利用者証明用暗証番号',
  signingPassword: 'the 署名用パスワード',
  kenhojoPin: 'the 券面事項入力補助用暗証番号',
  jukiPin: 'the 住基 PIN',
  cardAuthenticationPin: "the card's 利用者証明用暗証番号",
  cardSigningPassword: "the card's 署名用パスワード",
};

/** Checks the phone PINs' forms before anything is stored (the applets enforce them again on change). */
export function assertPhonePins(pins: PhonePins): void {
  const problem = phonePinsProblem(pins);
  if (problem) throw new WalletError('ERR_PIN_FORMAT', problem);
}

/**
 * Turns a VERIFY outcome into an error unless it verified. The try that spends the last one is the
 * lock itself: `ERR_PIN_BLOCKED`, not "0 tries left".
 */
export function expectVerified(result: PinResult, pin: PinName): void {
  if (result.result === 'verified') return;
  // card-spec §2.1: `63C0` answers the attempt that exhausts the counter; `6984` every one after it.
  if (result.result === 'blocked' || result.triesLeft === 0) throw pinBlockedError(pin);
  throw new WalletError('ERR_PIN_WRONG', `${PIN_LABELS[pin]} is wrong; ${result.triesLeft} tries left`, {
    triesLeft: result.triesLeft,
    pin,
  });
}

function pinBlockedError(pin: PinName): WalletError {
  return new WalletError(
    'ERR_PIN_BLOCKED',
    `${PIN_LABELS[pin]} is locked; reset it with your card (the wallet's PIN reset) or at the municipality`,
    { triesLeft: 0, pin },
  );
}

/**
 * Verifies a JPKI PIN in its selected applet. A PIN already locked is refused first, from the counter
 * (VERIFY with no data): its value is never sent.
 */
export async function verifyJpkiPin(
  jpki: JpkiReader,
  secret: 'authentication' | 'signing',
  value: string,
  pin: PinName,
): Promise<void> {
  if ((await jpki.triesLeft(secret)) === 0) throw pinBlockedError(pin);
  expectVerified(await jpki.verifyPin(secret, value), pin);
}

/** Verifies the 入力補助 PIN in its selected applet; a locked one is refused before its value is sent. */
export async function verifyKenhojoPin(kenhojo: KenhojoReader, value: string): Promise<void> {
  if ((await kenhojo.triesLeft('pin')) === 0) throw pinBlockedError('kenhojoPin');
  expectVerified(await kenhojo.verify('pin', value), 'kenhojoPin');
}
