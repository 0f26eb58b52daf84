import { decode, encode, rfc8949EncodeOptions, Tagged, type TagDecoder } from 'cborg';

import { MdocError } from './errors.js';

/** A decoded CBOR data item as the strict decoder returns it (maps are `Map`s, tags `Tagged`). */
export type CborValue =
  number | string | boolean | null | Uint8Array | readonly CborValue[] | ReadonlyMap<CborValue, CborValue> | Tagged;

/** `#6.24(bstr .cbor T)` (RFC 8949 §3.4.5.1): an embedded CBOR item, kept as the bytes that were signed. */
export const TAG_ENCODED_CBOR = 24;
/** `tdate` (RFC 8949 §3.4.1), `full-date` (RFC 8943 §3). */
export const TAG_TDATE = 0;
export const TAG_FULL_DATE = 1004;

// ISO/IEC 18013-5 §8.1 and §9.1: the only tags in the structures we read. Anything else is refused
// rather than passed through, so nothing can hide behind an unknown tag.
const tags: TagDecoder[] = [];
for (const tag of [TAG_TDATE, TAG_ENCODED_CBOR, TAG_FULL_DATE]) tags[tag] = Tagged.decoder(tag);

const STRICT = {
  strict: true,
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  tags,
} as const;

/**
 * Decodes one CBOR data item strictly: preferred (shortest) integer and length encodings, definite
 * lengths only, no duplicate map keys, no `undefined`, no unknown tags, and no bytes after the item.
 * Throws `ERR_CBOR_MALFORMED` naming `what`.
 *
 * @example
 * ```ts
 * const response = decodeCbor(bytes, 'DeviceResponse');
 * ```
 */
export function decodeCbor(bytes: Uint8Array, what: string): CborValue {
  try {
    return decode(bytes, STRICT) as CborValue;
  } catch (error) {
    // cborg's messages describe structure only (offsets, kinds, repeated keys), never values.
    throw new MdocError('ERR_CBOR_MALFORMED', `${what} is not strict CBOR: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Encodes with RFC 8949 §4.2.1 core deterministic encoding (map keys in bytewise order). */
export function encodeCbor(value: unknown): Uint8Array {
  return encode(value, rfc8949EncodeOptions);
}

/** `#6.24(bstr)` around already-encoded bytes. */
export function encodedCbor(bytes: Uint8Array): Tagged {
  return new Tagged(TAG_ENCODED_CBOR, bytes);
}

/** `#6.24(bstr .cbor value)`: encodes `value` and wraps it. */
export function embedCbor(value: unknown): Tagged {
  return encodedCbor(encodeCbor(value));
}

/** `full-date` as ISO/IEC 18013-5 §7.2.1 writes it: `#6.1004("YYYY-MM-DD")`. */
export function fullDate(isoDate: string): Tagged {
  return new Tagged(TAG_FULL_DATE, isoDate);
}

/** `tdate` without fractional seconds (ISO/IEC 18013-5 §9.1.2.4). */
export function tdate(date: Date): Tagged {
  return new Tagged(TAG_TDATE, date.toISOString().replace(/\.\d{3}Z$/, 'Z'));
}

/**
 * The exact bytes `#6.24(bstr)` occupies on the wire, rebuilt from the received bstr. The strict
 * decoder admits only the shortest length form, so this equals the received encoding byte for byte.
 */
export function encodedCborBytes(embedded: Uint8Array): Uint8Array {
  return encodeCbor(encodedCbor(embedded));
}

export { Tagged };
