import { encodeTlv } from '@openmyna/core';
import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';

import { encodeObjectIdentifier } from './object-identifier.js';
import { OID } from './oids.js';

/** DER writers for the structures we assemble byte by byte (CRLs, OCSP, CMS attributes). */

/** DER INTEGER of a non-negative big-endian magnitude (X.690 §8.3, minimal). */
export function derInteger(magnitude: Uint8Array | bigint): Uint8Array {
  let bytes: Uint8Array;
  if (typeof magnitude === 'bigint') {
    const hex = magnitude.toString(16);
    bytes = hexToBytes(hex.length % 2 ? `0${hex}` : hex);
  } else {
    bytes = magnitude;
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return encodeTlv(0x02, trimmed[0]! >= 0x80 ? new Uint8Array([0, ...trimmed]) : trimmed);
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5, §5.1.2.4). */
export function derTime(date: Date): Uint8Array {
  return date.getUTCFullYear() < 2050
    ? encodeTlv(0x17, ascii(timeDigits(date).slice(2) + 'Z'))
    : derGeneralizedTime(date);
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.2; RFC 6960 uses it throughout). */
export function derGeneralizedTime(date: Date): Uint8Array {
  return encodeTlv(0x18, ascii(timeDigits(date) + 'Z'));
}

/** An Extension (RFC 5280 §4.1): critical is written only when TRUE (X.690 §11.5). */
export function derExtension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  const fields = [encodeObjectIdentifier(oid)];
  if (critical) fields.push(encodeTlv(0x01, Uint8Array.of(0xff)));
  fields.push(encodeTlv(0x04, value));
  return encodeTlv(0x30, fields);
}

function timeDigits(date: Date): string {
  return date.toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `sha256WithRSAEncryption` with NULL parameters (RFC 4055 §5), the only signature algorithm we write. */
export function derSha256WithRsaAlgorithm(): Uint8Array {
  return encodeTlv(0x30, [encodeObjectIdentifier(OID.sha256WithRSAEncryption), encodeTlv(0x05, [])]);
}

/** The three fields of a SIGNED{} structure (X.509 §6.2): the signed data, its algorithm, the signature BIT STRING. */
export function signedFields(tbs: Uint8Array, signature: Uint8Array): Uint8Array[] {
  return [tbs, derSha256WithRsaAlgorithm(), encodeTlv(0x03, concatBytes(new Uint8Array([0]), signature))];
}
