import { isAsciiDigits, padDigits } from './ascii.js';
import { CoreError } from './errors.js';

/**
 * A date on the Gregorian calendar with no time and no zone, as written on the card
 * (生年月日, 有効期限). Months and days count from 1.
 */
export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** `true` in Gregorian leap years. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The number of days in `month` of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Builds a {@link CalendarDate}, or throws `ERR_DATE_INVALID` for a day that does not exist. */
export function calendarDate(year: number, month: number, day: number): CalendarDate {
  if (
    !Number.isInteger(year) ||
    !Number.isInteger(month) ||
    !Number.isInteger(day) ||
    year < 1000 ||
    year > 9999 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month)
  ) {
    throw new CoreError('ERR_DATE_INVALID', `${year}-${month}-${day} is not a day of the Gregorian calendar`);
  }
  return { year, month, day };
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareDates(a: CalendarDate, b: CalendarDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** Parses `YYYY-MM-DD` (ISO 8601 calendar date, as in mdoc `full-date`). */
export function parseIsoDate(text: string): CalendarDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new CoreError('ERR_DATE_FORMAT', 'expected a date as YYYY-MM-DD');
  return calendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** Formats as `YYYY-MM-DD`. */
export function formatIsoDate(date: CalendarDate): string {
  return `${padDigits(date.year, 4)}-${padDigits(date.month, 2)}-${padDigits(date.day, 2)}`;
}

/** Parses the card's `YYYYMMDD` (8 ASCII digits, Gregorian), as in 入力補助 DF24 and 券面 DF22/DF29. */
export function parseCardDate(text: string): CalendarDate {
  if (text.length !== 8 || !isAsciiDigits(text)) {
    throw new CoreError('ERR_DATE_FORMAT', 'expected a card date as 8 digits YYYYMMDD');
  }
  return calendarDate(Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8)));
}

/** Formats as the card's `YYYYMMDD`. */
export function formatCardDate(date: CalendarDate): string {
  return padDigits(date.year, 4) + padDigits(date.month, 2) + padDigits(date.day, 2);
}

/** The calendar date in Japan (JST, UTC+9, no daylight saving) at `instant`. */
export function calendarDateInJapan(instant: Date): CalendarDate {
  const shifted = new Date(instant.getTime() + JST_OFFSET_MS);
  return calendarDate(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate());
}

/** The last second of `date` in Japan: 23:59:59 JST, i.e. 14:59:59Z. */
export function endOfDayInJapan(date: CalendarDate): Date {
  return new Date(Date.UTC(date.year, date.month - 1, date.day) + DAY_MS - JST_OFFSET_MS - 1000);
}

/** The first instant of `date` in Japan: 00:00:00 JST. */
export function startOfDayInJapan(date: CalendarDate): Date {
  return new Date(Date.UTC(date.year, date.month - 1, date.day) - JST_OFFSET_MS);
}

/**
 * The anniversary of `date` in `year`. A 29 February falls on 28 February in common years.
 * (We choose the earlier day so that a validity computed from it never runs past the rule.)
 */
export function anniversaryIn(date: CalendarDate, year: number): CalendarDate {
  const day = Math.min(date.day, daysInMonth(year, date.month));
  return calendarDate(year, date.month, day);
}

/**
 * Age in whole years on `on`; it goes up on the birthday (年齢計算ニ関スル法律: at the end of the day
 * before, so 29 February births gain a year on 1 March in common years).
 */
export function ageOn(birthDate: CalendarDate, on: CalendarDate): number {
  let age = on.year - birthDate.year;
  if (on.month < birthDate.month || (on.month === birthDate.month && on.day < birthDate.day)) age--;
  return age;
}

/** Adds `days` (may be negative) to `date`. */
export function addDays(date: CalendarDate, days: number): CalendarDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return calendarDate(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate());
}

/** Days from 1970-01-01 to `date` (negative before). */
export function epochDay(date: CalendarDate): number {
  return Math.round(Date.UTC(date.year, date.month - 1, date.day) / DAY_MS);
}

/** The date `days` after 1970-01-01. */
export function fromEpochDay(days: number): CalendarDate {
  return addDays({ year: 1970, month: 1, day: 1 }, days);
}
