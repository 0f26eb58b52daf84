import {
  CARD_APPLICATION_FORMATS,
  ELEMENT_TYPES,
  itemLabel,
  KENHOJO_RECORD_NAMES,
  LABELS,
  MNC_DOCTYPE,
  MNC_ELEMENTS,
  verificationMethodLabel,
  type DcqlCredentialQuery,
} from '@openmyna/mdoc';
import { describe, expect, it } from 'vitest';

import { pageWordOffenders } from '../../../test-support/page-words.js';
import { VERIFICATION_METHODS } from '../src/index.js';

const LANGUAGES = ['ja', 'en'] as const;
const FORMATS: readonly DcqlCredentialQuery['format'][] = ['mso_mdoc', ...CARD_APPLICATION_FORMATS];

describe('the label table (@openmyna/mdoc LABELS)', () => {
  it('names every element the verifier knows, in every namespace, and every namespace', () => {
    const known = { ...ELEMENT_TYPES } as Record<string, Readonly<Record<string, unknown>>>;
    const elements = Object.entries(known).flatMap(([nameSpace, types]) =>
      Object.keys(types).map((element) => `${nameSpace}:${element}`),
    );
    const cardFace = Object.entries(MNC_ELEMENTS).flatMap(([nameSpace, names]) =>
      names.map((element) => `${nameSpace}:${element}`),
    );
    for (const name of [...elements, ...cardFace, ...Object.keys(known), MNC_DOCTYPE])
      for (const language of LANGUAGES) expect(itemLabel(name, language), name).not.toBe(name);
  });

  it('names every presentation format, 入力補助 record and verification method', () => {
    const items = [...FORMATS, ...KENHOJO_RECORD_NAMES.map((record) => `kenhojo:${record}`)];
    for (const language of LANGUAGES) {
      for (const item of items) expect(itemLabel(item, language), item).not.toBe(item);
      for (const method of VERIFICATION_METHODS)
        expect(verificationMethodLabel(method, language), method).not.toBe(method);
    }
    expect(verificationMethodLabel('jpki-signature')).toBe(
      '署名用電子証明書による本人確認（犯罪収益移転防止法施行規則 第6条第1項第1号ワ）',
    );
  });

  it('names any age_over_NN, and returns an identifier it does not know as it is', () => {
    expect(itemLabel('org.iso.23220.1:age_over_65')).toBe('65歳以上');
    expect(itemLabel('org.iso.23220.1.jp:unknown_element')).toBe('org.iso.23220.1.jp:unknown_element');
    expect(itemLabel('constructor')).toBe('constructor');
  });

  it('has labels that are words: no identifier in any of them', () => {
    for (const table of Object.values(LABELS))
      for (const [key, label] of Object.entries(table)) {
        expect(pageWordOffenders(label.ja, 'ja'), key).toEqual([]);
        expect(pageWordOffenders(label.en, 'en'), key).toEqual([]);
      }
  });

  it('finds what a person should not have to read (the check of every screenshot cannot pass vacuously)', () => {
    const cases: [string, string[]][] = [
      ['有効期限 2036-03-27', ['2036-03-27']],
      ['受付 2026-12-03T08:17:38.943Z', ['2026-12-03T08:17:38.943Z']],
      ['氏名（family_name_latin）', ['family_name_latin']],
      ['full_name_unicode、portrait', ['full_name_unicode', 'portrait']],
      ['org.iso.23220.1.jp:portrait', ['org.iso.23220.1.jp:portrait']],
      ['method jpki-signature', ['jpki-signature']],
    ];
    for (const [text, offenders] of cases) expect(pageWordOffenders(text, 'ja'), text).toEqual(offenders);
    // Words, account numbers and links to copy are not offenders.
    const fine = '口座番号 2026-3399006018 https://example.jp/?client_id=x&request_uri=y mdoc:owBjMS4w 2026年12月6日';
    expect(pageWordOffenders(fine, 'ja')).toEqual([]);
  });
});
