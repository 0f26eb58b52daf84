import { toWareki, type CalendarDate } from '@openmyna/core';

import type { ConsentSecret } from './consent.js';
import { WalletError } from './errors.js';
import type { Approval } from './presentations.js';
import type { WalletStorage } from './storage.js';

/**
 * How the holder chose the phone's PINs at provisioning (not secret): `sharedPin` when one 4-digit PIN
 * stands for both the 利用者証明用暗証番号 and the 券面事項入力補助用暗証番号. Each applet still holds the
 * value and counts its own tries; only the consent screen asks once.
 */
export interface PinSettings {
  readonly sharedPin: boolean;
}

/** One field of the consent screen: a secret of one applet, or the shared 4-digit PIN of two. */
export type ApprovalField = ConsentSecret | 'sharedPin';

const SETTINGS = 'pin-settings';
const SHARED: readonly ConsentSecret[] = ['authenticationPin', 'kenhojoPin'];

/** The holder's PIN settings; a phone provisioned before they existed has separate PINs. */
export async function readPinSettings(storage: WalletStorage): Promise<PinSettings> {
  const value = await storage.read(SETTINGS);
  if (value === undefined) return { sharedPin: false };
  if (typeof (value as PinSettings).sharedPin !== 'boolean')
    throw new WalletError('ERR_WALLET_STORAGE', 'the PIN settings are not readable');
  return { sharedPin: (value as PinSettings).sharedPin };
}

export function writePinSettings(storage: WalletStorage, settings: PinSettings): Promise<void> {
  return storage.write(SETTINGS, { sharedPin: settings.sharedPin });
}

/**
 * The fields the consent screen asks for `secrets`: with a shared PIN, the 利用者証明用 and 入力補助 PINs
 * are one field; the 署名用パスワード is always its own. At most two fields.
 *
 * @example
 * ```ts
 * approvalFields(['signingPassword', 'kenhojoPin', 'authenticationPin'], { sharedPin: true });
 * // ['signingPassword', 'sharedPin']
 * ```
 */
export function approvalFields(secrets: readonly ConsentSecret[], settings: PinSettings): ApprovalField[] {
  if (!settings.sharedPin) return [...secrets];
  const fields: ApprovalField[] = secrets.filter((secret) => !SHARED.includes(secret));
  if (secrets.some((secret) => SHARED.includes(secret))) fields.push('sharedPin');
  return fields;
}

/** The approval of what the holder entered in {@link approvalFields}: the shared PIN goes to each applet. */
export function approvalOf(values: Partial<Record<ApprovalField, string>>): Approval {
  const { sharedPin, ...rest } = values;
  return sharedPin === undefined ? rest : { ...rest, authenticationPin: sharedPin, kenhojoPin: sharedPin };
}

/**
 * The 4-digit forms of a birth date a person might choose as a PIN: the western year (YYYY), month and
 * day (MMDD, DDMM), year and month (YYMM, MMYY) and the 和暦 year and month (YYMM, as on the card's
 * 照合番号B). A shared PIN opens two applets, so guessable values from the card face are refused.
 */
export function birthDatePins(birthDate: CalendarDate): Set<string> {
  const two = (value: number) => String(value % 100).padStart(2, '0');
  const { year, month, day } = birthDate;
  const wareki = toWareki(birthDate);
  return new Set([
    String(year).padStart(4, '0'),
    two(month) + two(day),
    two(day) + two(month),
    two(year) + two(month),
    two(month) + two(year),
    two(wareki.year) + two(month),
  ]);
}

/**
 * Refuses a shared 4-digit PIN that the card face gives away: a form of the holder's birth date
 * ({@link birthDatePins}) or the card's セキュリティコード (the 4 digits printed on the card, the end of
 * 照合番号B), when known. `ERR_PIN_WEAK`; the message never carries the PIN.
 */
export function assertSharedPin(
  pin: string,
  card: { readonly birthDate: CalendarDate; readonly securityCode?: string },
): void {
  if (!/^\d{4}$/.test(pin)) throw new WalletError('ERR_PIN_FORMAT', 'the shared PIN has 4 digits');
  if (birthDatePins(card.birthDate).has(pin))
    throw new WalletError('ERR_PIN_WEAK', 'the shared PIN is a form of the birth date');
  if (card.securityCode !== undefined && pin === card.securityCode)
    throw new WalletError('ERR_PIN_WEAK', 'the shared PIN is the card’s security code');
}
