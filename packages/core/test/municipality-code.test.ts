import { describe, expect, it } from 'vitest';

import {
  computeMunicipalityCheckDigit,
  generatePopulation,
  parseMunicipalityCode,
  prefectureOf,
  toSixDigitMunicipalityCode,
} from '@openmyna/core';

describe('全国地方公共団体コード', () => {
  it.each([
    ['13101', '131016'], // 千代田区
    ['01100', '011002'], // 札幌市
    ['13221', '132217'], // 清瀬市
    ['08220', '082201'], // つくば市
  ])('gives %s the check digit of %s', (code, six) => {
    expect(toSixDigitMunicipalityCode(code)).toBe(six);
    expect(parseMunicipalityCode(six)).toBe(code);
    expect(parseMunicipalityCode(code)).toBe(code);
  });

  it('keeps the last digit when 11 − remainder is 10 or 11', () => {
    // 01000: Σ = 5 → 6; 47100: Σ = 24 + 35 + 4 = 63, 63 mod 11 = 8 → 3
    expect(computeMunicipalityCheckDigit('01000')).toBe(6);
    expect(computeMunicipalityCheckDigit('47100')).toBe(3);
    // 11000: Σ = 11 → remainder 0 → 11 → 1
    expect(computeMunicipalityCheckDigit('11000')).toBe(1);
    // 20001: Σ = 12 + 2 = 14 → remainder 3 → 8
    expect(computeMunicipalityCheckDigit('20001')).toBe(8);
  });

  it.each([
    ['1310', 'ERR_MUNICIPALITY_CODE_FORMAT'],
    ['1310a', 'ERR_MUNICIPALITY_CODE_FORMAT'],
    ['1310167', 'ERR_MUNICIPALITY_CODE_FORMAT'],
    ['48101', 'ERR_MUNICIPALITY_CODE_PREFECTURE'],
    ['00101', 'ERR_MUNICIPALITY_CODE_PREFECTURE'],
    ['131017', 'ERR_MUNICIPALITY_CODE_CHECK_DIGIT'],
  ])('rejects %s with %s', (input, code) => {
    expect(() => parseMunicipalityCode(input)).toThrow(expect.objectContaining({ code }));
  });

  it('reads the prefecture number', () => {
    expect(prefectureOf(parseMunicipalityCode('47201'))).toBe(47);
  });

  it('places every synthetic person in a well-formed municipality of the right prefecture', () => {
    for (const person of generatePopulation({ seed: 'municipalities' }, 2000)) {
      expect(parseMunicipalityCode(person.municipalityCode)).toBe(person.municipalityCode);
      expect(person.address.startsWith(person.prefecture + person.municipality)).toBe(true);
    }
  });
});
