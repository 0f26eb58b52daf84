import { CardError } from './errors.js';
import type { RetryCounter, StoredPin } from './retry-counter.js';

/**
 * Which verified factor may restore a blocked PIN (DESIGN.md: a blocked PIN is reset only through a
 * stronger factor, never by the weaker one). The JPKI signing password (5 tries, 6–16 characters) is
 * stronger than the 4-digit authentication PIN; nothing on the card is stronger than the password, so
 * a blocked password — and a card with both blocked — goes to the issuer's counter in person.
 */
export const PIN_RESET_POLICY: Readonly<Record<string, readonly string[]>> = {
  'jpki/0018': ['jpki/001B'],
  'kenhojo/0011': ['jpki/001B'],
  'jpki/001B': [],
};

/** The outcome of {@link resetPinWithStrongerFactor}. */
export type PinResetOutcome =
  | { readonly result: 'reset' }
  | { readonly result: 'proof-wrong'; readonly triesLeft: number }
  | { readonly result: 'in-person-required'; readonly reason: string };

/**
 * Resets `target` to `newPin` after verifying `proofValue` against a stronger reference. The proof
 * goes through the proof counter like any VERIFY (decremented durably first), so this path cannot be
 * used to guess either secret.
 */
export async function resetPinWithStrongerFactor(options: {
  readonly target: RetryCounter;
  readonly proof: RetryCounter;
  readonly proofValue: Uint8Array;
  readonly newPin: StoredPin;
}): Promise<PinResetOutcome> {
  const allowed = PIN_RESET_POLICY[options.target.reference] ?? [];
  if (!allowed.includes(options.proof.reference)) {
    return {
      result: 'in-person-required',
      reason: `${options.proof.reference} is not stronger than ${options.target.reference}`,
    };
  }
  const outcome = await options.proof.verify(options.proofValue);
  if (outcome.result === 'blocked')
    return { result: 'in-person-required', reason: 'the stronger factor is blocked too' };
  if (outcome.result === 'wrong') return { result: 'proof-wrong', triesLeft: outcome.triesLeft };
  await options.target.reset(options.newPin);
  return { result: 'reset' };
}

/** Resets any PIN at the issuer's counter, after the issuer checked the person's identity in person. */
export async function resetPinInPerson(
  target: RetryCounter,
  newPin: StoredPin,
  confirmation: { readonly identityCheckedBy: string },
): Promise<void> {
  if (!confirmation.identityCheckedBy)
    throw new CardError('ERR_PIN_BLOCKED', 'an in-person reset names who checked the identity');
  await target.reset(newPin);
}
