import { nameAttributeText, type X509Certificate } from '@openmyna/pki';

import { TAG_FULL_DATE, TAG_TDATE, Tagged, type CborValue } from './cbor.js';
import { asFullDate, asTdate } from './cbor-structure.js';
import { ISO_23220_NAMESPACE, JP_NAMESPACE, MNC_ELEMENTS } from './card-face-document.js';

/** The CDDL types data elements are defined with (ISO/IEC 18013-5 §7.2.1, ISO/IEC 23220-2, docs/mdoc.md). */
export type ElementType = 'tstr' | 'bstr' | 'uint' | 'bool' | 'full-date' | 'tdate' | 'full-date / tdate' | 'array';

/** The mDL namespace of ISO/IEC 18013-5. */
export const MDL_NAMESPACE = 'org.iso.18013.5.1';

const text = (...names: string[]) => Object.fromEntries(names.map((name) => [name, 'tstr' as const]));

/**
 * The type of every element we know, by namespace: ISO/IEC 18013-5 Table 5 (mDL), the ISO/IEC 23220-2
 * elements the card-face document carries, and the card-face document's own (docs/mdoc.md, "Value
 * encodings"). `age_over_NN` elements are `bool` in every namespace. Elements not listed are not
 * checked (a namespace may define more than we know); a listed element of another type is refused.
 */
export const ELEMENT_TYPES: Readonly<Record<string, Readonly<Record<string, ElementType>>>> = {
  [MDL_NAMESPACE]: {
    ...text(
      'family_name',
      'given_name',
      'issuing_country',
      'issuing_authority',
      'document_number',
      'un_distinguishing_sign',
      'administrative_number',
      'eye_colour',
      'hair_colour',
      'birth_place',
      'resident_address',
      'issuing_jurisdiction',
      'nationality',
      'resident_city',
      'resident_state',
      'resident_postal_code',
      'resident_country',
      'family_name_national_character',
      'given_name_national_character',
    ),
    birth_date: 'full-date',
    issue_date: 'full-date / tdate',
    expiry_date: 'full-date / tdate',
    portrait: 'bstr',
    driving_privileges: 'array',
    sex: 'uint',
    height: 'uint',
    weight: 'uint',
    portrait_capture_date: 'tdate',
    age_in_years: 'uint',
    age_birth_year: 'uint',
    signature_usual_mark: 'bstr',
  },
  [ISO_23220_NAMESPACE]: {
    ...text('family_name_unicode', 'given_name_unicode', 'issuing_country', 'issuing_authority_unicode'),
    birth_date: 'full-date',
    sex: 'uint',
    age_in_years: 'uint',
    age_birth_year: 'uint',
    issue_date: 'full-date / tdate',
    expiry_date: 'full-date / tdate',
    portrait: 'bstr',
  },
  // The card face's own elements are its text as printed (`_unicode`), and the photo.
  [JP_NAMESPACE]: {
    ...text(...MNC_ELEMENTS[JP_NAMESPACE].filter((name) => name !== 'portrait')),
    portrait: 'bstr',
  },
};

/** Whether `value` is of `type`; undefined when it is, else what it should have been. */
function typeProblem(value: CborValue, type: ElementType): string | undefined {
  const ok = (() => {
    switch (type) {
      case 'tstr':
        return typeof value === 'string';
      case 'bstr':
        return value instanceof Uint8Array;
      case 'uint':
        return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
      case 'bool':
        return typeof value === 'boolean';
      case 'array':
        return Array.isArray(value);
      case 'full-date':
        return isDate(value, TAG_FULL_DATE);
      case 'tdate':
        return isDate(value, TAG_TDATE);
      case 'full-date / tdate':
        return isDate(value, TAG_FULL_DATE) || isDate(value, TAG_TDATE);
    }
  })();
  return ok ? undefined : `is not a ${type}`;
}

function isDate(value: CborValue, tag: number): boolean {
  if (!(value instanceof Tagged) || value.tag !== tag) return false;
  try {
    if (tag === TAG_FULL_DATE) asFullDate(value, 'element');
    else asTdate(value, 'element');
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks each released element against its namespace's definition ({@link ELEMENT_TYPES}), and the
 * issuer's claims about itself against its certificate (ISO/IEC 18013-5 §7.2.1, Table 5 and B.1.1):
 * `issuing_country` equals the document signer's countryName, and `issuing_jurisdiction`, when
 * present, its stateOrProvinceName. Returns the first problem, naming the element but never its value.
 */
export function elementProblem(
  elements: ReadonlyMap<string, ReadonlyMap<string, CborValue>>,
  documentSigner: X509Certificate,
): string | undefined {
  for (const [nameSpace, values] of elements) {
    // Own properties only: an identifier such as "constructor" is not a definition.
    const types = Object.hasOwn(ELEMENT_TYPES, nameSpace) ? ELEMENT_TYPES[nameSpace]! : {};
    for (const [identifier, value] of values) {
      const type = /^age_over_\d{2}$/.test(identifier)
        ? 'bool'
        : Object.hasOwn(types, identifier)
          ? types[identifier]
          : undefined;
      const problem = type ? typeProblem(value, type) : undefined;
      if (problem) return `"${identifier}" in "${nameSpace}" ${problem}`;
    }
    for (const [element, oid, what] of [
      ['issuing_country', '2.5.4.6', 'countryName'],
      ['issuing_jurisdiction', '2.5.4.8', 'stateOrProvinceName'],
    ] as const) {
      const claimed = values.get(element);
      if (typeof claimed !== 'string') continue;
      const certified = nameAttributeText(documentSigner.subject, oid);
      if (element === 'issuing_country' ? certified !== claimed : certified !== undefined && certified !== claimed)
        return `"${element}" in "${nameSpace}" does not match the document signer's ${what}`;
    }
  }
  return undefined;
}
