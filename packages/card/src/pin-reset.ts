import { importJWK, jwtVerify, type JWTPayload } from 'jose';

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

/**
 * The phone's PINs the holder chooses and the issuer may reset (DESIGN.md: a blocked PIN is reset only
 * through a stronger factor). On a phone nothing is stronger than the signing password, so the
 * stronger factor is the physical card: its signing key, behind the card's own signing password,
 * signs the request, and the issuer answers with a {@link PIN_RESET_AUTHORIZATION_TYPE} token.
 */
export const PHONE_RESETTABLE_PINS = ['jpki/0018', 'jpki/001B', 'kenhojo/0011', 'juki/001C'] as const;

/** The JWS `typ` of the issuer's PIN-reset authorization (ES256, compact serialization). */
export const PIN_RESET_AUTHORIZATION_TYPE = 'openmyna-pin-reset+jwt';

/** The claims of a PIN-reset authorization. */
export interface PinResetClaims {
  readonly iss: string;
  /** The phone it is for. */
  readonly sub: string;
  /** The references it resets, from {@link PHONE_RESETTABLE_PINS}. */
  readonly pins: readonly string[];
  /** The phone's single-use nonce, as the phone asked. */
  readonly nonce: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

/**
 * Verifies an issuer's PIN-reset authorization inside the phone's secure area: ES256 by the issuer key
 * the phone pinned at provisioning, of the right type, for this phone, answering the nonce the phone
 * is waiting for (the caller forgets it after one use), unexpired, naming only resettable PINs.
 * Throws `ERR_PIN_RESET_AUTHORIZATION` naming the first check that failed.
 */
export async function verifyPinResetAuthorization(
  token: string,
  expected: {
    readonly authority: JsonWebKey;
    readonly phoneId: string;
    readonly nonce: string;
    readonly now: Date;
  },
): Promise<PinResetClaims> {
  const refuse = (check: string, cause?: unknown) =>
    new CardError('ERR_PIN_RESET_AUTHORIZATION', `the PIN-reset authorization failed: ${check}`, { cause });
  let payload: JWTPayload;
  try {
    const key = await importJWK(expected.authority, 'ES256');
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['ES256'],
      typ: PIN_RESET_AUTHORIZATION_TYPE,
      subject: expected.phoneId,
      requiredClaims: ['iss', 'sub', 'iat', 'exp', 'jti', 'nonce'],
      currentDate: expected.now,
    }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ERR_JWS_INVALID';
    throw refuse(code.replace(/^ERR_/, '').toLowerCase().replace(/_/g, '-'), error);
  }
  if (payload['nonce'] !== expected.nonce) throw refuse('nonce');
  const pins = payload['pins'];
  if (
    !Array.isArray(pins) ||
    pins.length === 0 ||
    !pins.every((pin) => (PHONE_RESETTABLE_PINS as readonly unknown[]).includes(pin))
  )
    throw refuse('pins');
  return payload as unknown as PinResetClaims;
}

/**
 * Resets the phone's PINs an issuer's authorization names, each to the value the holder chose; every
 * named PIN needs a new value and a counter, or nothing is reset.
 */
export async function resetPinsWithIssuerAuthorization(options: {
  readonly token: string;
  readonly authority: JsonWebKey;
  readonly phoneId: string;
  readonly nonce: string;
  readonly now: Date;
  readonly counters: ReadonlyMap<string, RetryCounter>;
  readonly newPins: Readonly<Record<string, StoredPin>>;
}): Promise<readonly string[]> {
  const claims = await verifyPinResetAuthorization(options.token, options);
  const targets = claims.pins.map((reference) => {
    const counter = options.counters.get(reference);
    const newPin = options.newPins[reference];
    if (!counter || !newPin)
      throw new CardError('ERR_PIN_RESET_AUTHORIZATION', `no counter or new value for ${reference}`);
    return { counter, newPin };
  });
  for (const { counter, newPin } of targets) await counter.reset(newPin);
  return claims.pins;
}
