import { compareDates, type CalendarDate } from './calendar-date.js';
import { eraOf } from './era.js';
import { CoreError } from './errors.js';
import { parseSexCode, type SexCode } from './sex.js';

/**
 * 基本4情報, the four attributes the card and the signing certificate carry:
 * 氏名 (name), 住所 (address), 生年月日 (birth date) and 性別 (sex).
 */
export interface BasicFourInfo {
  /** Family and given name, full-width, separated by U+3000 (`黒桐　幹也`). */
  readonly name: string;
  /** Full-width, with block numbers in full-width digits (`東京都清瀬市観布子南１２－７－２０２`). */
  readonly address: string;
  readonly birthDate: CalendarDate;
  readonly sex: SexCode;
}

/**
 * Longest name and address openmyna accepts, in characters. J-LIS does not publish field maxima;
 * these leave room for long foreign-resident names and building names while keeping every record
 * well inside the card's EF sizes (3 UTF-8 bytes a character).
 */
export const MAX_NAME_LENGTH = 60;
export const MAX_ADDRESS_LENGTH = 120;

const IDEOGRAPHIC_SPACE = '\u3000';

/** Code point ranges (inclusive) that the card's text fields carry. */
type Range = readonly [number, number];

const KANJI: readonly Range[] = [
  [0x3400, 0x4dbf], // CJK Unified Ideographs Extension A
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xf900, 0xfaff], // CJK Compatibility Ideographs
  [0x3005, 0x3007], // 々 〆 〇
];
const KANA: readonly Range[] = [
  [0x3041, 0x3096], // hiragana
  [0x309d, 0x309e], // ゝ ゞ
  [0x30a1, 0x30fa], // katakana
  [0x30fb, 0x30fe], // ・ ー ヽ ヾ
];
const FULL_WIDTH_LATIN: readonly Range[] = [
  [0xff21, 0xff3a], // Ａ–Ｚ
  [0xff41, 0xff5a], // ａ–ｚ
  [0xff0c, 0xff0e], // ， － ．
];
const FULL_WIDTH_DIGITS_AND_SIGNS: readonly Range[] = [
  [0xff10, 0xff19], // ０–９
  [0xff08, 0xff09], // （ ）
  [0xff03, 0xff03], // ＃
  [0xff06, 0xff06], // ＆
  [0xff0f, 0xff0f], // ／
];
const NAME_CHARACTERS = [...KANJI, ...KANA, ...FULL_WIDTH_LATIN];
const ADDRESS_CHARACTERS = [...NAME_CHARACTERS, ...FULL_WIDTH_DIGITS_AND_SIGNS, [0x3000, 0x3000] as const];

/** Family and given name from a card-form name. */
export interface NameParts {
  readonly family: string;
  readonly given: string;
}

/**
 * Checks a 氏名 as the card carries it and returns it unchanged; throws `ERR_NAME_EMPTY`,
 * `ERR_NAME_FORMAT`, `ERR_NAME_TOO_LONG` or `ERR_NAME_CHARACTER`.
 *
 * @example
 * ```ts
 * validateName('黒桐　幹也'); // '黒桐　幹也'
 * validateName('黒桐 幹也');  // throws ERR_NAME_CHARACTER: separate with U+3000
 * ```
 */
export function validateName(name: string): string {
  if (name.length === 0) throw new CoreError('ERR_NAME_EMPTY', '氏名 must not be empty');
  const length = codePointLength(name);
  if (length > MAX_NAME_LENGTH) {
    throw new CoreError('ERR_NAME_TOO_LONG', `氏名 has ${length} characters, at most ${MAX_NAME_LENGTH} fit the card`);
  }
  const parts = name.split(IDEOGRAPHIC_SPACE);
  if (parts.length < 2 || parts.some((part) => part.length === 0)) {
    throw new CoreError(
      'ERR_NAME_FORMAT',
      '氏名 is the family name and the given name separated by one ideographic space (U+3000)',
    );
  }
  let index = 0;
  for (const character of name) {
    if (character !== IDEOGRAPHIC_SPACE && !inRanges(character, NAME_CHARACTERS)) {
      throw characterError('ERR_NAME_CHARACTER', '氏名', character, index);
    }
    index++;
  }
  return name;
}

/** Splits a card-form name at its first U+3000 into family and given name. */
export function splitName(name: string): NameParts {
  validateName(name);
  const at = name.indexOf(IDEOGRAPHIC_SPACE);
  return { family: name.slice(0, at), given: name.slice(at + 1) };
}

/** Joins family and given name into the card form. */
export function joinName(parts: NameParts): string {
  return validateName(parts.family + IDEOGRAPHIC_SPACE + parts.given);
}

/**
 * Checks a 住所 as the card carries it (full-width, block numbers in full-width digits) and
 * returns it unchanged; throws `ERR_ADDRESS_EMPTY`, `ERR_ADDRESS_TOO_LONG` or `ERR_ADDRESS_CHARACTER`.
 */
export function validateAddress(address: string): string {
  if (address.length === 0) throw new CoreError('ERR_ADDRESS_EMPTY', '住所 must not be empty');
  const length = codePointLength(address);
  if (length > MAX_ADDRESS_LENGTH) {
    throw new CoreError(
      'ERR_ADDRESS_TOO_LONG',
      `住所 has ${length} characters, at most ${MAX_ADDRESS_LENGTH} fit the card`,
    );
  }
  if (address.startsWith(IDEOGRAPHIC_SPACE) || address.endsWith(IDEOGRAPHIC_SPACE)) {
    throw new CoreError('ERR_ADDRESS_CHARACTER', '住所 must not begin or end with a space');
  }
  let index = 0;
  for (const character of address) {
    if (!inRanges(character, ADDRESS_CHARACTERS)) {
      throw characterError('ERR_ADDRESS_CHARACTER', '住所', character, index);
    }
    index++;
  }
  return address;
}

/**
 * Checks all four attributes; `today` (in Japan), when given, rules out birth dates in the future.
 */
export function validateBasicFourInfo(
  info: { name: string; address: string; birthDate: CalendarDate; sex: string | number },
  today?: CalendarDate,
): BasicFourInfo {
  const name = validateName(info.name);
  const address = validateAddress(info.address);
  eraOf(info.birthDate);
  if (today && compareDates(info.birthDate, today) > 0) {
    throw new CoreError('ERR_BIRTH_DATE_FUTURE', '生年月日 is in the future');
  }
  return { name, address, birthDate: info.birthDate, sex: parseSexCode(info.sex) };
}

function inRanges(character: string, ranges: readonly Range[]): boolean {
  const codePoint = character.codePointAt(0) as number;
  for (const [low, high] of ranges) if (codePoint >= low && codePoint <= high) return true;
  return false;
}

/** Characters (code points) in `text`, counted without building an array of them. */
function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point, as `[...text]` counts it.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}

function characterError(
  code: 'ERR_NAME_CHARACTER' | 'ERR_ADDRESS_CHARACTER',
  field: string,
  character: string,
  index: number,
): CoreError {
  const codePoint = character.codePointAt(0) as number;
  const label = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  let hint = 'use the full-width form';
  if (codePoint > 0xffff) hint = 'characters outside the BMP are recorded with a substitute character (代替文字)';
  else if (codePoint === 0x20) hint = 'use the ideographic space U+3000';
  else if (codePoint >= 0x30 && codePoint <= 0x39) hint = 'write block numbers in full-width digits (０–９)';
  else if (codePoint >= 0xff61 && codePoint <= 0xff9f) hint = 'use full-width katakana';
  return new CoreError(code, `${field} character ${index + 1} (${label}) cannot be carried by the card: ${hint}`);
}
