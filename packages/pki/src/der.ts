import {
  base64Decode,
  base64Encode,
  decodeTlv,
  decodeTlvChildren,
  OpenMynaError,
  type TlvObject,
} from '@openmyna/core';

import { PkiError } from './errors.js';

const MAX_DEPTH = 40;

/**
 * Checks that `bytes` is exactly one DER encoding (X.690 §10): definite, minimal lengths; no bytes
 * after the outer object; primitive encodings of strings; minimal INTEGERs; BOOLEAN as 00/FF.
 * Throws `ERR_DER_MALFORMED` or `ERR_DER_NOT_CANONICAL`.
 */
export function assertDer(bytes: Uint8Array, what: string): void {
  let root: TlvObject;
  try {
    root = decodeTlv(bytes);
  } catch (error) {
    throw derError(error, what);
  }
  checkObject(root, what, 0);
}

function checkObject(object: TlvObject, what: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new PkiError('ERR_DER_MALFORMED', `${what} nests deeper than ${MAX_DEPTH}`);
  const tag = object.tag;
  // X.690 §10.2: DER never uses the constructed form for BIT STRING, OCTET STRING or string types.
  if (tag === 0x23 || tag === 0x24 || (tag >= 0x2c && tag <= 0x3e && tag !== 0x30 && tag !== 0x31)) {
    throw new PkiError('ERR_DER_NOT_CANONICAL', `${what} uses a constructed string encoding`);
  }
  if (tag === 0x01 && (object.value.length !== 1 || (object.value[0] !== 0x00 && object.value[0] !== 0xff))) {
    // X.690 §11.1: a DER BOOLEAN TRUE is FF.
    throw new PkiError('ERR_DER_NOT_CANONICAL', `${what} has a BOOLEAN that is not 00 or FF`);
  }
  if (tag === 0x02 || tag === 0x0a) checkInteger(object.value, what);
  if (object.constructed) {
    let children: TlvObject[];
    try {
      children = decodeTlvChildren(object);
    } catch (error) {
      throw derError(error, what);
    }
    for (const child of children) checkObject(child, what, depth + 1);
  }
}

function checkInteger(value: Uint8Array, what: string): void {
  if (value.length === 0) throw new PkiError('ERR_DER_MALFORMED', `${what} has an empty INTEGER`);
  const [first, second] = value;
  // X.690 §8.3.2: the first nine bits of an INTEGER are not all equal.
  if (second !== undefined && ((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80))) {
    throw new PkiError('ERR_DER_NOT_CANONICAL', `${what} has a non-minimal INTEGER`);
  }
}

function derError(error: unknown, what: string): PkiError {
  const reason = error instanceof OpenMynaError ? `${error.message} (${error.code})` : 'cannot be read';
  return new PkiError('ERR_DER_MALFORMED', `${what} is not valid DER: ${reason}`, { cause: error });
}

/** PEM armour (RFC 7468) around DER. */
export function toPem(der: Uint8Array, label: string): string {
  const base64 = bytesToBase64(der);
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Every DER body inside PEM blocks with `label` (RFC 7468 strict base64, any line length). */
export function fromPem(text: string, label: string): Uint8Array[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const blocks: Uint8Array[] = [];
  for (const match of text.matchAll(pattern)) {
    // RFC 7468 §3: the base64 text may be broken into lines (and parsers ignore other whitespace).
    const body = (match[1] ?? '').replace(/\s+/g, '');
    try {
      blocks.push(base64Decode(body));
    } catch (error) {
      throw new PkiError('ERR_PEM_MALFORMED', `a ${label} PEM block has invalid base64`, { cause: error });
    }
  }
  return blocks;
}

/** DER as given, or the first PEM block with `label` when the input is PEM text. */
export function derFromPemOrDer(input: Uint8Array, label: string): Uint8Array {
  if (input[0] === 0x30) return input;
  const [first] = fromPem(new TextDecoder().decode(input), label);
  if (!first) throw new PkiError('ERR_PEM_MALFORMED', `no ${label} PEM block found`);
  return first;
}

/**
 * Standard base64 of `bytes` (RFC 4648 §4, padded): `@openmyna/core`'s `base64Encode`.
 *
 * @example
 * ```ts
 * const text = bytesToBase64(certificate.der);
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  return base64Encode(bytes);
}
