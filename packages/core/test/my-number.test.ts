import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  completeMyNumber,
  computeMyNumberCheckDigit,
  CoreError,
  generateMyNumber,
  isValidMyNumber,
  parseMyNumber,
  SeededRandom,
  validateMyNumber,
} from '@openmyna/core';

// reference/card-spec.md §5.1: numbers checked against the ministerial ordinance's formula.
const VALID = ['123456789018', '537686677188', '983205673214', '111111111118', '000000000000'];
const INVALID_CHECK_DIGIT = ['123456789019', '012345678901', '123466789012', '983205673210'];

describe('個人番号 check digit (総務省令第八十五号 第5条)', () => {
  it.each(VALID)('accepts %s', (number) => {
    expect(validateMyNumber(number)).toEqual({ valid: true });
    expect(parseMyNumber(number)).toBe(number);
  });

  it.each(INVALID_CHECK_DIGIT)('rejects %s with ERR_MY_NUMBER_CHECK_DIGIT', (number) => {
    expect(validateMyNumber(number)).toMatchObject({ valid: false, code: 'ERR_MY_NUMBER_CHECK_DIGIT' });
    expect(() => parseMyNumber(number)).toThrow(expect.objectContaining({ code: 'ERR_MY_NUMBER_CHECK_DIGIT' }));
  });

  it('computes the check digit from the 11 leading digits', () => {
    expect(computeMyNumberCheckDigit('12345678901')).toBe(8);
    expect(computeMyNumberCheckDigit('53768667718')).toBe(8);
    expect(computeMyNumberCheckDigit('98320567321')).toBe(4);
  });

  it.each([
    ['', 'ERR_MY_NUMBER_FORMAT'],
    ['12345678901', 'ERR_MY_NUMBER_FORMAT'],
    ['1234567890180', 'ERR_MY_NUMBER_FORMAT'],
    ['12345678901a', 'ERR_MY_NUMBER_FORMAT'],
    ['１２３４５６７８９０１８', 'ERR_MY_NUMBER_FORMAT'],
    ['1234 5678 9018', 'ERR_MY_NUMBER_FORMAT'],
  ])('rejects the malformed input %j', (input, code) => {
    expect(validateMyNumber(input)).toMatchObject({ valid: false, code });
    expect(() => parseMyNumber(input)).toThrow(CoreError);
  });

  it('refuses to compute a check digit for a malformed body', () => {
    expect(() => computeMyNumberCheckDigit('1234567890')).toThrow(
      expect.objectContaining({ code: 'ERR_MY_NUMBER_FORMAT' }),
    );
    expect(() => computeMyNumberCheckDigit('1234567890x')).toThrow(CoreError);
  });

  it('completes any 11 digits to a valid number (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{11}$/), (body) => {
        expect(isValidMyNumber(completeMyNumber(body))).toBe(true);
      }),
    );
  });

  it('detects every change of the check digit (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{11}$/), fc.integer({ min: 1, max: 9 }), (body, shift) => {
        const valid = completeMyNumber(body);
        const wrong = body + String((Number(valid[11]) + shift) % 10);
        expect(isValidMyNumber(wrong)).toBe(false);
      }),
    );
  });

  it('never repeats the input in its reasons (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 20 }), (input) => {
        const result = validateMyNumber(input);
        if (!result.valid) expect(result.reason).not.toContain(input);
      }),
    );
  });

  it('generates valid numbers deterministically from a seed', () => {
    const draw = (seed: string) => {
      const random = SeededRandom.fromSeed(seed);
      return Array.from({ length: 50 }, () => generateMyNumber(random));
    };
    const numbers = draw('seed-1');
    expect(numbers.every((number) => isValidMyNumber(number))).toBe(true);
    expect(draw('seed-1')).toEqual(numbers);
    expect(draw('seed-2')).not.toEqual(numbers);
  });
});
