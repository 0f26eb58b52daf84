import { digitAt, isAsciiDigits, padDigits } from './ascii.js';
import { calendarDate, compareDates, type CalendarDate, formatCardDate, parseCardDate } from './calendar-date.js';
import { CoreError } from './errors.js';

/** A Japanese era (元号) with the Gregorian day it begins and the digit JPKI certificates use for it. */
export interface Era {
  readonly name: '明治' | '大正' | '昭和' | '平成' | '令和';
  readonly romaji: 'Meiji' | 'Taisho' | 'Showa' | 'Heisei' | 'Reiwa';
  /** The era digit `E` of the JPKI `EYYYYMMDD` birth date (1.2.392.200149.8.5.5.4). */
  readonly jpkiDigit: 1 | 2 | 3 | 4 | 5;
  readonly start: CalendarDate;
}

/**
 * The eras since 明治, oldest first. 明治 counts from 1868-01-25 (慶応4年1月1日, to which the era was
 * applied retroactively); each later era begins on the day of the accession, which is year 1 (元年)
 * of the new era, and the previous era ends the day before.
 */
export const ERAS: readonly Era[] = [
  { name: '明治', romaji: 'Meiji', jpkiDigit: 1, start: { year: 1868, month: 1, day: 25 } },
  { name: '大正', romaji: 'Taisho', jpkiDigit: 2, start: { year: 1912, month: 7, day: 30 } },
  { name: '昭和', romaji: 'Showa', jpkiDigit: 3, start: { year: 1926, month: 12, day: 25 } },
  { name: '平成', romaji: 'Heisei', jpkiDigit: 4, start: { year: 1989, month: 1, day: 8 } },
  { name: '令和', romaji: 'Reiwa', jpkiDigit: 5, start: { year: 2019, month: 5, day: 1 } },
];

/** A date written in the Japanese calendar (和暦): era, era year (1 = 元年), month, day. */
export interface WarekiDate {
  readonly era: Era;
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/**
 * The 和暦 form of a Gregorian date.
 *
 * @example
 * ```ts
 * toWareki(parseIsoDate('2019-05-01')); // { era: 令和, year: 1, month: 5, day: 1 }
 * ```
 */
export function toWareki(date: CalendarDate): WarekiDate {
  const era = eraOf(date);
  return { era, year: date.year - era.start.year + 1, month: date.month, day: date.day };
}

/** The era `date` falls in, or `ERR_ERA_OUT_OF_RANGE` before 明治. */
export function eraOf(date: CalendarDate): Era {
  for (let i = ERAS.length - 1; i >= 0; i--) {
    const era = ERAS[i] as Era;
    if (compareDates(date, era.start) >= 0) return era;
  }
  throw new CoreError('ERR_ERA_OUT_OF_RANGE', 'dates before 1868-01-25 (明治元年1月1日) have no supported era');
}

/** Looks up an era by its name (`令和`), romaji (`Reiwa`, any case) or JPKI digit. */
export function findEra(key: string | number): Era {
  const era = ERAS.find(
    (candidate) =>
      candidate.name === key ||
      candidate.jpkiDigit === key ||
      (typeof key === 'string' && candidate.romaji.toLowerCase() === key.toLowerCase()),
  );
  if (!era) throw new CoreError('ERR_ERA_UNKNOWN', `no era is named ${JSON.stringify(String(key))}`);
  return era;
}

/**
 * The Gregorian date of a 和暦 date; throws `ERR_ERA_OUT_OF_RANGE` for a day outside the era
 * (平成31年5月1日 does not exist: it is 令和元年5月1日).
 */
export function fromWareki(wareki: { era: Era | string; year: number; month: number; day: number }): CalendarDate {
  const era = typeof wareki.era === 'string' ? findEra(wareki.era) : wareki.era;
  if (!Number.isInteger(wareki.year) || wareki.year < 1) {
    throw new CoreError('ERR_ERA_OUT_OF_RANGE', `${era.name} years count from 1 (元年)`);
  }
  const date = calendarDate(era.start.year + wareki.year - 1, wareki.month, wareki.day);
  if (eraOf(date) !== era) {
    throw new CoreError(
      'ERR_ERA_OUT_OF_RANGE',
      `${era.name}${wareki.year}年${wareki.month}月${wareki.day}日 is outside the ${era.name} era`,
    );
  }
  return date;
}

/** Formats as `昭和55年2月17日`; the first year is written `元年`. */
export function formatWareki(date: CalendarDate): string {
  const { era, year, month, day } = toWareki(date);
  return `${era.name}${year === 1 ? '元' : String(year)}年${month}月${day}日`;
}

/**
 * The JPKI signing-certificate birth date `EYYYYMMDD` (1.2.392.200149.8.5.5.4): the era digit
 * followed by the **Gregorian** `YYYYMMDD`.
 *
 * @example
 * ```ts
 * formatJpkiBirthDate(parseIsoDate('1980-02-17')); // '319800217'
 * ```
 */
export function formatJpkiBirthDate(date: CalendarDate): string {
  return String(eraOf(date).jpkiDigit) + formatCardDate(date);
}

/** A parsed `EYYYYMMDD`; `era` is `undefined` for the digit 0 (不明, unknown). */
export interface JpkiBirthDate {
  readonly era: Era | undefined;
  readonly date: CalendarDate;
}

/** Parses `EYYYYMMDD`, rejecting an era digit that disagrees with the Gregorian date. */
export function parseJpkiBirthDate(text: string): JpkiBirthDate {
  if (text.length !== 9 || !isAsciiDigits(text)) {
    throw new CoreError('ERR_DATE_FORMAT', 'a JPKI birth date is 9 digits: era digit + YYYYMMDD');
  }
  const digit = digitAt(text, 0);
  const date = parseCardDate(text.slice(1));
  if (digit === 0) return { era: undefined, date };
  const era = findEra(digit);
  if (eraOf(date) !== era) {
    throw new CoreError('ERR_ERA_OUT_OF_RANGE', `era digit ${digit} (${era.name}) does not match the date`);
  }
  return { era, date };
}

/**
 * The 和暦 `YYMMDD` used by the 券面 birth-date key and in 照合番号B: the era year (2 digits),
 * month and day, with no era marker.
 *
 * @example
 * ```ts
 * formatWarekiYymmdd(parseIsoDate('1980-02-17')); // '550217'
 * ```
 */
export function formatWarekiYymmdd(date: CalendarDate): string {
  const { year, month, day } = toWareki(date);
  if (year > 99) throw new CoreError('ERR_ERA_OUT_OF_RANGE', 'the era year does not fit in two digits');
  return padDigits(year, 2) + padDigits(month, 2) + padDigits(day, 2);
}

/**
 * Parses a 和暦 `YYMMDD` in a known era. The form itself does not name the era, so the caller
 * must know it (from the birth date it is derived from).
 */
export function parseWarekiYymmdd(text: string, era: Era | string): CalendarDate {
  if (text.length !== 6 || !isAsciiDigits(text)) {
    throw new CoreError('ERR_DATE_FORMAT', 'expected a 和暦 date as 6 digits YYMMDD');
  }
  return fromWareki({
    era,
    year: Number(text.slice(0, 2)),
    month: Number(text.slice(2, 4)),
    day: Number(text.slice(4)),
  });
}
