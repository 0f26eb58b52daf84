import { padDigits } from './ascii.js';
import { calendarDateInJapan, type CalendarDate } from './calendar-date.js';
import { formatWareki } from './era.js';

/** The languages dates and times are written in for a person. */
export type DisplayLanguage = 'ja' | 'en';

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

// JST as a fixed UTC+9 in both languages (the instant shifted, then read in UTC): one rule, the same
// answer in Japanese and English for any instant, summer time of 1948–51 included.
const englishTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  dateStyle: 'long',
  timeStyle: 'short',
});
const englishDate = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'long' });

/**
 * An instant to the minute as a person reads it, in 日本時間 (JST) whatever the device's zone: the one
 * form every user-facing page and the signed application use, never an ISO string.
 *
 * @example
 * ```ts
 * formatJapanTime(new Date('2026-12-06T07:20:00Z')); // '2026年12月6日 16時20分（日本時間）'
 * formatJapanTime(new Date('2026-12-06T07:20:00Z'), 'en'); // '6 December 2026 at 16:20 (Japan time)'
 * ```
 */
export function formatJapanTime(instant: Date, language: DisplayLanguage = 'ja'): string {
  // A record with a broken time still shows (a history is never lost to one bad entry).
  if (Number.isNaN(instant.getTime())) return language === 'en' ? 'unknown time' : '日時不明';
  const shifted = new Date(instant.getTime() + JST_OFFSET_MS);
  if (language === 'en') return `${englishTime.format(shifted)} (Japan time)`;
  const { year, month, day } = calendarDateInJapan(instant);
  return `${year}年${month}月${day}日 ${shifted.getUTCHours()}時${padDigits(shifted.getUTCMinutes(), 2)}分（日本時間）`;
}

/**
 * A calendar date as the card prints it: 和暦 in Japanese (「令和18年3月27日」), the day, month and year in
 * English ("27 March 2036").
 *
 * @example
 * ```ts
 * formatJapanDate({ year: 2036, month: 3, day: 27 }); // '令和18年3月27日'
 * ```
 */
export function formatJapanDate(date: CalendarDate, language: DisplayLanguage = 'ja'): string {
  if (language === 'en') return englishDate.format(new Date(Date.UTC(date.year, date.month - 1, date.day)));
  return formatWareki(date);
}
