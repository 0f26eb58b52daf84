import { AsnConvert, AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';

import { assertDer } from './der.js';
import { PkiError } from './errors.js';
import { NAME_ATTRIBUTE_TYPES, type NameAttribute } from './name.js';

// The bridge to `@peculiar/asn1-schema` classes, which only certificate building (`@openmyna/pki/ca`)
// uses: the portable readers and writers work on DER bytes, so a wallet's bundle carries no asn1js.

type Constructor<T> = new () => T;

/**
 * Parses one strict DER structure into an `@peculiar/asn1-schema` class.
 *
 * @example
 * ```ts
 * const certificate = parseDer(bytes, Certificate, 'certificate');
 * ```
 */
export function parseDer<T>(bytes: Uint8Array, schema: Constructor<T>, what: string): T {
  assertDer(bytes, what);
  try {
    return AsnParser.parse(bytes, schema);
  } catch (error) {
    throw new PkiError('ERR_ASN1_SCHEMA', `${what} does not match its ASN.1 structure`, { cause: error });
  }
}

/** DER-encodes an `@peculiar/asn1-schema` object. */
export function encodeDer(value: object): Uint8Array {
  return new Uint8Array(AsnSerializer.serialize(value));
}

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
            type: NAME_ATTRIBUTE_TYPES[type],
            value: new AttributeValue(type === 'C' ? { printableString: value } : { utf8String: value }),
          }),
        ]),
    ),
  );
}

/** A readable one-line form of a name (`C=JP, O=…, CN=…`), for messages and CLI output. */
export function formatName(name: Name): string {
  const short = Object.fromEntries(Object.entries(NAME_ATTRIBUTE_TYPES).map(([key, oid]) => [oid, key]));
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
