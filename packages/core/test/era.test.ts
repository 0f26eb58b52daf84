import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  calendarDate,
  ERAS,
  eraOf,
  findEra,
  formatIsoDate,
  formatJpkiBirthDate,
  formatWareki,
  formatWarekiYymmdd,
  fromEpochDay,
  fromWareki,
  parseIsoDate,
  parseJpkiBirthDate,
  parseWarekiYymmdd,
  toWareki,
} from '@openmyna/core';

// Each era's first day, the previous era's last day, and their 和暦 forms.
const BOUNDARIES = [
  { last: '1912-07-29', lastWareki: '明治45年7月29日', first: '1912-07-30', firstWareki: '大正元年7月30日' },
  { last: '1926-12-24', lastWareki: '大正15年12月24日', first: '1926-12-25', firstWareki: '昭和元年12月25日' },
  { last: '1989-01-07', lastWareki: '昭和64年1月7日', first: '1989-01-08', firstWareki: '平成元年1月8日' },
  { last: '2019-04-30', lastWareki: '平成31年4月30日', first: '2019-05-01', firstWareki: '令和元年5月1日' },
];

describe('和暦 era boundaries', () => {
  it.each(BOUNDARIES)('$last is $lastWareki and $first is $firstWareki', ({ last, lastWareki, first, firstWareki }) => {
    expect(formatWareki(parseIsoDate(last))).toBe(lastWareki);
    expect(formatWareki(parseIsoDate(first))).toBe(firstWareki);
    expect(toWareki(parseIsoDate(first)).year).toBe(1);
  });

  it('begins 明治 on 1868-01-25 and has no era before it', () => {
    expect(formatWareki(parseIsoDate('1868-01-25'))).toBe('明治元年1月25日');
    expect(() => toWareki(parseIsoDate('1868-01-24'))).toThrow(
      expect.objectContaining({ code: 'ERR_ERA_OUT_OF_RANGE' }),
    );
  });

  it('follows the vectors in card-format/README.md', () => {
    expect(toWareki(parseIsoDate('1989-01-07'))).toMatchObject({ era: { name: '昭和' }, year: 64 });
    expect(toWareki(parseIsoDate('1989-01-08'))).toMatchObject({ era: { name: '平成' }, year: 1 });
    expect(toWareki(parseIsoDate('2019-04-30'))).toMatchObject({ era: { name: '平成' }, year: 31 });
    expect(toWareki(parseIsoDate('2019-05-01'))).toMatchObject({ era: { name: '令和' }, year: 1 });
  });

  it.each([
    ['平成', 31, 5, 1],
    ['昭和', 64, 1, 8],
    ['大正', 1, 7, 29],
    ['明治', 45, 7, 30],
    ['令和', 0, 5, 1],
  ])('rejects %s%i年%i月%i日, which lies outside the era', (era, year, month, day) => {
    expect(() => fromWareki({ era, year, month, day })).toThrow(
      expect.objectContaining({ code: 'ERR_ERA_OUT_OF_RANGE' }),
    );
  });

  it('converts 和暦 back to Gregorian', () => {
    expect(formatIsoDate(fromWareki({ era: '昭和', year: 55, month: 2, day: 17 }))).toBe('1980-02-17');
    expect(formatIsoDate(fromWareki({ era: 'reiwa', year: 1, month: 5, day: 1 }))).toBe('2019-05-01');
    expect(() => fromWareki({ era: '慶応', year: 1, month: 1, day: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_ERA_UNKNOWN' }),
    );
  });

  it('round-trips every date from 明治 on (property)', () => {
    const first = Date.UTC(1868, 0, 25) / 86_400_000;
    fc.assert(
      fc.property(fc.integer({ min: first, max: first + 90_000 }), (day) => {
        const date = fromEpochDay(day);
        const wareki = toWareki(date);
        expect(fromWareki(wareki)).toEqual(date);
        expect(ERAS.indexOf(eraOf(date))).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('JPKI birth date EYYYYMMDD (1.2.392.200149.8.5.5.4)', () => {
  it('writes the era digit and the Gregorian date', () => {
    expect(formatJpkiBirthDate(parseIsoDate('1980-02-17'))).toBe('319800217');
    expect(formatJpkiBirthDate(parseIsoDate('1912-07-29'))).toBe('119120729');
    expect(formatJpkiBirthDate(parseIsoDate('1912-07-30'))).toBe('219120730');
    expect(formatJpkiBirthDate(parseIsoDate('1989-01-08'))).toBe('419890108');
    expect(formatJpkiBirthDate(parseIsoDate('2019-05-01'))).toBe('520190501');
  });

  it('parses, and rejects an era digit that contradicts the date', () => {
    expect(parseJpkiBirthDate('319800217')).toEqual({ era: findEra('昭和'), date: calendarDate(1980, 2, 17) });
    expect(parseJpkiBirthDate('019800217').era).toBeUndefined();
    expect(() => parseJpkiBirthDate('419800217')).toThrow(expect.objectContaining({ code: 'ERR_ERA_OUT_OF_RANGE' }));
    expect(() => parseJpkiBirthDate('619800217')).toThrow(expect.objectContaining({ code: 'ERR_ERA_UNKNOWN' }));
    expect(() => parseJpkiBirthDate('31980021')).toThrow(expect.objectContaining({ code: 'ERR_DATE_FORMAT' }));
    expect(() => parseJpkiBirthDate('319800230')).toThrow(expect.objectContaining({ code: 'ERR_DATE_INVALID' }));
  });
});

describe('和暦 YYMMDD (照合番号B, birth-date key)', () => {
  it('gives 550217 for the test card holder born 1980-02-17', () => {
    expect(formatWarekiYymmdd(parseIsoDate('1980-02-17'))).toBe('550217');
    expect(formatIsoDate(parseWarekiYymmdd('550217', '昭和'))).toBe('1980-02-17');
  });

  it('writes 元年 as 01 and rejects days outside the era', () => {
    expect(formatWarekiYymmdd(parseIsoDate('2019-05-01'))).toBe('010501');
    expect(() => parseWarekiYymmdd('310501', '平成')).toThrow(
      expect.objectContaining({ code: 'ERR_ERA_OUT_OF_RANGE' }),
    );
    expect(() => parseWarekiYymmdd('5502', '昭和')).toThrow(expect.objectContaining({ code: 'ERR_DATE_FORMAT' }));
  });
});
