import { decodeTlv, decodeTlvChildren, OpenMynaError, type TlvObject } from '@openmyna/core';

import { PkiError } from './errors.js';
import { decodeObjectIdentifier } from './object-identifier.js';

/**
 * Small strict readers over DER for the structures we verify on hot paths (certificates, CRLs,
 * OCSP responses). Built on `@openmyna/core`'s BER-TLV decoder, which already refuses indefinite and
 * non-minimal lengths and trailing bytes.
 */

/** Universal tags used below (X.680 §8.4). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Decodes exactly one object, turning decoder errors into `ERR_DER_MALFORMED` naming `what`. */
export function readDer(bytes: Uint8Array, what: string): TlvObject {
  try {
    return decodeTlv(bytes);
  } catch (error) {
    throw malformed(what, error);
  }
}

/** The children of a constructed object, which must carry `tag`. */
export function children(object: TlvObject | undefined, tag: number, what: string): TlvObject[] {
  expectTag(object, tag, what);
  try {
    return decodeTlvChildren(object);
  } catch (error) {
    throw malformed(what, error);
  }
}

/** Asserts that `object` exists and has `tag`. */
export function expectTag(object: TlvObject | undefined, tag: number, what: string): asserts object is TlvObject {
  if (object?.tag !== tag) {
    throw new PkiError(
      'ERR_DER_MALFORMED',
      `${what}: expected tag ${tag.toString(16)}, found ${object ? object.tag.toString(16) : 'nothing'}`,
    );
  }
}

/** An INTEGER's content octets, checked for minimal encoding (X.690 §8.3.2). */
export function readInteger(object: TlvObject | undefined, what: string): Uint8Array {
  expectTag(object, TAG.INTEGER, what);
  const value = object.value;
  if (value.length === 0) throw new PkiError('ERR_DER_MALFORMED', `${what} is an empty INTEGER`);
  if (value.length > 1 && ((value[0] === 0 && value[1]! < 0x80) || (value[0] === 0xff && value[1]! >= 0x80))) {
    throw new PkiError('ERR_DER_NOT_CANONICAL', `${what} is a non-minimal INTEGER`);
  }
  return value;
}

/** A small non-negative INTEGER as a number. */
export function readSmallInteger(object: TlvObject | undefined, what: string): number {
  const value = readInteger(object, what);
  if (value.length > 6 || value[0]! >= 0x80) throw new PkiError('ERR_DER_MALFORMED', `${what} is out of range`);
  return value.reduce((total, byte) => total * 256 + byte, 0);
}

/** A DER BOOLEAN (X.690 §11.1: TRUE is FF). */
export function readBoolean(object: TlvObject | undefined, what: string): boolean {
  expectTag(object, TAG.BOOLEAN, what);
  if (object.value.length !== 1 || (object.value[0] !== 0 && object.value[0] !== 0xff)) {
    throw new PkiError('ERR_DER_NOT_CANONICAL', `${what} is not a DER BOOLEAN`);
  }
  return object.value[0] === 0xff;
}

/** An OBJECT IDENTIFIER in dotted decimal. */
export function readOid(object: TlvObject | undefined, what: string): string {
  expectTag(object, TAG.OID, what);
  return decodeObjectIdentifier(object.value);
}

/** A BIT STRING's bits with no unused bits (signatures, keys). */
export function readBitStringBytes(object: TlvObject | undefined, what: string): Uint8Array {
  expectTag(object, TAG.BIT_STRING, what);
  if (object.value[0] !== 0) throw new PkiError('ERR_DER_MALFORMED', `${what} has unused bits`);
  return object.value.subarray(1);
}

/** A named-bit BIT STRING as an array of set bit positions (bit 0 first), DER-trimmed (X.690 §11.2.2). */
export function readNamedBits(object: TlvObject | undefined, what: string): Set<number> {
  expectTag(object, TAG.BIT_STRING, what);
  const unused = object.value[0];
  const bytes = object.value.subarray(1);
  if (unused === undefined || unused > 7 || (bytes.length === 0 && unused !== 0)) {
    throw new PkiError('ERR_DER_MALFORMED', `${what} has a bad unused-bits count`);
  }
  const bits = new Set<number>();
  bytes.forEach((byte, index) => {
    for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) bits.add(index * 8 + bit);
  });
  return bits;
}

/** UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5 forms (seconds, `Z`). */
export function readTime(object: TlvObject | undefined, what: string): Date {
  // YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ, read digit by digit: every certificate has two of these.
  const yearDigits = object?.tag === TAG.UTCTime ? 2 : object?.tag === TAG.GeneralizedTime ? 4 : 0;
  const value = object?.value;
  if (!value || yearDigits === 0 || value.length !== yearDigits + 11 || value[yearDigits + 10] !== 0x5a) {
    throw new PkiError('ERR_DER_MALFORMED', `${what} is not a UTCTime or GeneralizedTime in RFC 5280 form`);
  }
  const digits = (from: number, count: number) => {
    let number = 0;
    for (let i = from; i < from + count; i++) {
      const digit = value[i]! - 0x30;
      if (digit < 0 || digit > 9)
        throw new PkiError('ERR_DER_MALFORMED', `${what} is not a UTCTime or GeneralizedTime in RFC 5280 form`);
      number = number * 10 + digit;
    }
    return number;
  };
  let year = digits(0, yearDigits);
  // RFC 5280 §4.1.2.5.1: YY ≥ 50 is 19YY, else 20YY.
  if (yearDigits === 2) year += year >= 50 ? 1900 : 2000;
  const month = digits(yearDigits, 2);
  const day = digits(yearDigits + 2, 2);
  const hour = digits(yearDigits + 4, 2);
  const minute = digits(yearDigits + 6, 2);
  const second = digits(yearDigits + 8, 2);
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(time);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new PkiError('ERR_DER_MALFORMED', `${what} is not a real time`);
  }
  return check;
}

/** An `AlgorithmIdentifier` (RFC 5280 §4.1.1.2). */
export interface AlgorithmIdentifierValue {
  readonly oid: string;
  /** Raw parameters, if any. */
  readonly parameters: Uint8Array | undefined;
  readonly raw: Uint8Array;
}

export function readAlgorithmIdentifier(object: TlvObject | undefined, what: string): AlgorithmIdentifierValue {
  const [algorithm, parameters, extra] = children(object, TAG.SEQUENCE, what);
  if (extra) throw new PkiError('ERR_DER_MALFORMED', `${what} has extra fields`);
  return { oid: readOid(algorithm, `${what} algorithm`), parameters: parameters?.raw, raw: object!.raw };
}

/** A context-specific tag number of `object`, or undefined. */
export function contextTag(object: TlvObject): number | undefined {
  const first = object.tag;
  return first >= 0x80 && first <= 0xbf ? first & 0x1f : undefined;
}

function malformed(what: string, error: unknown): PkiError {
  const reason = error instanceof OpenMynaError ? error.message : 'cannot be read';
  return new PkiError('ERR_DER_MALFORMED', `${what} is not valid DER: ${reason}`, { cause: error });
}
