import { AGE_OVER_THRESHOLDS, ISO_23220_NAMESPACE, JP_NAMESPACE, MNC_DOCTYPE } from './card-face-document.js';
import { MDL_NAMESPACE } from './element-types.js';

/** What a person reads for an identifier, in Japanese and in English. */
export interface Label {
  readonly ja: string;
  readonly en: string;
}

const ageOver = (age: number): Label => ({ ja: `${age}歳以上`, en: `Aged ${age} or over` });

/**
 * Every data element we know (`ELEMENT_TYPES`, the card-face document), by element identifier: the
 * same identifier means the same item in every namespace. Names follow the card face (氏名, 住所, …).
 */
const ELEMENT_LABELS: Readonly<Record<string, Label>> = {
  // The card face (org.iso.23220.1.jp).
  full_name_unicode: { ja: '氏名', en: 'Name' },
  resident_address_unicode: { ja: '住所', en: 'Address' },
  birth_date_unicode: { ja: '生年月日', en: 'Date of birth' },
  sex_unicode: { ja: '性別', en: 'Sex' },
  individual_number_unicode: { ja: 'マイナンバー（個人番号）', en: 'My Number' },
  local_gov_code_unicode: { ja: '市区町村コード', en: 'Municipality code' },
  portrait: { ja: '顔写真', en: 'Photo' },
  // ISO/IEC 23220-2 (org.iso.23220.1) and ISO/IEC 18013-5 (org.iso.18013.5.1).
  birth_date: { ja: '生年月日', en: 'Date of birth' },
  sex: { ja: '性別', en: 'Sex' },
  ...Object.fromEntries(AGE_OVER_THRESHOLDS.map((age) => [`age_over_${age}`, ageOver(age)])),
  age_in_years: { ja: '年齢', en: 'Age' },
  age_birth_year: { ja: '生まれた年', en: 'Year of birth' },
  issue_date: { ja: '交付日', en: 'Date of issue' },
  expiry_date: { ja: '有効期限', en: 'Valid until' },
  family_name_unicode: { ja: '姓', en: 'Family name' },
  given_name_unicode: { ja: '名', en: 'Given name' },
  issuing_authority_unicode: { ja: '発行機関', en: 'Issuing authority' },
  family_name: { ja: '姓', en: 'Family name' },
  given_name: { ja: '名', en: 'Given name' },
  family_name_national_character: { ja: '姓（自国の文字）', en: 'Family name (national characters)' },
  given_name_national_character: { ja: '名（自国の文字）', en: 'Given name (national characters)' },
  issuing_country: { ja: '発行国', en: 'Issuing country' },
  issuing_authority: { ja: '発行機関', en: 'Issuing authority' },
  issuing_jurisdiction: { ja: '発行地域', en: 'Issuing jurisdiction' },
  document_number: { ja: '免許証番号', en: 'Licence number' },
  administrative_number: { ja: '管理番号', en: 'Administrative number' },
  un_distinguishing_sign: { ja: '国際識別記号', en: 'UN distinguishing sign' },
  driving_privileges: { ja: '運転できる車両の種類', en: 'Driving privileges' },
  eye_colour: { ja: '目の色', en: 'Eye colour' },
  hair_colour: { ja: '髪の色', en: 'Hair colour' },
  height: { ja: '身長', en: 'Height' },
  weight: { ja: '体重', en: 'Weight' },
  birth_place: { ja: '出生地', en: 'Place of birth' },
  nationality: { ja: '国籍', en: 'Nationality' },
  resident_address: { ja: '住所', en: 'Address' },
  resident_city: { ja: '市区町村', en: 'City' },
  resident_state: { ja: '都道府県・州', en: 'State or prefecture' },
  resident_postal_code: { ja: '郵便番号', en: 'Postal code' },
  resident_country: { ja: '居住国', en: 'Country of residence' },
  portrait_capture_date: { ja: '顔写真の撮影日', en: 'Date the photo was taken' },
  signature_usual_mark: { ja: '署名', en: 'Signature or usual mark' },
};

/** The documents and namespaces the elements come in. */
const DOCUMENT_LABELS: Readonly<Record<string, Label>> = {
  [MNC_DOCTYPE]: { ja: 'スマートフォンのマイナンバーカード', en: 'My Number Card on the phone' },
  [JP_NAMESPACE]: { ja: 'マイナンバーカードの券面事項', en: 'My Number Card face' },
  [ISO_23220_NAMESPACE]: { ja: '本人確認書類の共通項目', en: 'Common identity document items' },
  [MDL_NAMESPACE]: { ja: '運転免許証の項目', en: 'Driving licence items' },
};

/**
 * The card applications, their records and the presentation formats (docs/openid4vp-formats.md):
 * consent items (`jpki_sign`, `kenhojo:my_number`), transaction-log items (`jpki`, `mdoc`).
 */
const CARD_LABELS: Readonly<Record<string, Label>> = {
  jpki_sign: {
    ja: '電子署名（署名用電子証明書：氏名・住所・生年月日・性別）',
    en: 'Electronic signature (signing certificate: name, address, date of birth, sex)',
  },
  jpki_auth: { ja: 'ログイン（利用者証明用電子証明書）', en: 'Login (user authentication certificate)' },
  jp_kenhojo: { ja: '券面事項入力補助の記録', en: 'Card-data records' },
  mso_mdoc: { ja: 'スマートフォンの券面情報', en: 'Card face on the phone' },
  'kenhojo:my_number': { ja: 'マイナンバー（個人番号）', en: 'My Number' },
  'kenhojo:basic_four_info': {
    ja: '基本4情報（氏名・住所・生年月日・性別）',
    en: 'Basic four information (name, address, date of birth, sex)',
  },
  jpki: { ja: '電子証明書（署名用・利用者証明用）', en: 'Certificates (signing and user authentication)' },
  kenhojo: { ja: '券面事項入力補助', en: 'Card-data application' },
  kenkaku: { ja: '券面事項確認', en: 'Card face check' },
  juki: { ja: '住民基本台帳', en: 'Basic Resident Register' },
  mdoc: { ja: 'スマートフォンの券面情報', en: 'Card face on the phone' },
};

/**
 * How the relying party verified the person (the verifier's `VerificationMethod`). Only the JPKI
 * signature is a 本人確認 method the ordinance names; the others are described, not cited.
 */
const METHOD_LABELS: Readonly<Record<string, Label>> = {
  // 犯罪収益移転防止法施行規則 第6条第1項第1号ワ: 署名用電子証明書 and the signed data (公的個人認証).
  'jpki-signature': {
    ja: '署名用電子証明書による本人確認（犯罪収益移転防止法施行規則 第6条第1項第1号ワ）',
    en: 'Identity verification with the signing certificate (Ordinance of the Act on Prevention of Transfer of Criminal Proceeds, Art. 6(1)(i)(wa))',
  },
  'jpki-login': {
    ja: '利用者証明用電子証明書によるログイン',
    en: 'Login with the user authentication certificate',
  },
  kenhojo: {
    ja: '券面事項入力補助の記録による確認（マイナンバー・基本4情報）',
    en: 'Check of the card-data records (My Number, basic four information)',
  },
  mdoc: {
    ja: 'スマートフォンの券面情報（発行者の署名付き）による確認',
    en: 'Check of the card face on the phone (signed by the issuer)',
  },
};

/**
 * The one table of names for what the verifier and the wallet know, by identifier: elements, documents
 * and namespaces, card applications and formats, verification methods. A user-facing page shows these
 * names, never the identifiers (test-support/page-words.ts checks every key).
 */
export const LABELS = {
  elements: ELEMENT_LABELS,
  documents: DOCUMENT_LABELS,
  cards: CARD_LABELS,
  methods: METHOD_LABELS,
} as const;

/**
 * The name of a consent or log item: an element (`portrait`, `org.iso.23220.1.jp:portrait`, any
 * `age_over_NN`), a namespace or docType, a card application or record (`jpki_sign`,
 * `kenhojo:my_number`). An identifier we do not know is returned as it is.
 *
 * @example
 * ```ts
 * itemLabel('org.iso.23220.1.jp:full_name_unicode'); // '氏名'
 * itemLabel('age_over_20', 'en'); // 'Aged 20 or over'
 * ```
 */
export function itemLabel(name: string, language: keyof Label = 'ja'): string {
  const known = own(CARD_LABELS, name) ?? own(DOCUMENT_LABELS, name) ?? own(ELEMENT_LABELS, name);
  if (known) return known[language];
  const separator = name.lastIndexOf(':');
  const inNamespace = separator >= 0 && own(DOCUMENT_LABELS, name.slice(0, separator));
  const element = inNamespace ? name.slice(separator + 1) : name;
  const label = own(ELEMENT_LABELS, element);
  if (label) return label[language];
  const age = /^age_over_(\d{1,3})$/.exec(element);
  return age ? ageOver(Number(age[1]))[language] : name;
}

/**
 * The words for a verification method (`jpki-signature`, …), with the ordinance's article where one
 * applies; an unknown method is returned as it is.
 *
 * @example
 * ```ts
 * verificationMethodLabel('jpki-login'); // '利用者証明用電子証明書によるログイン'
 * ```
 */
export function verificationMethodLabel(method: string, language: keyof Label = 'ja'): string {
  return own(METHOD_LABELS, method)?.[language] ?? method;
}

function own(table: Readonly<Record<string, Label>>, key: string): Label | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
