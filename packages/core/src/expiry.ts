import {
  ageOn,
  anniversaryIn,
  calendarDate,
  compareDates,
  type CalendarDate,
  endOfDayInJapan,
} from './calendar-date.js';
import { CoreError } from './errors.js';

/**
 * The `n`-th birthday strictly after `after` (a birthday on `after` itself does not count).
 *
 * @example
 * ```ts
 * nthBirthdayAfter(parseIsoDate('1980-02-17'), parseIsoDate('2025-10-27'), 5); // 2030-02-17
 * ```
 */
export function nthBirthdayAfter(birthDate: CalendarDate, after: CalendarDate, n: number): CalendarDate {
  if (!Number.isInteger(n) || n < 1) throw new CoreError('ERR_EXPIRY_RULE', 'n must be a positive integer');
  let first = anniversaryIn(birthDate, after.year);
  if (compareDates(first, after) <= 0) first = anniversaryIn(birthDate, after.year + 1);
  return anniversaryIn(birthDate, first.year + n - 1);
}

/** The day the age of majority fell from 20 to 18 (民法 改正, 2022-04-01). */
const MAJORITY_AT_18_FROM = calendarDate(2022, 4, 1);

/**
 * The expiry printed on a My Number Card issued on `issueDate`: the 10th birthday after issue for
 * an adult, the 5th for a minor (番号法施行令 第26条; adult means 18 or over from 2022-04-01 and 20
 * or over before).
 */
export function cardExpiryDate(birthDate: CalendarDate, issueDate: CalendarDate): CalendarDate {
  if (compareDates(birthDate, issueDate) > 0) {
    throw new CoreError('ERR_BIRTH_DATE_FUTURE', 'the birth date is after the issue date');
  }
  const majority = compareDates(issueDate, MAJORITY_AT_18_FROM) >= 0 ? 18 : 20;
  return nthBirthdayAfter(birthDate, issueDate, ageOn(birthDate, issueDate) >= majority ? 10 : 5);
}

/** Inputs of {@link certificateNotAfter}. */
export interface CertificateValidityInput {
  readonly birthDate: CalendarDate;
  /** The day the certificate is issued, in Japan. */
  readonly issueDate: CalendarDate;
  /** The card's (or phone's) expiry date; the certificate never outlives it. */
  readonly cardExpiry: CalendarDate;
  /** A further cap, e.g. the user-authentication certificate's notAfter for a signing certificate. */
  readonly notLaterThan?: Date;
}

/**
 * The notAfter of a JPKI certificate: 23:59:59 JST on the 5th birthday after issue, capped by the
 * card's expiry (also at 23:59:59 JST) and by `notLaterThan`.
 *
 * @example
 * ```ts
 * certificateNotAfter({ birthDate, issueDate, cardExpiry }).toISOString(); // '2030-02-17T14:59:59.000Z'
 * ```
 */
export function certificateNotAfter(input: CertificateValidityInput): Date {
  if (compareDates(input.birthDate, input.issueDate) > 0) {
    throw new CoreError('ERR_BIRTH_DATE_FUTURE', 'the birth date is after the issue date');
  }
  if (compareDates(input.cardExpiry, input.issueDate) < 0) {
    throw new CoreError('ERR_EXPIRY_RULE', 'the card expired before the certificate issue date');
  }
  // JPKI 有効期間: 発行日後5回目の誕生日まで, capped by the card's own expiry.
  const candidates = [
    endOfDayInJapan(nthBirthdayAfter(input.birthDate, input.issueDate, 5)),
    endOfDayInJapan(input.cardExpiry),
  ];
  if (input.notLaterThan) candidates.push(input.notLaterThan);
  return new Date(Math.min(...candidates.map((instant) => instant.getTime())));
}
