import { CoreError } from './errors.js';

/**
 * One BER-TLV data object (ISO/IEC 7816-4 §5.2, X.690 §8.1) as found in the card's records.
 * `value` and `raw` are views into the decoded bytes, never copies, so digests and signatures
 * are computed over exactly what was received.
 */
export interface TlvObject {
  /** The tag bytes read as one big-endian number: `0xFF20`, `0xDF21`, `0x90`. */
  readonly tag: number;
  /** Bit 6 of the first tag byte: the value is itself a sequence of data objects. */
  readonly constructed: boolean;
  /** Offset of the first tag byte from the start of the top-level input. */
  readonly offset: number;
  /** Tag and length bytes together. */
  readonly headerLength: number;
  readonly value: Uint8Array;
  /** Tag, length and value exactly as received. */
  readonly raw: Uint8Array;
}

interface Cursor {
  readonly bytes: Uint8Array;
  /** Offset of `bytes[0]` in the top-level input. */
  readonly base: number;
  position: number;
}

/**
 * Decodes exactly one data object that fills `bytes` entirely. Nested objects are read with
 * {@link decodeTlvChildren}: the card does not always follow the constructed bit (the 個人番号 EF
 * `FF 10` holds 12 digits, not objects), so the caller, who knows the record, decides.
 *
 * @example
 * ```ts
 * const record = decodeTlv(hexToBytes('ff2003df2100')); // tag 0xFF20 with one child 0xDF21
 * ```
 */
export function decodeTlv(bytes: Uint8Array): TlvObject {
  const cursor: Cursor = { bytes, base: 0, position: 0 };
  const object = readObject(cursor);
  if (cursor.position !== bytes.length) {
    throw new CoreError('ERR_TLV_TRAILING_DATA', `${bytes.length - cursor.position} bytes follow the data object`);
  }
  return object;
}

/** Decodes a sequence of zero or more data objects that fills `bytes` exactly. */
export function decodeTlvSequence(bytes: Uint8Array): TlvObject[] {
  return readSequence({ bytes, base: 0, position: 0 });
}

/**
 * Decodes the value of `object` as a sequence of data objects that fills it exactly; offsets stay
 * relative to the top-level input, so they can be checked against the card's offset tables.
 *
 * @example
 * ```ts
 * const [offsets, name, address, birthDate, sex] = decodeTlvChildren(decodeTlv(ef0002));
 * ```
 */
export function decodeTlvChildren(object: TlvObject): TlvObject[] {
  return readSequence({ bytes: object.value, base: object.offset + object.headerLength, position: 0 });
}

/**
 * Decodes the content of a transparent EF as the card stores a record: one data object followed by
 * filler to the end of the file. Filler must be all `FF` or all `00` (or absent).
 */
export function decodeTlvRecord(bytes: Uint8Array): { object: TlvObject; fillerLength: number } {
  const cursor: Cursor = { bytes, base: 0, position: 0 };
  const object = readObject(cursor);
  const filler = bytes.subarray(cursor.position);
  const fillerByte = filler[0];
  if (
    fillerByte !== undefined &&
    ((fillerByte !== 0xff && fillerByte !== 0x00) || filler.some((b) => b !== fillerByte))
  ) {
    throw new CoreError('ERR_TLV_FILLER', 'the bytes after the record are not uniform FF or 00 filler');
  }
  return { object, fillerLength: filler.length };
}

/** The first of `objects` with `tag`, or `undefined`. */
export function findTlv(objects: readonly TlvObject[], tag: number): TlvObject | undefined {
  return objects.find((object) => object.tag === tag);
}

/**
 * Encodes a data object whose value is `value`, or the concatenation of already encoded children.
 *
 * @example
 * ```ts
 * encodeTlv(0xdf25, new TextEncoder().encode('1')); // df 25 01 31
 * encodeTlv(0xff20, [encodeTlv(0xdf25, sex)]);      // ff 20 04 df 25 01 31
 * ```
 */
export function encodeTlv(tag: number, value: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const tagBytes = encodeTag(tag);
  const content = Array.isArray(value) ? concatParts(value as readonly Uint8Array[]) : (value as Uint8Array);
  const lengthBytes = encodeLength(content.length);
  const out = new Uint8Array(tagBytes.length + lengthBytes.length + content.length);
  out.set(tagBytes);
  out.set(lengthBytes, tagBytes.length);
  out.set(content, tagBytes.length + lengthBytes.length);
  return out;
}

/** The tag bytes of `tag` (1 to 3 bytes), validated as {@link decodeTlv} would read them. */
export function encodeTag(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) {
    throw new CoreError('ERR_TLV_TAG', 'a tag is 1 to 3 bytes');
  }
  const bytes =
    tag > 0xffff ? [tag >>> 16, (tag >>> 8) & 0xff, tag & 0xff] : tag > 0xff ? [tag >>> 8, tag & 0xff] : [tag];
  const encoded = Uint8Array.from(bytes);
  const cursor: Cursor = { bytes: encoded, base: 0, position: 0 };
  readTag(cursor);
  if (cursor.position !== encoded.length)
    throw new CoreError('ERR_TLV_TAG', `${formatTag(tag)} is not one well-formed tag`);
  return encoded;
}

/** The minimal BER length bytes for `length` (short form below 128, then `81`–`84`). */
export function encodeLength(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new CoreError('ERR_TLV_VALUE_TOO_LONG', 'a value is at most 4294967295 bytes');
  }
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

/** `0xFF20` → `"FF20"`, for messages. */
export function formatTag(tag: number): string {
  const hex = tag.toString(16).toUpperCase();
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

function readSequence(cursor: Cursor): TlvObject[] {
  const objects: TlvObject[] = [];
  while (cursor.position < cursor.bytes.length) objects.push(readObject(cursor));
  return objects;
}

function readObject(cursor: Cursor): TlvObject {
  const start = cursor.position;
  const { tag, constructed } = readTag(cursor);
  const length = readLength(cursor);
  const headerLength = cursor.position - start;
  if (length > cursor.bytes.length - cursor.position) {
    throw new CoreError(
      'ERR_TLV_TRUNCATED',
      `the value of ${formatTag(tag)} needs ${length} bytes, ${cursor.bytes.length - cursor.position} remain`,
    );
  }
  const value = cursor.bytes.subarray(cursor.position, cursor.position + length);
  cursor.position += length;
  return {
    tag,
    constructed,
    offset: cursor.base + start,
    headerLength,
    value,
    raw: cursor.bytes.subarray(start, cursor.position),
  };
}

function readTag(cursor: Cursor): { tag: number; constructed: boolean } {
  const first = nextByte(cursor, 'tag');
  const constructed = (first & 0x20) !== 0;
  if ((first & 0x1f) !== 0x1f) return { tag: first, constructed };
  // X.690 §8.1.2.4.2 (c): the first subsequent octet must not be 0x80 (no leading zero bits).
  // The card writes two-byte tags below 31 (FF 10, DF 11); we accept them as it writes them.
  let tag = first;
  for (let count = 1; ; count++) {
    if (count > 2) throw new CoreError('ERR_TLV_TAG', 'tags longer than 3 bytes are not used by the card');
    const next = nextByte(cursor, 'tag');
    if (count === 1 && (next === 0x80 || next === 0x00)) {
      throw new CoreError('ERR_TLV_TAG', `tag ${formatTag((tag << 8) | next)} has a non-minimal tag number`);
    }
    tag = (tag << 8) | next;
    if ((next & 0x80) === 0) return { tag, constructed };
  }
}

function readLength(cursor: Cursor): number {
  const first = nextByte(cursor, 'length');
  if (first < 0x80) return first;
  if (first === 0x80) throw new CoreError('ERR_TLV_LENGTH', 'indefinite lengths are not allowed');
  const count = first & 0x7f;
  if (count > 4) throw new CoreError('ERR_TLV_LENGTH', `a length of ${count} bytes is too long`);
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + nextByte(cursor, 'length');
  // X.690 §10.1 (DER) and ISO 7816-4 §5.2.2.2: lengths use the fewest bytes.
  if (length < 0x80 || (count > 1 && length < 2 ** (8 * (count - 1)))) {
    throw new CoreError('ERR_TLV_LENGTH', `non-minimal length encoding (${count + 1} bytes for ${length})`);
  }
  return length;
}

function nextByte(cursor: Cursor, field: 'tag' | 'length'): number {
  const byte = cursor.bytes[cursor.position];
  if (byte === undefined) throw new CoreError('ERR_TLV_TRUNCATED', `the input ends inside a ${field} field`);
  cursor.position++;
  return byte;
}

/** Concatenates without spreading arguments, so a CRL's million entries do not overflow the stack. */
function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
