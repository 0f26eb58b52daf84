import { digitAt, isAsciiDigits } from './ascii.js';
import { CoreError } from './errors.js';

/**
 * A 全国地方公共団体コード in its 5-digit form (2-digit prefecture 01–47 + 3 digits), as the card
 * stores it (e.g. `13221` 清瀬市).
 */
export type MunicipalityCode = string & { readonly __brand: 'MunicipalityCode' };

const WEIGHTS = [6, 5, 4, 3, 2] as const;

/**
 * The 6th (check) digit of a municipality code.
 *
 * @example
 * ```ts
 * computeMunicipalityCheckDigit('13101'); // 6 → 131016 (千代田区)
 * ```
 */
export function computeMunicipalityCheckDigit(code: string): number {
  assertFiveDigits(code);
  // 総務省 全国地方公共団体コード: weights 6,5,4,3,2; check = 11 − (Σ mod 11), keeping the last digit.
  let sum = 0;
  WEIGHTS.forEach((weight, index) => (sum += digitAt(code, index) * weight));
  return (11 - (sum % 11)) % 10;
}

/**
 * Parses a municipality code given as 5 digits or as 6 digits with the check digit (which must be
 * right), and returns the 5-digit form.
 */
export function parseMunicipalityCode(text: string): MunicipalityCode {
  if (text.length === 6 && isAsciiDigits(text)) {
    const code = text.slice(0, 5);
    assertFiveDigits(code);
    if (computeMunicipalityCheckDigit(code) !== digitAt(text, 5)) {
      throw new CoreError(
        'ERR_MUNICIPALITY_CODE_CHECK_DIGIT',
        'the 6th digit of the municipality code is not its check digit',
      );
    }
    return code as MunicipalityCode;
  }
  assertFiveDigits(text);
  return text as MunicipalityCode;
}

/** The 6-digit form with its check digit. */
export function toSixDigitMunicipalityCode(code: string): string {
  return code + String(computeMunicipalityCheckDigit(code));
}

/** The prefecture number (1–47) of a municipality code. */
export function prefectureOf(code: MunicipalityCode): number {
  return Number(code.slice(0, 2));
}

function assertFiveDigits(code: string): void {
  if (code.length !== 5 || !isAsciiDigits(code)) {
    throw new CoreError('ERR_MUNICIPALITY_CODE_FORMAT', 'a municipality code has 5 digits (or 6 with the check digit)');
  }
  const prefecture = Number(code.slice(0, 2));
  if (prefecture < 1 || prefecture > 47) {
    throw new CoreError(
      'ERR_MUNICIPALITY_CODE_PREFECTURE',
      'the first two digits of a municipality code are a prefecture, 01 to 47',
    );
  }
}
