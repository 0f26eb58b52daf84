import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  ageOn,
  calendarDate,
  calendarDateInJapan,
  endOfDayInJapan,
  formatCardDate,
  formatIsoDate,
  isLeapYear,
  parseCardDate,
  parseIsoDate,
  startOfDayInJapan,
} from '@openmyna/core';

describe('calendar dates', () => {
  it('knows the Gregorian leap years', () => {
    expect([1900, 2000, 2023, 2024, 2100].map(isLeapYear)).toEqual([false, true, false, true, false]);
  });

  it('rejects days that do not exist', () => {
    for (const [y, m, d] of [
      [2023, 2, 29],
      [2024, 4, 31],
      [2024, 13, 1],
      [2024, 0, 10],
      [2024, 1, 0],
      [999, 1, 1],
    ]) {
      expect(() => calendarDate(y!, m!, d!)).toThrow(expect.objectContaining({ code: 'ERR_DATE_INVALID' }));
    }
    expect(calendarDate(2024, 2, 29)).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it('parses and writes the card form YYYYMMDD and ISO dates', () => {
    expect(parseCardDate('19800217')).toEqual({ year: 1980, month: 2, day: 17 });
    expect(formatCardDate(calendarDate(2035, 2, 17))).toBe('20350217');
    expect(() => parseCardDate('1980-02-17')).toThrow(expect.objectContaining({ code: 'ERR_DATE_FORMAT' }));
    expect(() => parseIsoDate('19800217')).toThrow(expect.objectContaining({ code: 'ERR_DATE_FORMAT' }));
  });

  it('round-trips both forms (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }),
        (instant) => {
          const date = calendarDate(instant.getUTCFullYear(), instant.getUTCMonth() + 1, instant.getUTCDate());
          expect(parseCardDate(formatCardDate(date))).toEqual(date);
          expect(parseIsoDate(formatIsoDate(date))).toEqual(date);
        },
      ),
    );
  });

  it('uses Japan time (UTC+9) for the day and its last second', () => {
    expect(calendarDateInJapan(new Date('2024-12-31T15:00:00Z'))).toEqual(calendarDate(2025, 1, 1));
    expect(calendarDateInJapan(new Date('2024-12-31T14:59:59Z'))).toEqual(calendarDate(2024, 12, 31));
    expect(endOfDayInJapan(calendarDate(2030, 2, 17)).toISOString()).toBe('2030-02-17T14:59:59.000Z');
    expect(startOfDayInJapan(calendarDate(2030, 2, 17)).toISOString()).toBe('2030-02-16T15:00:00.000Z');
  });

  it('counts age in whole years, rising on the birthday', () => {
    const birth = calendarDate(1980, 2, 17);
    expect(ageOn(birth, calendarDate(2025, 2, 16))).toBe(44);
    expect(ageOn(birth, calendarDate(2025, 2, 17))).toBe(45);
    const leap = calendarDate(2004, 2, 29);
    expect(ageOn(leap, calendarDate(2022, 2, 28))).toBe(17);
    expect(ageOn(leap, calendarDate(2022, 3, 1))).toBe(18);
  });
});
