import { encodeTlv } from '@openmyna/core';

import { equalBytes } from './bytes.js';
import { children, readDer, readOid, TAG } from './der-reader.js';

interface AttributeValueAssertion {
  readonly type: string;
  readonly tag: number;
  readonly value: Uint8Array;
  /** Its RFC 4518 preparation, once computed (null: not a string that can be prepared). */
  prepared?: string | null;
}

function preparedOf(assertion: AttributeValueAssertion): string | undefined {
  if (assertion.prepared === undefined) assertion.prepared = prepareString(assertion) ?? null;
  return assertion.prepared ?? undefined;
}

/**
 * Directory strings and IA5String (domainComponent, emailAddress: RFC 4519 matches them ignoring
 * case) compare as prepared text.
 */
const STRING_TAGS = new Set([TAG.UTF8String, TAG.PrintableString, TAG.IA5String, 0x14, 0x1e, 0x1c]);

/** RFC 4518 §2.2 "mapped to nothing": soft hyphen, joiners, variation selectors, zero-width spaces, controls. */
const MAPPED_TO_NOTHING: readonly (readonly [number, number])[] = [
  [0x0000, 0x0008],
  [0x000e, 0x001f],
  [0x007f, 0x0084],
  [0x0086, 0x009f],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x2063],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xfffc, 0xfffc],
];

function mapToNothing(text: string): string {
  let kept = '';
  for (const character of text) {
    const point = character.codePointAt(0)!;
    if (!MAPPED_TO_NOTHING.some(([low, high]) => point >= low && point <= high)) kept += character;
  }
  return kept;
}

/**
 * Compares two DER names by RFC 5280 §7.1: attribute types must match and, for directory strings,
 * values match after RFC 4518 preparation (case folding, insignificant space handling), so a
 * PrintableString and a UTF8String of the same text are the same name. Other values compare as bytes.
 */
export function namesMatch(a: Uint8Array, b: Uint8Array): boolean {
  if (equalBytes(a, b)) return true;
  const left = readRdns(a);
  const right = readRdns(b);
  if (left.length !== right.length) return false;
  return left.every((rdn, index) => rdnsMatch(rdn, right[index]!));
}

/** The name formed by appending one RDN (the DER of a SET) to `name` (RFC 5280 §4.2.1.13). */
export function appendRdn(name: Uint8Array, rdn: Uint8Array): Uint8Array {
  const rdns = children(readDer(name, 'name'), TAG.SEQUENCE, 'name').map((item) => item.raw);
  // nameRelativeToCRLIssuer is [1] IMPLICIT: re-tag it as a SET.
  const set = encodeTlv(TAG.SET, readDer(rdn, 'relative name').value);
  return encodeTlv(TAG.SEQUENCE, [...rdns, set]);
}

/**
 * Whether `name` lies in the directoryName subtree `base` (RFC 5280 §4.2.1.10, §7.1): the base's
 * RDNs, compared as {@link namesMatch} compares them, are the first RDNs of the name.
 */
export function nameWithinSubtree(name: Uint8Array, base: Uint8Array): boolean {
  const rdns = readRdns(name);
  const baseRdns = readRdns(base);
  return baseRdns.length <= rdns.length && baseRdns.every((rdn, index) => rdnsMatch(rdn, rdns[index]!));
}

const EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

/** The values of the legacy emailAddress attributes (PKCS #9) in a name. */
export function emailAddressesOf(name: Uint8Array): Uint8Array[] {
  return readRdns(name)
    .flat()
    .filter((assertion) => assertion.type === EMAIL_ADDRESS)
    .map((assertion) => assertion.value);
}

/** `true` for the empty name (a SEQUENCE with no RDNs). */
export function isEmptyName(name: Uint8Array): boolean {
  return name.length === 2 && name[0] === 0x30 && name[1] === 0;
}

/**
 * Names read before, by the array that holds them: path building compares the same few names many
 * times (each candidate issuer against each certificate), and RFC 4518 preparation is not cheap.
 */
const readNames = new WeakMap<Uint8Array, AttributeValueAssertion[][]>();

function readRdns(name: Uint8Array): AttributeValueAssertion[][] {
  let rdns = readNames.get(name);
  if (!rdns) readNames.set(name, (rdns = decodeRdns(name)));
  return rdns;
}

function decodeRdns(name: Uint8Array): AttributeValueAssertion[][] {
  return children(readDer(name, 'name'), TAG.SEQUENCE, 'name').map((rdn) =>
    children(rdn, TAG.SET, 'RelativeDistinguishedName').map((assertion) => {
      const [type, value] = children(assertion, TAG.SEQUENCE, 'AttributeTypeAndValue');
      return { type: readOid(type, 'attribute type'), tag: value?.tag ?? 0, value: value?.value ?? new Uint8Array() };
    }),
  );
}

function rdnsMatch(a: readonly AttributeValueAssertion[], b: readonly AttributeValueAssertion[]): boolean {
  if (a.length !== b.length) return false;
  const unmatched = [...b];
  for (const assertion of a) {
    const index = unmatched.findIndex((other) => assertionsMatch(assertion, other));
    if (index < 0) return false;
    unmatched.splice(index, 1);
  }
  return true;
}

function assertionsMatch(a: AttributeValueAssertion, b: AttributeValueAssertion): boolean {
  if (a.type !== b.type) return false;
  if (STRING_TAGS.has(a.tag) && STRING_TAGS.has(b.tag)) {
    const left = preparedOf(a);
    const right = preparedOf(b);
    return left !== undefined && left === right;
  }
  return a.tag === b.tag && equalBytes(a.value, b.value);
}

/**
 * RFC 4518 §2, the parts that matter for certificate names: map to nothing, normalize (NFKC), fold
 * case (upper then lower, so ß matches SS), trim and collapse spaces.
 */
function prepareString(assertion: AttributeValueAssertion): string | undefined {
  let text: string;
  try {
    if (assertion.tag === 0x1e) text = new TextDecoder('utf-16be', { fatal: true }).decode(assertion.value);
    else if (assertion.tag === 0x1c) text = decodeUniversal(assertion.value);
    else text = new TextDecoder('utf-8', { fatal: true }).decode(assertion.value);
  } catch {
    return undefined;
  }
  return mapToNothing(text).normalize('NFKC').toUpperCase().toLowerCase().trim().replace(/\s+/g, ' ');
}

function decodeUniversal(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError('a UniversalString is not whole characters');
  let text = '';
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    text += String.fromCodePoint(
      ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0,
    );
  }
  return text;
}
