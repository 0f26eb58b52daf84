import { digitAt, isAsciiDigits } from '../ascii.js';
import { CoreError } from '../errors.js';

/**
 * The check digit openmyna appends to a synthetic 住民票コード's 10 random digits.
 *
 * The official formula (住民基本台帳法施行規則 第1条, 平成14年総務省告示第436号) was not available
 * to us, so this is **our own** mod-11 rule (weights 2–7 repeating from the right, as for the
 * 個人番号); it is not claimed to match real codes, and {@link validateResidentCodeFormat} does not
 * check it.
 */
export function computeResidentCodeCheckDigit(body: string): number {
  if (body.length !== 10 || !isAsciiDigits(body)) {
    throw new CoreError('ERR_RESIDENT_CODE_FORMAT', 'the body of a 住民票コード is 10 digits');
  }
  let sum = 0;
  for (let n = 1; n <= 10; n++) sum += digitAt(body, 10 - n) * (n <= 6 ? n + 1 : n - 5);
  const remainder = sum % 11;
  return remainder <= 1 ? 0 : 11 - remainder;
}

/** Checks that a 住民票コード is 11 ASCII digits (the official check digit is not verified). */
export function validateResidentCodeFormat(code: string): string {
  if (code.length !== 11 || !isAsciiDigits(code)) {
    throw new CoreError('ERR_RESIDENT_CODE_FORMAT', 'a 住民票コード is 11 digits');
  }
  return code;
}
