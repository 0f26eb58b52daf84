import { encodeTlv } from '@openmyna/core';
import { bytesToHex } from '@noble/hashes/utils.js';

import { children, readDer, readOid, TAG } from './der-reader.js';
import { encodeObjectIdentifier } from './object-identifier.js';
import { OID } from './oids.js';

/** One attribute of a distinguished name, in order. */
export type NameAttribute = readonly [type: 'C' | 'O' | 'OU' | 'L' | 'CN', value: string];

/** The attribute types a {@link NameAttribute} names. */
export const NAME_ATTRIBUTE_TYPES = {
  C: OID.countryName,
  O: OID.organizationName,
  OU: OID.organizationalUnitName,
  L: OID.localityName,
  CN: OID.commonName,
} as const;

const SHORT_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(NAME_ATTRIBUTE_TYPES).map(([key, oid]) => [oid, key]),
);

/**
 * The DER of a distinguished name with one attribute per RDN, in the given order. Country is a
 * PrintableString (RFC 5280 §4.1.2.4 via X.520), everything else UTF8String, as in JPKI's names.
 *
 * @example
 * ```ts
 * const subject = encodeDistinguishedName([['C', 'JP'], ['CN', 'Example']]);
 * ```
 */
export function encodeDistinguishedName(attributes: readonly NameAttribute[]): Uint8Array {
  const encoder = new TextEncoder();
  return encodeTlv(
    TAG.SEQUENCE,
    attributes.map(([type, value]) =>
      encodeTlv(TAG.SET, [
        encodeTlv(TAG.SEQUENCE, [
          encodeObjectIdentifier(NAME_ATTRIBUTE_TYPES[type]),
          encodeTlv(type === 'C' ? TAG.PrintableString : TAG.UTF8String, encoder.encode(value)),
        ]),
      ]),
    ),
  );
}

interface NameAttributeValue {
  readonly type: string;
  readonly text: string;
}

/** X.520 DirectoryString and IA5String values as text; any other value as the hex of its DER. */
function attributeText(tag: number, value: Uint8Array, encoding: Uint8Array): string {
  switch (tag) {
    case TAG.UTF8String:
      return new TextDecoder().decode(value);
    case TAG.PrintableString:
    case TAG.IA5String:
    case 0x14: // TeletexString, read as Latin-1 like asn1js
      return String.fromCharCode(...value);
    case 0x1e: // BMPString: UTF-16BE
      return new TextDecoder('utf-16be').decode(value);
    case 0x1c: // UniversalString: UTF-32BE
      return String.fromCodePoint(
        ...Array.from({ length: value.length >> 2 }, (_, i) =>
          new DataView(value.buffer, value.byteOffset + i * 4, 4).getUint32(0),
        ),
      );
    default:
      return bytesToHex(encoding);
  }
}

function readNameAttributes(der: Uint8Array): NameAttributeValue[][] {
  return children(readDer(der, 'name'), TAG.SEQUENCE, 'name').map((rdn) =>
    children(rdn, TAG.SET, 'RelativeDistinguishedName').map((assertion) => {
      const [type, value] = children(assertion, TAG.SEQUENCE, 'AttributeTypeAndValue');
      const oid = readOid(type, 'AttributeType');
      if (!value) return { type: oid, text: '' };
      return { type: oid, text: attributeText(value.tag, value.value, encodeTlv(value.tag, value.value)) };
    }),
  );
}

/**
 * A readable one-line form of a name as received (DER), e.g. a certificate's issuer:
 * `C=JP, O=…, CN=…`, for messages and CLI output. Throws `ERR_DER_MALFORMED`.
 *
 * @example
 * ```ts
 * formatDerName(certificate.issuer); // 'C=JP, O=JPKI, OU=…'
 * ```
 */
export function formatDerName(der: Uint8Array): string {
  return readNameAttributes(der)
    .map((rdn) => rdn.map(({ type, text }) => `${SHORT_NAMES[type] ?? type}=${text}`).join('+'))
    .join(', ');
}

/**
 * The text of the first attribute of type `oid` in a name as received (DER), e.g. a certificate's
 * countryName (`2.5.4.6`); undefined when the name has none. Throws `ERR_DER_MALFORMED`.
 */
export function nameAttributeText(der: Uint8Array, oid: string): string | undefined {
  for (const rdn of readNameAttributes(der))
    for (const attribute of rdn) if (attribute.type === oid) return attribute.text;
  return undefined;
}
