import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { formatJapanDate, formatJapanTime } from '@openmyna/core';

describe('formatJapanTime', () => {
  it('writes the instant in 日本時間, to the minute', () => {
    expect(formatJapanTime(new Date('2026-12-06T07:20:59.943Z'))).toBe('2026年12月6日 16時20分（日本時間）');
    expect(formatJapanTime(new Date('2026-12-03T15:05:00Z'))).toBe('2026年12月4日 0時05分（日本時間）');
    expect(formatJapanTime(new Date('2026-12-06T07:20:00Z'), 'en')).toBe('6 December 2026 at 16:20 (Japan time)');
    // One rule in both languages (UTC+9), also in the summers of 1948–51 when Japan kept summer time.
    expect(formatJapanTime(new Date('1950-06-01T00:30:00Z'))).toBe('1950年6月1日 9時30分（日本時間）');
    expect(formatJapanTime(new Date('1950-06-01T00:30:00Z'), 'en')).toBe('1 June 1950 at 09:30 (Japan time)');
  });

  it('writes a broken instant as unknown rather than failing the page', () => {
    expect(formatJapanTime(new Date('not a time'))).toBe('日時不明');
    expect(formatJapanTime(new Date(Number.NaN), 'en')).toBe('unknown time');
  });

  it('never writes an ISO timestamp, whatever the instant', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01'), max: new Date('2199-12-31'), noInvalidDate: true }), (d) => {
        expect(formatJapanTime(d)).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}時\d{2}分（日本時間）$/);
      }),
    );
  });
});

describe('formatJapanDate', () => {
  it('writes a card date in 和暦, or in English', () => {
    expect(formatJapanDate({ year: 2036, month: 3, day: 27 })).toBe('令和18年3月27日');
    expect(formatJapanDate({ year: 2019, month: 5, day: 1 })).toBe('令和元年5月1日');
    expect(formatJapanDate({ year: 2036, month: 3, day: 27 }, 'en')).toBe('27 March 2036');
  });
});
