import { Tagged, TAG_ENCODED_CBOR, TAG_FULL_DATE, TAG_TDATE, decodeCbor, type CborValue } from './cbor.js';
import { MdocError } from './errors.js';

/** Small readers that check the shape of decoded CBOR at the boundary (STYLE.md 7). */

export type CborMap = ReadonlyMap<CborValue, CborValue>;

function wrong(field: string, expected: string): MdocError {
  return new MdocError('ERR_CBOR_STRUCTURE', `"${field}" must be ${expected}`);
}

export function isMap(value: unknown): value is CborMap {
  return value instanceof Map;
}

export function asMap(value: CborValue | undefined, field: string): CborMap {
  if (!isMap(value)) throw wrong(field, 'a map');
  return value;
}

export function asArray(value: CborValue | undefined, field: string, length?: number): readonly CborValue[] {
  if (!Array.isArray(value)) throw wrong(field, 'an array');
  const array = value as readonly CborValue[];
  if (length !== undefined && array.length !== length) throw wrong(field, `an array of ${length} elements`);
  return array;
}

export function asBytes(value: CborValue | undefined, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw wrong(field, 'a byte string');
  return value;
}

export function asText(value: CborValue | undefined, field: string): string {
  if (typeof value !== 'string') throw wrong(field, 'a text string');
  return value;
}

export function asInteger(value: CborValue | undefined, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw wrong(field, 'an integer');
  return value;
}

/** `uint` (RFC 8949 major type 0): an integer of at least 0. */
export function asUint(value: CborValue | undefined, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw wrong(field, 'an unsigned integer');
  return value;
}

export function asBoolean(value: CborValue | undefined, field: string): boolean {
  if (typeof value !== 'boolean') throw wrong(field, 'a boolean');
  return value;
}

/** The bytes inside `#6.24(bstr)`. */
export function asEncodedCbor(value: CborValue | undefined, field: string): Uint8Array {
  if (!(value instanceof Tagged) || value.tag !== TAG_ENCODED_CBOR || !(value.value instanceof Uint8Array)) {
    throw wrong(field, 'an embedded CBOR item #6.24(bstr)');
  }
  return value.value;
}

/** Decodes the item inside `#6.24(bstr)`, strictly. */
export function decodeEmbedded(value: CborValue | undefined, field: string): { bytes: Uint8Array; item: CborValue } {
  const bytes = asEncodedCbor(value, field);
  return { bytes, item: decodeCbor(bytes, field) };
}

/** `tdate` (tag 0) as a Date; RFC 3339 with `Z` or an offset. */
export function asTdate(value: CborValue | undefined, field: string): Date {
  if (!(value instanceof Tagged) || value.tag !== TAG_TDATE || typeof value.value !== 'string') {
    throw wrong(field, 'a tdate #6.0(tstr)');
  }
  const text = value.value;
  const date = new Date(text);
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  // RFC 3339 §5.7: a real calendar day and time (Date would roll 2026-02-30 over into March).
  if (
    !match ||
    Number.isNaN(date.getTime()) ||
    !isCalendarDay(match[1]!) ||
    Number(match[2]) > 23 ||
    Number(match[3]) > 59 ||
    Number(match[4]) > 59
  ) {
    throw wrong(field, 'an RFC 3339 date-time');
  }
  return date;
}

/** `full-date` (tag 1004) as `YYYY-MM-DD`. */
export function asFullDate(value: CborValue | undefined, field: string): string {
  if (!(value instanceof Tagged) || value.tag !== TAG_FULL_DATE || typeof value.value !== 'string') {
    throw wrong(field, 'a full-date #6.1004(tstr)');
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value.value) || !isCalendarDay(value.value))
    throw wrong(field, 'a full-date YYYY-MM-DD');
  return value.value;
}

/** `YYYY-MM-DD` names a day of the proleptic Gregorian calendar (year 0001 or later). */
function isCalendarDay(text: string): boolean {
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A required map entry. */
export function required(map: CborMap, key: CborValue, field: string): CborValue {
  const value = map.get(key);
  if (value === undefined) throw new MdocError('ERR_CBOR_STRUCTURE', `"${field}" is missing`);
  return value;
}

/** Refuses keys outside `allowed` where the spec closes a map. */
export function onlyKeys(map: CborMap, allowed: readonly CborValue[], field: string): void {
  for (const key of map.keys()) {
    if (!allowed.includes(key)) throw new MdocError('ERR_CBOR_STRUCTURE', `"${field}" has an unexpected key`);
  }
}
