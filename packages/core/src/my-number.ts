import { digitAt, isAsciiDigits } from './ascii.js';
import { CoreError } from './errors.js';
import type { SeededRandom } from './random.js';

/** A 個人番号 (My Number) that passed {@link parseMyNumber}: 12 ASCII digits with a valid check digit. */
export type MyNumber = string & { readonly __brand: 'MyNumber' };

/** The outcome of {@link validateMyNumber}; the reason never repeats the number itself. */
export type MyNumberValidation =
  | { readonly valid: true }
  | {
      readonly valid: false;
      readonly code: 'ERR_MY_NUMBER_FORMAT' | 'ERR_MY_NUMBER_CHECK_DIGIT';
      readonly reason: string;
    };

/**
 * The check digit (検査用数字) of a 個人番号 from its 11 leading digits.
 *
 * @example
 * ```ts
 * computeMyNumberCheckDigit('12345678901'); // 8
 * ```
 */
export function computeMyNumberCheckDigit(leadingDigits: string): number {
  if (leadingDigits.length !== 11 || !isAsciiDigits(leadingDigits)) {
    throw new CoreError('ERR_MY_NUMBER_FORMAT', 'the leading part of a 個人番号 must be 11 ASCII digits');
  }
  // 総務省令第八十五号 第5条: Pn is the n-th digit from the least significant end,
  // Qn = n + 1 (1 ≤ n ≤ 6) and n − 5 (7 ≤ n ≤ 11); check = 11 − (Σ Pn·Qn mod 11), or 0 when the remainder ≤ 1.
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const digit = digitAt(leadingDigits, 11 - n);
    sum += digit * (n <= 6 ? n + 1 : n - 5);
  }
  const remainder = sum % 11;
  return remainder <= 1 ? 0 : 11 - remainder;
}

/**
 * Checks the format (12 ASCII digits) and the check digit, without throwing.
 *
 * @example
 * ```ts
 * validateMyNumber('123456789018'); // { valid: true }
 * validateMyNumber('123456789019'); // { valid: false, code: 'ERR_MY_NUMBER_CHECK_DIGIT', ... }
 * ```
 */
export function validateMyNumber(input: string): MyNumberValidation {
  if (input.length !== 12) {
    return {
      valid: false,
      code: 'ERR_MY_NUMBER_FORMAT',
      reason: `a 個人番号 has 12 digits, this input has ${input.length} characters`,
    };
  }
  if (!isAsciiDigits(input)) {
    return {
      valid: false,
      code: 'ERR_MY_NUMBER_FORMAT',
      reason: 'a 個人番号 consists of the ASCII digits 0-9 only',
    };
  }
  const expected = computeMyNumberCheckDigit(input.slice(0, 11));
  if (digitAt(input, 11) !== expected) {
    return {
      valid: false,
      code: 'ERR_MY_NUMBER_CHECK_DIGIT',
      reason: 'the check digit (12th digit) does not match the first 11 digits',
    };
  }
  return { valid: true };
}

/** `true` when `input` is a 個人番号 with a valid check digit. */
export function isValidMyNumber(input: string): input is MyNumber {
  return validateMyNumber(input).valid;
}

/**
 * Whether `text` carries a valid My Number standing as a token of its own: 12 digits, not inside a
 * longer run of letters or digits (such as a hexadecimal serial number, where 12 digits meet a check
 * digit by chance). Guards logs and audit entries.
 */
export function containsMyNumberToken(text: string): boolean {
  return (text.match(/(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])/g) ?? []).some((candidate) => isValidMyNumber(candidate));
}

/**
 * Returns `input` as a {@link MyNumber}, or throws a {@link CoreError} with
 * `ERR_MY_NUMBER_FORMAT` or `ERR_MY_NUMBER_CHECK_DIGIT`.
 */
export function parseMyNumber(input: string): MyNumber {
  const result = validateMyNumber(input);
  if (!result.valid) throw new CoreError(result.code, result.reason);
  return input as MyNumber;
}

/** Appends the check digit to 11 leading digits. */
export function completeMyNumber(leadingDigits: string): MyNumber {
  return (leadingDigits + String(computeMyNumberCheckDigit(leadingDigits))) as MyNumber;
}

/**
 * A random valid 個人番号 drawn from a seeded source; the same seed gives the same numbers.
 * For a population with no duplicates use {@link generatePopulation}, which never repeats one.
 */
export function generateMyNumber(random: SeededRandom): MyNumber {
  let leading = '';
  for (let i = 0; i < 11; i++) leading += String(random.integer(0, 9));
  return completeMyNumber(leading);
}
