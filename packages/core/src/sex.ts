import { CoreError } from './errors.js';

/** 性別 as ISO/IEC 5218 and JIS X 0303 code it, and as the card stores it (one ASCII digit). */
export type SexCode = '0' | '1' | '2' | '9';

/** Each code with its Japanese and English label. */
export const SEX_CODES: Readonly<Record<SexCode, { readonly ja: string; readonly en: string }>> = {
  '0': { ja: '不明', en: 'not known' },
  '1': { ja: '男', en: 'male' },
  '2': { ja: '女', en: 'female' },
  '9': { ja: '適用不能', en: 'not applicable' },
};

/**
 * Parses a sex code from its digit (string or number).
 *
 * @example
 * ```ts
 * parseSexCode(2); // '2'
 * ```
 */
export function parseSexCode(value: string | number): SexCode {
  const text = String(value);
  if (text === '0' || text === '1' || text === '2' || text === '9') return text;
  throw new CoreError('ERR_SEX_CODE', 'a sex code is one of 0 (不明), 1 (男), 2 (女) or 9 (適用不能)');
}
