import { decodeTlv, decodeTlvChildren, encodeTlv } from '@openmyna/core';

import { PkiError } from './errors.js';

/**
 * Decodes the contents of an OBJECT IDENTIFIER (X.690 §8.19) to dotted decimal, with arcs of any
 * size. (asn1js, under `@peculiar/asn1-schema`, cannot print arcs above 2^53, such as the UUID arcs
 * of `2.25`, which our default policy OIDs use.)
 */
export function decodeObjectIdentifier(contents: Uint8Array): string {
  // The same few dozen OIDs recur in every certificate and CRL entry: remember their text, keyed by
  // all of their contents (a loop, not a spread: this runs for every OID of every certificate read).
  let key = '';
  for (let i = 0; i < contents.length; i++) key += String.fromCharCode(contents[i]!);
  const known = decoded.get(key);
  if (known !== undefined) return known;
  const text = decodeArcs(contents);
  if (decoded.size >= MAX_REMEMBERED) decoded.clear();
  decoded.set(key, text);
  return text;
}

const MAX_REMEMBERED = 4096;
const MAX_OID_BYTES = 128;
const decoded = new Map<string, string>();

function decodeArcs(contents: Uint8Array): string {
  if (contents.length === 0) throw new PkiError('ERR_DER_MALFORMED', 'an OBJECT IDENTIFIER is empty');
  // Real OIDs are a few dozen bytes (a 2.25 UUID arc takes 19); a huge one would cost quadratic BigInt work.
  if (contents.length > MAX_OID_BYTES)
    throw new PkiError('ERR_DER_MALFORMED', `an OBJECT IDENTIFIER is longer than ${MAX_OID_BYTES} bytes`);
  const arcs: bigint[] = [];
  let value = 0n;
  let started = false;
  for (const [index, byte] of contents.entries()) {
    // X.690 §8.19.2: no leading 0x80 in a subidentifier.
    if (!started && byte === 0x80) throw new PkiError('ERR_DER_NOT_CANONICAL', 'an OID arc has a leading zero group');
    started = true;
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
      started = false;
    } else if (index === contents.length - 1) {
      throw new PkiError('ERR_DER_MALFORMED', 'an OBJECT IDENTIFIER ends inside an arc');
    }
  }
  const first = arcs.shift() as bigint;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

/** The DER of an OBJECT IDENTIFIER given in dotted decimal (arcs of any size). */
export function encodeObjectIdentifier(oid: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(oid)) throw new PkiError('ERR_DER_MALFORMED', `${oid} is not a dotted OID`);
  const [a, b, ...rest] = oid.split('.').map((arc) => BigInt(arc));
  const bytes: number[] = [];
  for (const arc of [a! * 40n + b!, ...rest]) {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  return encodeTlv(0x06, Uint8Array.from(bytes));
}

/**
 * The policy OIDs of a certificatePolicies extension value (RFC 5280 §4.2.1.4), decoded with
 * {@link decodeObjectIdentifier}.
 */
export function certificatePolicyOids(extensionValue: Uint8Array): string[] {
  return decodeTlvChildren(decodeTlv(extensionValue)).map((information) => {
    const [identifier] = decodeTlvChildren(information);
    if (identifier?.tag !== 0x06) throw new PkiError('ERR_DER_MALFORMED', 'a PolicyInformation has no policy OID');
    return decodeObjectIdentifier(identifier.value);
  });
}
