import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';

import { PkiError } from './errors.js';
import { OID } from './oids.js';

/** One attribute of a distinguished name, in order. */
export type NameAttribute = readonly [type: 'C' | 'O' | 'OU' | 'L' | 'CN', value: string];

const TYPES = {
  C: OID.countryName,
  O: OID.organizationName,
  OU: OID.organizationalUnitName,
  L: OID.localityName,
  CN: OID.commonName,
} as const;

/**
 * A distinguished name with one attribute per RDN, in the given order. Country is a
 * PrintableString (RFC 5280 §4.1.2.4 via X.520), everything else UTF8String, as in JPKI's names.
 */
export function buildName(attributes: readonly NameAttribute[]): Name {
  return new Name(
    attributes.map(
      ([type, value]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type: TYPES[type],
            value: new AttributeValue(type === 'C' ? { printableString: value } : { utf8String: value }),
          }),
        ]),
    ),
  );
}

/** A readable one-line form of a name (`C=JP, O=…, CN=…`), for messages and CLI output. */
export function formatName(name: Name): string {
  const short = Object.fromEntries(Object.entries(TYPES).map(([key, oid]) => [oid, key]));
  // Name and RDN are AsnArray subclasses: Array.from avoids their species constructor.
  return Array.from(name, (rdn) =>
    Array.from(rdn, (attribute) => `${short[attribute.type] ?? attribute.type}=${attribute.value.toString()}`).join(
      '+',
    ),
  ).join(', ');
}

/** The DER of a name, for byte-exact comparison (RFC 5280 §7.1 allows this for names we issue). */
export function encodeName(name: Name): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(name));
}

/** {@link formatName} of a name as received (DER), e.g. a certificate's issuer. Throws `ERR_DER_MALFORMED`. */
export function formatDerName(der: Uint8Array): string {
  try {
    return formatName(AsnConvert.parse(der, Name));
  } catch (error) {
    throw new PkiError('ERR_DER_MALFORMED', 'the name is not valid DER', { cause: error });
  }
}

/**
 * The text of the first attribute of type `oid` in a name as received (DER), e.g. a certificate's
 * countryName (`2.5.4.6`); undefined when the name has none. Throws `ERR_DER_MALFORMED`.
 */
export function nameAttributeText(der: Uint8Array, oid: string): string | undefined {
  let name: Name;
  try {
    name = AsnConvert.parse(der, Name);
  } catch (error) {
    throw new PkiError('ERR_DER_MALFORMED', 'the name is not valid DER', { cause: error });
  }
  for (const rdn of Array.from(name))
    for (const attribute of Array.from(rdn)) if (attribute.type === oid) return attribute.value.toString();
  return undefined;
}
