import { PkiError } from '@openmyna/pki';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readTime } from './internal.js';

const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** The reader as it was written first (regular expressions over the text): the oracle. */
function readTimeByPattern(tag: number, text: string): Date | 'malformed' {
  let match: RegExpExecArray | null = null;
  let year = 0;
  if (tag === UTC_TIME) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (match) year = Number(match[1]) >= 50 ? 1900 + Number(match[1]) : 2000 + Number(match[1]);
  } else if (tag === GENERALIZED_TIME) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (match) year = Number(match[1]);
  }
  if (!match) return 'malformed';
  const [, , month = 0, day = 0, hour = 0, minute = 0, second = 0] = match.map(Number);
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59)
    return 'malformed';
  return check;
}

const read = (tag: number, text: string): Date | 'malformed' => {
  const value = Uint8Array.from(text, (character) => character.charCodeAt(0) & 0xff);
  try {
    return readTime({ tag, constructed: false, offset: 0, headerLength: 2, value, raw: value }, 'time');
  } catch (error) {
    expect(error).toBeInstanceOf(PkiError);
    return 'malformed';
  }
};

describe('UTCTime and GeneralizedTime (RFC 5280 §4.1.2.5)', () => {
  it('reads the RFC 5280 forms and their edges', () => {
    expect(read(UTC_TIME, '491231235959Z')).toEqual(new Date('2049-12-31T23:59:59Z'));
    expect(read(UTC_TIME, '500101000000Z')).toEqual(new Date('1950-01-01T00:00:00Z'));
    expect(read(GENERALIZED_TIME, '20500101000000Z')).toEqual(new Date('2050-01-01T00:00:00Z'));
    expect(read(GENERALIZED_TIME, '20240229120000Z')).toEqual(new Date('2024-02-29T12:00:00Z'));
  });

  it.each([
    [UTC_TIME, '230229000000Z', 'no 29 February in 2023'],
    [UTC_TIME, '2401011200Z', 'no seconds'],
    [UTC_TIME, '240101120000+0900', 'an offset instead of Z'],
    [UTC_TIME, '240101120000.5Z', 'fractional seconds'],
    [GENERALIZED_TIME, '240101120000Z', 'a two-digit year'],
    [UTC_TIME, '241301120000Z', 'month 13'],
    [UTC_TIME, '240101240000Z', 'hour 24'],
    [UTC_TIME, '24010112000 Z', 'a space for a digit'],
    [0x04, '240101120000Z', 'an OCTET STRING'],
  ])('refuses tag %i "%s" (%s)', (tag, text) => {
    expect(read(tag, text)).toBe('malformed');
  });

  it('agrees with the pattern reader on any text of digits, Z and other bytes (property)', () => {
    const character = fc.oneof(
      fc.constantFrom(...'0123456789'),
      fc.constantFrom('Z', 'z', '+', '-', '.', ' ', '/', ':', '\u00b2', '\u00b9', '\u0000'),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(UTC_TIME, GENERALIZED_TIME),
        fc.array(character, { minLength: 10, maxLength: 17 }),
        (tag, characters) => {
          const text = characters.join('');
          expect(read(tag, text)).toEqual(readTimeByPattern(tag, text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('agrees with the pattern reader on well-formed times of every field value (property)', () => {
    const two = fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0'));
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 9999 }), two, two, two, two, two, (utc, year, ...fields) => {
        const text =
          (utc ? String(year % 100).padStart(2, '0') : String(year).padStart(4, '0')) + fields.join('') + 'Z';
        const tag = utc ? UTC_TIME : GENERALIZED_TIME;
        expect(read(tag, text)).toEqual(readTimeByPattern(tag, text));
      }),
      { numRuns: 3000 },
    );
  });
});
