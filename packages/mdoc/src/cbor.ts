import { decode, encode, rfc8949EncodeOptions, Tagged, Tokenizer, Type, type TagDecoder, type Token } from 'cborg';

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

// Preferred (shortest) integer and length encodings are not required of what we receive: ISO/IEC 18013-5
// does not demand them and cbor-x-based peers write 16-bit map headers. Nothing we verify is re-encoded —
// signatures and digests cover the received bytes — except the tag-24 wrapper of an item, whose header a
// peer writes in shortest form like everyone else (a longer one fails the digest, closed).
const STRICT = {
  strict: false,
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
 * The DeviceResponse envelope admits `undefined` as well: @auth0/mdl writes `kid: undefined` into
 * unprotected COSE headers. Everything signed, digested or MACed (MSO, items, protected headers,
 * DeviceNameSpaces) lives in byte strings that are decoded again with {@link STRICT}, and every
 * envelope reader treats `undefined` as absent or invalid.
 */
const ENVELOPE = { ...STRICT, allowUndefined: true } as const;

/**
 * How deep CBOR may nest in what we read: a DeviceResponse with driving privileges nests about ten
 * levels; anything deeper is refused before it can exhaust the stack.
 */
export const MAX_CBOR_DEPTH = 24;

const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * cborg's tokenizer with two checks cborg does not make: text strings must be valid UTF-8 (cborg decodes
 * them lossily, so two different byte strings could read as the same text), and containers (arrays,
 * maps, tags) may nest at most {@link MAX_CBOR_DEPTH} deep.
 */
class StrictTokenizer extends Tokenizer {
  /** Items still to come in each open container, innermost last. */
  readonly #open: number[] = [];

  override next(): Token {
    const start = this.pos();
    const token = super.next();
    // The string's bytes in place (no copy, as retainStringBytes would make): after its header, whose
    // length the initial byte's additional information gives (RFC 8949 §3).
    if (token.type === Type.string) {
      const info = this.data[start]! & 0x1f;
      const header = info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : 9;
      if (!validUtf8(this.data.subarray(start + header, start + token.encodedLength!)))
        throw new Error('a text string is not valid UTF-8');
    }
    const items =
      token.type === Type.array
        ? (token.value as number)
        : token.type === Type.map
          ? (token.value as number) * 2
          : token.type === Type.tag
            ? 1
            : 0;
    if (items > 0) {
      this.#open.push(items);
      if (this.#open.length > MAX_CBOR_DEPTH) throw new Error(`nested deeper than ${MAX_CBOR_DEPTH} levels`);
      return token;
    }
    // A complete item: it ends every container it was the last item of.
    while (this.#open.length > 0) {
      const left = this.#open.pop()! - 1;
      if (left > 0) {
        this.#open.push(left);
        break;
      }
    }
    return token;
  }
}

function validUtf8(bytes: Uint8Array): boolean {
  try {
    FATAL_UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes one CBOR data item strictly: definite lengths only, no duplicate map keys, no `undefined`,
 * NaN or infinities, no integers beyond 2^53, no unknown tags, text strings in valid UTF-8, nesting at
 * most {@link MAX_CBOR_DEPTH} deep, and no bytes after the item. Throws `ERR_CBOR_MALFORMED` naming `what`.
 *
 * @example
 * ```ts
 * const response = decodeCbor(bytes, 'DeviceResponse');
 * ```
 */
export function decodeCbor(bytes: Uint8Array, what: string, options: { allowUndefined?: boolean } = {}): CborValue {
  try {
    const settings = options.allowUndefined ? ENVELOPE : STRICT;
    return decode(bytes, { ...settings, tokenizer: new StrictTokenizer(bytes, settings) }) as CborValue;
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
 * The bytes of `#6.24(bstr)` around a received bstr, with the tag and length in shortest form as every
 * implementation we know writes them; a peer that wrote a longer header fails its digest (closed).
 */
export function encodedCborBytes(embedded: Uint8Array): Uint8Array {
  return encodeCbor(encodedCbor(embedded));
}

export { Tagged };
