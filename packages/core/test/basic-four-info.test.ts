import { describe, expect, it } from 'vitest';

import {
  calendarDate,
  joinName,
  MAX_ADDRESS_LENGTH,
  MAX_NAME_LENGTH,
  parseSexCode,
  SEX_CODES,
  splitName,
  validateAddress,
  validateBasicFourInfo,
  validateName,
} from '@openmyna/core';

// The JPKI test card's holder (vectors/card-format/text-ap-records.json).
const TEST_CARD = {
  name: '黒桐　幹也',
  address: '東京都清瀬市観布子南１２－７－２０２',
  birthDate: calendarDate(1980, 2, 17),
  sex: '1',
};

describe('基本4情報', () => {
  it('accepts the test card holder', () => {
    expect(validateBasicFourInfo(TEST_CARD, calendarDate(2025, 1, 1))).toEqual({ ...TEST_CARD, sex: '1' });
    expect(splitName(TEST_CARD.name)).toEqual({ family: '黒桐', given: '幹也' });
    expect(joinName({ family: '番号', given: '花子' })).toBe('番号　花子');
  });

  it('accepts kana, full-width Latin and iteration marks', () => {
    expect(validateName('佐々木　さくら')).toBe('佐々木　さくら');
    expect(validateName('ＳＭＩＴＨ　ＪＯＨＮ　ＰＡＵＬ')).toBe('ＳＭＩＴＨ　ＪＯＨＮ　ＰＡＵＬ');
    expect(validateName('スミス　ジョン・ポール')).toBe('スミス　ジョン・ポール');
    expect(validateAddress('大阪府大阪市北区梅田１－２－３　グランドハイツ１０１')).toBeTruthy();
  });

  it.each([
    ['', 'ERR_NAME_EMPTY'],
    ['黒桐幹也', 'ERR_NAME_FORMAT'],
    ['黒桐　', 'ERR_NAME_FORMAT'],
    ['黒桐　　幹也', 'ERR_NAME_FORMAT'],
    ['黒桐 幹也', 'ERR_NAME_FORMAT'],
    ['SMITH　JOHN', 'ERR_NAME_CHARACTER'],
    ['ｺｸﾄｳ　ﾐｷﾔ', 'ERR_NAME_CHARACTER'],
    ['𠮷田　太郎', 'ERR_NAME_CHARACTER'],
    ['黒桐　幹也\n', 'ERR_NAME_CHARACTER'],
    [`${'山'.repeat(MAX_NAME_LENGTH)}　太郎`, 'ERR_NAME_TOO_LONG'],
  ])('rejects the name %j with %s', (name, code) => {
    expect(() => validateName(name)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ['', 'ERR_ADDRESS_EMPTY'],
    ['東京都清瀬市観布子南12-7-202', 'ERR_ADDRESS_CHARACTER'],
    ['東京都清瀬市観布子南１２－７－２０２ ', 'ERR_ADDRESS_CHARACTER'],
    ['　東京都清瀬市', 'ERR_ADDRESS_CHARACTER'],
    ['東京都清瀬市\u0000', 'ERR_ADDRESS_CHARACTER'],
    ['東'.repeat(MAX_ADDRESS_LENGTH + 1), 'ERR_ADDRESS_TOO_LONG'],
  ])('rejects the address %j with %s', (address, code) => {
    expect(() => validateAddress(address)).toThrow(expect.objectContaining({ code }));
  });

  it('explains what to use instead', () => {
    expect(() => validateAddress('東京都清瀬市観布子南12')).toThrow(/full-width digits/);
    expect(() => validateName('𠮷田　太郎')).toThrow(/substitute character/);
    expect(() => validateName('黒桐 幹也')).toThrow(/U\+3000/);
  });

  it('knows the ISO 5218 sex codes', () => {
    expect(Object.keys(SEX_CODES).sort()).toEqual(['0', '1', '2', '9']);
    expect(parseSexCode(9)).toBe('9');
    for (const bad of ['3', 'M', '', '01'])
      expect(() => parseSexCode(bad)).toThrow(expect.objectContaining({ code: 'ERR_SEX_CODE' }));
  });

  it('rejects a birth date in the future or before 明治', () => {
    expect(() =>
      validateBasicFourInfo({ ...TEST_CARD, birthDate: calendarDate(2030, 1, 1) }, calendarDate(2025, 1, 1)),
    ).toThrow(expect.objectContaining({ code: 'ERR_BIRTH_DATE_FUTURE' }));
    expect(() => validateBasicFourInfo({ ...TEST_CARD, birthDate: calendarDate(1860, 1, 1) })).toThrow(
      expect.objectContaining({ code: 'ERR_ERA_OUT_OF_RANGE' }),
    );
  });
});
