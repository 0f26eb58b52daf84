import { ISO_23220_NAMESPACE, JP_NAMESPACE } from '@openmyna/mdoc';

import { cardExpiryText } from '../words.js';

/** What the counter asks the phone for: what a clerk compares with the person in front of them. */
export const COUNTER_ELEMENTS = [
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'portrait' },
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode' },
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'resident_address_unicode' },
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'birth_date_unicode' },
  { nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' },
  { nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'expiry_date' },
] as const;

/** The verified values as the clerk's page shows them (once; the firm keeps none of them). */
export interface CounterPerson {
  readonly portrait: string;
  readonly name: string;
  readonly address: string;
  readonly birthDate: string;
  readonly ageOver20: boolean | null;
  readonly expiryDate: string;
}

/** The verified values of the clerk's page, from the verifier's claims. */
export function counterPerson(claims: Record<string, Record<string, unknown>>): CounterPerson {
  const jp = claims[JP_NAMESPACE] ?? {};
  const iso = claims[ISO_23220_NAMESPACE] ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const portrait = text(jp['portrait']);
  return {
    portrait: portrait ? `data:image/${portrait.startsWith('iVBOR') ? 'png' : 'jpeg'};base64,${portrait}` : '',
    name: text(jp['full_name_unicode']),
    address: text(jp['resident_address_unicode']),
    birthDate: text(jp['birth_date_unicode']),
    ageOver20: typeof iso['age_over_20'] === 'boolean' ? iso['age_over_20'] : null,
    expiryDate: cardExpiryText(text(iso['expiry_date'])),
  };
}
