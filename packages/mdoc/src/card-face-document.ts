import { ageOn, formatIsoDate, formatWareki, SEX_CODES, type BasicFourInfo, type CalendarDate } from '@openmyna/core';

import { fullDate } from './cbor.js';

/** The docType of the My Number card as an mdoc (card-spec §4.6). */
export const MNC_DOCTYPE = 'org.iso.23220.1.jp.mnc';
/** The Japan-specific namespace (card-spec §4.6). */
export const JP_NAMESPACE = 'org.iso.23220.1.jp';
/** The ISO/IEC 23220-2 namespace. */
export const ISO_23220_NAMESPACE = 'org.iso.23220.1';

/** The `age_over_NN` elements we issue: 18 (成年, 民法 §4) and 20 (飲酒・喫煙). */
export const AGE_OVER_THRESHOLDS = [18, 20] as const;

/** Every element of the card-face mdoc, by namespace, in the order a consent screen lists them. */
export const MNC_ELEMENTS = {
  [JP_NAMESPACE]: [
    'full_name_unicode',
    'resident_address_unicode',
    'birth_date_unicode',
    'sex_unicode',
    'individual_number_unicode',
    'local_gov_code_unicode',
    'portrait',
  ],
  [ISO_23220_NAMESPACE]: [
    'birth_date',
    'sex',
    ...AGE_OVER_THRESHOLDS.map((age) => `age_over_${age}`),
    'age_in_years',
    'issue_date',
    'expiry_date',
  ],
} as const satisfies Record<string, readonly string[]>;

/** The element that carries the My Number: only readers authorized for it may ask (DESIGN.md, Privacy). */
export const MY_NUMBER_ELEMENT = { nameSpace: JP_NAMESPACE, elementIdentifier: 'individual_number_unicode' } as const;

/** What the issuer knows about the holder, from its registry. */
export interface CardFaceAttributes {
  readonly basicFourInfo: BasicFourInfo;
  readonly myNumber: string;
  /** 全国地方公共団体コード, 5 digits as on the card (`13221`). */
  readonly municipalityCode: string;
  /** The face photo, JPEG. */
  readonly portrait: Uint8Array;
  readonly cardIssueDate: CalendarDate;
  readonly cardExpiryDate: CalendarDate;
}

/**
 * The element values (docs/mdoc.md, "Value encodings"): the `_unicode` elements carry the text as the
 * card face prints it — 氏名 with U+3000, the address in full-width digits, the birth date in 和暦,
 * 性別 as 男/女 — and the ISO/IEC 23220-2 elements carry machine-readable values (`full-date`,
 * ISO/IEC 5218 integers). Ages are computed on `asOf`, the day the MSO is signed.
 *
 * @example
 * ```ts
 * const elements = cardFaceElements(attributes, { year: 2026, month: 11, day: 27 });
 * elements.get('org.iso.23220.1')!.get('age_over_20'); // true or false
 * ```
 */
export function cardFaceElements(
  attributes: CardFaceAttributes,
  asOf: CalendarDate,
): Map<string, Map<string, unknown>> {
  const { basicFourInfo: info } = attributes;
  const age = ageOn(info.birthDate, asOf);
  const jp = new Map<string, unknown>([
    ['full_name_unicode', info.name],
    ['resident_address_unicode', info.address],
    ['birth_date_unicode', formatWareki(info.birthDate)],
    ['sex_unicode', SEX_CODES[info.sex].ja],
    ['individual_number_unicode', attributes.myNumber],
    ['local_gov_code_unicode', attributes.municipalityCode],
    ['portrait', attributes.portrait],
  ]);
  const iso = new Map<string, unknown>([
    ['birth_date', fullDate(formatIsoDate(info.birthDate))],
    ['sex', Number(info.sex)],
    ...AGE_OVER_THRESHOLDS.map((threshold) => [`age_over_${threshold}`, age >= threshold] as [string, boolean]),
    ['age_in_years', age],
    ['issue_date', fullDate(formatIsoDate(attributes.cardIssueDate))],
    ['expiry_date', fullDate(formatIsoDate(attributes.cardExpiryDate))],
  ]);
  return new Map([
    [JP_NAMESPACE, jp],
    [ISO_23220_NAMESPACE, iso],
  ]);
}
