import { bytesToBinaryString, type TlvObject } from '@openmyna/core';

import {
  children,
  contextTag,
  readAlgorithmIdentifier,
  readBitStringBytes,
  readBoolean,
  readDer,
  readInteger,
  readNamedBits,
  readOid,
  readSmallInteger,
  readTime,
  TAG,
  type AlgorithmIdentifierValue,
} from './der-reader.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';

/** One certificate extension (RFC 5280 §4.1), value undecoded. */
export interface X509Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/**
 * A certificate read strictly from DER (RFC 5280 §4.1), keeping the exact bytes of every part that
 * is signed or compared. Extensions are decoded on demand by the helpers below.
 */
export interface X509Certificate {
  readonly der: Uint8Array;
  readonly tbsCertificate: Uint8Array;
  readonly version: 1 | 2 | 3;
  readonly serialNumber: Uint8Array;
  readonly signature: AlgorithmIdentifierValue;
  readonly issuer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: Uint8Array;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly extensions: readonly X509Extension[];
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly signatureValue: Uint8Array;
}

/** How many parsed certificates are kept (CAs, responders, recent signers); past it, the oldest goes. */
export const PARSED_CERTIFICATES_KEPT = 256;
/** By length and last 32 bytes (the end of the signature): only a bucket, a hit needs every byte equal. */
const parsedCertificates = new Map<string, X509Certificate>();

/**
 * Parses a DER certificate. Throws `ERR_DER_MALFORMED` / `ERR_DER_NOT_CANONICAL` for anything that is
 * not a well-formed X.509 v1–v3 certificate.
 *
 * The same certificates recur (a CA, a responder, a holder signing again), and parsing is a pure
 * function of the bytes: a certificate whose every byte equals one parsed before is answered from a
 * bounded cache. The parse reads a private copy of `der`, so later changes to the caller's buffer
 * change nothing; each answer has its own `Date`s.
 *
 * @example
 * ```ts
 * const certificate = parseCertificate(der);
 * certificate.notAfter; // Date
 * ```
 */
export function parseCertificate(der: Uint8Array): X509Certificate {
  const bucket = `${der.length}/${bytesToBinaryString(der.subarray(-32))}`;
  let certificate = parsedCertificates.get(bucket);
  if (!certificate || !sameBytes(certificate.der, der)) {
    certificate = readCertificate(der.slice());
    // Insertion order is age: the first key is the oldest.
    parsedCertificates.delete(bucket);
    if (parsedCertificates.size >= PARSED_CERTIFICATES_KEPT)
      parsedCertificates.delete(parsedCertificates.keys().next().value as string);
    parsedCertificates.set(bucket, certificate);
  }
  return { ...certificate, notBefore: new Date(certificate.notBefore), notAfter: new Date(certificate.notAfter) };
}

/** How many parsed certificates the cache holds now (for tests of its bound). */
export function parsedCertificateCount(): number {
  return parsedCertificates.size;
}

/**
 * Byte equality, four bytes at a step, with an early exit: certificates are public, so the time it
 * takes reveals nothing.
 */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const left = new DataView(a.buffer, a.byteOffset, a.length);
  const right = new DataView(b.buffer, b.byteOffset, b.length);
  const words = a.length - (a.length % 4);
  let i = 0;
  for (; i < words; i += 4) if (left.getInt32(i) !== right.getInt32(i)) return false;
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The parse itself, with no cache: `parseCertificate` without its memory. */
export function readCertificate(der: Uint8Array): X509Certificate {
  const [tbs, signatureAlgorithm, signatureValue, extra] = children(
    readDer(der, 'certificate'),
    TAG.SEQUENCE,
    'certificate',
  );
  if (extra) throw new PkiError('ERR_DER_MALFORMED', 'certificate has fields after the signature');
  const fields = children(tbs, TAG.SEQUENCE, 'TBSCertificate');
  let index = 0;
  let version: 1 | 2 | 3 = 1;
  if (fields[0] && contextTag(fields[0]) === 0) {
    const [versionValue, versionExtra] = children(fields[0], 0xa0, 'version');
    if (versionExtra) throw new PkiError('ERR_DER_MALFORMED', 'version has extra fields');
    const number = readSmallInteger(versionValue, 'version');
    // X.690 §11.5: a DEFAULT value (v1) is never encoded in DER.
    if (number !== 1 && number !== 2) throw new PkiError('ERR_DER_MALFORMED', 'version is not v2 or v3');
    version = (number + 1) as 2 | 3;
    index = 1;
  }
  const serialNumber = readInteger(fields[index++], 'serialNumber');
  const signature = readAlgorithmIdentifier(fields[index++], 'signature');
  const issuer = expectName(fields[index++], 'issuer');
  const [notBefore, notAfter, validityExtra] = children(fields[index++], TAG.SEQUENCE, 'validity');
  if (validityExtra) throw new PkiError('ERR_DER_MALFORMED', 'validity has extra fields');
  const subject = expectName(fields[index++], 'subject');
  const spki = fields[index++];
  children(spki, TAG.SEQUENCE, 'subjectPublicKeyInfo');
  let extensions: X509Extension[] = [];
  for (const field of fields.slice(index)) {
    const tag = contextTag(field);
    // issuerUniqueID [1] and subjectUniqueID [2] are read past; extensions are [3] (v3 only).
    if ((tag === 1 || tag === 2) && version >= 2) continue;
    if (tag === 3 && version === 3 && extensions.length === 0) {
      extensions = readExtensions(field);
      continue;
    }
    throw new PkiError('ERR_DER_MALFORMED', 'TBSCertificate has an unexpected field');
  }
  if (serialNumber[0]! >= 0x80) {
    // RFC 5280 §4.1.2.2: serial numbers are positive; we accept what exists but never treat them as signed.
  }
  // Cached answers share these: frozen, so no caller can change what the next one reads.
  for (const extension of extensions) Object.freeze(extension);
  return {
    der,
    tbsCertificate: tbs!.raw,
    version,
    serialNumber,
    signature: Object.freeze(signature),
    issuer: issuer.raw,
    notBefore: readTime(notBefore, 'notBefore'),
    notAfter: readTime(notAfter, 'notAfter'),
    subject: subject.raw,
    subjectPublicKeyInfo: spki!.raw,
    extensions: Object.freeze(extensions),
    signatureAlgorithm: Object.freeze(readAlgorithmIdentifier(signatureAlgorithm, 'signatureAlgorithm')),
    signatureValue: readBitStringBytes(signatureValue, 'signatureValue'),
  };
}

function expectName(object: TlvObject | undefined, what: string): TlvObject {
  children(object, TAG.SEQUENCE, what);
  return object!;
}

/** Reads `[n] EXPLICIT Extensions` (RFC 5280 §4.1). */
export function readExtensions(field: TlvObject): X509Extension[] {
  const [sequence, extra] = children(field, field.tag, 'extensions');
  if (extra) throw new PkiError('ERR_DER_MALFORMED', 'extensions wrapper has extra fields');
  return readExtensionList(sequence);
}

/** Reads `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`. */
export function readExtensionList(sequence: TlvObject | undefined): X509Extension[] {
  const list = children(sequence, TAG.SEQUENCE, 'extensions');
  // RFC 5280 §4.1.2.9: if present, the sequence has one or more extensions.
  if (list.length === 0) throw new PkiError('ERR_DER_MALFORMED', 'extensions is empty');
  const seen = new Set<string>();
  return list.map((item) => {
    const parts = children(item, TAG.SEQUENCE, 'extension');
    const oid = readOid(parts[0], 'extnID');
    // RFC 5280 §4.2, §5.2: at most one instance of an extension, or a checker could read one and a
    // consumer the other.
    if (seen.has(oid)) throw new PkiError('ERR_DER_MALFORMED', `extension ${oid} appears twice`);
    seen.add(oid);
    let critical = false;
    let valueIndex = 1;
    if (parts[1]?.tag === TAG.BOOLEAN) {
      critical = readBoolean(parts[1], 'critical');
      // X.690 §11.5: DEFAULT FALSE is not encoded.
      if (!critical) throw new PkiError('ERR_DER_NOT_CANONICAL', `extension ${oid} encodes critical FALSE`);
      valueIndex = 2;
    }
    const value = parts[valueIndex];
    if (value?.tag !== TAG.OCTET_STRING || parts.length !== valueIndex + 1) {
      throw new PkiError('ERR_DER_MALFORMED', `extension ${oid} is malformed`);
    }
    return { oid, critical, value: value.value };
  });
}

/** The extension with `oid`, or undefined. */
export function findExtension(
  certificate: { extensions: readonly X509Extension[] },
  oid: string,
): X509Extension | undefined {
  return certificate.extensions.find((extension) => extension.oid === oid);
}

/** basicConstraints (RFC 5280 §4.2.1.9). */
export function readBasicConstraints(value: Uint8Array): { cA: boolean; pathLenConstraint: number | undefined } {
  const fields = children(readDer(value, 'basicConstraints'), TAG.SEQUENCE, 'basicConstraints');
  let index = 0;
  let cA = false;
  if (fields[index]?.tag === TAG.BOOLEAN) {
    cA = readBoolean(fields[index++], 'cA');
    if (!cA) throw new PkiError('ERR_DER_NOT_CANONICAL', 'basicConstraints encodes cA FALSE');
  }
  const pathLenConstraint = fields[index] ? readSmallInteger(fields[index++], 'pathLenConstraint') : undefined;
  if (fields[index]) throw new PkiError('ERR_DER_MALFORMED', 'basicConstraints has extra fields');
  return { cA, pathLenConstraint };
}

/** keyUsage bit positions (RFC 5280 §4.2.1.3): 0 digitalSignature … 5 keyCertSign, 6 cRLSign. */
export const KEY_USAGE_BIT = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

export function readKeyUsage(value: Uint8Array): Set<number> {
  return readNamedBits(readDer(value, 'keyUsage'), 'keyUsage');
}

export function readExtendedKeyUsage(value: Uint8Array): string[] {
  return children(readDer(value, 'extKeyUsage'), TAG.SEQUENCE, 'extKeyUsage').map((item) =>
    readOid(item, 'KeyPurposeId'),
  );
}

/** keyIdentifier of authorityKeyIdentifier (RFC 5280 §4.2.1.1), if present. */
export function readAuthorityKeyIdentifier(value: Uint8Array): Uint8Array | undefined {
  const fields = children(readDer(value, 'authorityKeyIdentifier'), TAG.SEQUENCE, 'authorityKeyIdentifier');
  return fields.find((field) => field.tag === 0x80)?.value;
}

export function readSubjectKeyIdentifier(value: Uint8Array): Uint8Array {
  const object = readDer(value, 'subjectKeyIdentifier');
  if (object.tag !== TAG.OCTET_STRING)
    throw new PkiError('ERR_DER_MALFORMED', 'subjectKeyIdentifier is not an OCTET STRING');
  return object.value;
}

/** The OCSP URLs of authorityInfoAccess (RFC 5280 §4.2.2.1). */
export function readOcspUrls(value: Uint8Array): string[] {
  return children(readDer(value, 'authorityInfoAccess'), TAG.SEQUENCE, 'authorityInfoAccess')
    .map((description) => children(description, TAG.SEQUENCE, 'AccessDescription'))
    .filter(([method]) => readOid(method, 'accessMethod') === OID.idAdOcsp)
    .flatMap(([, location]) => (location?.tag === 0x86 ? [new TextDecoder().decode(location.value)] : []));
}

/** A DistributionPoint of cRLDistributionPoints (RFC 5280 §4.2.1.13). */
export interface DistributionPointValue {
  /** fullName entries: URIs as strings, directory names as DER. */
  readonly fullNames: readonly GeneralNameValue[];
  /** nameRelativeToCRLIssuer, as the DER of the RDN (SET). */
  readonly relativeName: Uint8Array | undefined;
  readonly reasons: Set<number> | undefined;
  readonly crlIssuer: readonly GeneralNameValue[] | undefined;
}

/** The GeneralName forms we compare (RFC 5280 §4.2.1.6). */
export type GeneralNameValue =
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'directoryName'; readonly value: Uint8Array }
  | { readonly type: 'other'; readonly raw: Uint8Array };

export function readGeneralName(object: TlvObject): GeneralNameValue {
  if (object.tag === 0x86) return { type: 'uri', value: new TextDecoder().decode(object.value) };
  if (object.tag === 0xa4) {
    const [name, extra] = children(object, 0xa4, 'directoryName');
    if (!name || extra) throw new PkiError('ERR_DER_MALFORMED', 'directoryName is malformed');
    return { type: 'directoryName', value: name.raw };
  }
  return { type: 'other', raw: object.raw };
}

export function readDistributionPointName(object: TlvObject): {
  fullNames: GeneralNameValue[];
  relativeName: Uint8Array | undefined;
} {
  const [choice, extra] = children(object, object.tag, 'distributionPoint');
  if (!choice || extra) throw new PkiError('ERR_DER_MALFORMED', 'DistributionPointName is malformed');
  if (choice.tag === 0xa0)
    return { fullNames: children(choice, 0xa0, 'fullName').map(readGeneralName), relativeName: undefined };
  if (choice.tag === 0xa1) return { fullNames: [], relativeName: choice.raw };
  throw new PkiError('ERR_DER_MALFORMED', 'DistributionPointName has an unknown form');
}

export function readCrlDistributionPoints(value: Uint8Array): DistributionPointValue[] {
  return children(readDer(value, 'cRLDistributionPoints'), TAG.SEQUENCE, 'cRLDistributionPoints').map((point) => {
    let fullNames: GeneralNameValue[] = [];
    let relativeName: Uint8Array | undefined;
    let reasons: Set<number> | undefined;
    let crlIssuer: GeneralNameValue[] | undefined;
    for (const field of children(point, TAG.SEQUENCE, 'DistributionPoint')) {
      if (field.tag === 0xa0) ({ fullNames, relativeName } = readDistributionPointName(field));
      else if (field.tag === 0x81) reasons = readNamedBits({ ...field, tag: TAG.BIT_STRING }, 'reasons');
      else if (field.tag === 0xa2) crlIssuer = children(field, 0xa2, 'cRLIssuer').map(readGeneralName);
      else throw new PkiError('ERR_DER_MALFORMED', 'DistributionPoint has an unknown field');
    }
    return { fullNames, relativeName, reasons, crlIssuer };
  });
}
