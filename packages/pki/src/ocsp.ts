import { encodeTlv, type TlvObject } from '@openmyna/core';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

import { equalBytes } from './bytes.js';
import {
  children,
  contextTag,
  readAlgorithmIdentifier,
  readBitStringBytes,
  readDer,
  readInteger,
  readOid,
  readSmallInteger,
  readTime,
  TAG,
  type AlgorithmIdentifierValue,
} from './der-reader.js';
import { derExtension, derGeneralizedTime } from './der-writer.js';
import { PkiError } from './errors.js';
import { encodeObjectIdentifier } from './object-identifier.js';
import { OID } from './oids.js';
import { readExtensionList, type X509Certificate, type X509Extension } from './x509-certificate.js';

/** The hash of a CertID (RFC 6960 §4.1.1). SHA-1 is what most clients send; SHA-256 is accepted too. */
export type CertIdHash = 'SHA-1' | 'SHA-256';

const HASH_OID: Record<CertIdHash, string> = { 'SHA-1': OID.sha1, 'SHA-256': OID.sha256 };
const HASH: Record<CertIdHash, (data: Uint8Array) => Uint8Array> = { 'SHA-1': sha1, 'SHA-256': sha256 };

/** CertID (RFC 6960 §4.1.1). */
export interface CertId {
  readonly hashAlgorithm: CertIdHash;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** Serial number, lower-case hex of the INTEGER content. */
  readonly serialNumber: string;
}

/** One parsed OCSP request (RFC 6960 §4.1.1). */
export interface OcspRequest {
  readonly certIds: readonly CertId[];
  /** The nonce extension's value (RFC 8954), if any. */
  readonly nonce: Uint8Array | undefined;
}

/** The OCSPResponseStatus values (RFC 6960 §4.2.1). */
export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

/** The subjectPublicKey bits of a certificate: what issuerKeyHash and byKey hash (RFC 6960 §4.1.1). */
export function subjectPublicKeyBits(certificate: X509Certificate): Uint8Array {
  const [, key] = children(
    readDer(certificate.subjectPublicKeyInfo, 'SubjectPublicKeyInfo'),
    TAG.SEQUENCE,
    'SubjectPublicKeyInfo',
  );
  return readBitStringBytes(key, 'subjectPublicKey');
}

/** The CertID of `certificate` issued by `issuer`. */
export function certIdFor(
  certificate: X509Certificate,
  issuer: X509Certificate,
  hashAlgorithm: CertIdHash = 'SHA-1',
): CertId {
  const hash = HASH[hashAlgorithm];
  return {
    hashAlgorithm,
    issuerNameHash: hash(issuer.subject),
    issuerKeyHash: hash(subjectPublicKeyBits(issuer)),
    serialNumber: bytesToHex(certificate.serialNumber),
  };
}

/** `true` when `id` names a certificate of the CA with this subject name and key. */
export function certIdMatchesIssuer(id: CertId, issuerName: Uint8Array, issuerKeyBits: Uint8Array): boolean {
  const hash = HASH[id.hashAlgorithm];
  return equalBytes(id.issuerNameHash, hash(issuerName)) && equalBytes(id.issuerKeyHash, hash(issuerKeyBits));
}

export function sameCertId(a: CertId, b: CertId): boolean {
  return (
    a.hashAlgorithm === b.hashAlgorithm &&
    a.serialNumber === b.serialNumber &&
    equalBytes(a.issuerNameHash, b.issuerNameHash) &&
    equalBytes(a.issuerKeyHash, b.issuerKeyHash)
  );
}

export function encodeCertId(id: CertId): Uint8Array {
  return encodeTlv(0x30, [
    encodeTlv(0x30, [encodeObjectIdentifier(HASH_OID[id.hashAlgorithm]), encodeTlv(0x05, new Uint8Array())]),
    encodeTlv(0x04, id.issuerNameHash),
    encodeTlv(0x04, id.issuerKeyHash),
    encodeTlv(0x02, hexToBytes(id.serialNumber)),
  ]);
}

export function readCertId(object: TlvObject | undefined): CertId {
  const [algorithm, nameHash, keyHash, serial, extra] = children(object, TAG.SEQUENCE, 'CertID');
  if (extra) throw new PkiError('ERR_OCSP_REQUEST', 'CertID has extra fields');
  const oid = readAlgorithmIdentifier(algorithm, 'hashAlgorithm').oid;
  const hashAlgorithm = (Object.keys(HASH_OID) as CertIdHash[]).find((name) => HASH_OID[name] === oid);
  if (!hashAlgorithm) throw new PkiError('ERR_OCSP_REQUEST', `CertID hash ${oid} is not supported`);
  if (nameHash?.tag !== TAG.OCTET_STRING || keyHash?.tag !== TAG.OCTET_STRING) {
    throw new PkiError('ERR_OCSP_REQUEST', 'CertID hashes are not OCTET STRINGs');
  }
  return {
    hashAlgorithm,
    issuerNameHash: nameHash.value,
    issuerKeyHash: keyHash.value,
    serialNumber: bytesToHex(readInteger(serial, 'serialNumber')),
  };
}

/**
 * An unsigned OCSP request for `certIds`, with a nonce when given (RFC 6960 §4.1.1, RFC 8954).
 *
 * @example
 * ```ts
 * const request = encodeOcspRequest([certIdFor(certificate, issuer)], crypto.getRandomValues(new Uint8Array(32)));
 * ```
 */
export function encodeOcspRequest(certIds: readonly CertId[], nonce?: Uint8Array): Uint8Array {
  const tbs = [
    encodeTlv(
      0x30,
      certIds.map((id) => encodeTlv(0x30, [encodeCertId(id)])),
    ),
  ];
  if (nonce)
    tbs.push(encodeTlv(0xa2, [encodeTlv(0x30, [derExtension(OID.idPkixOcspNonce, false, encodeTlv(0x04, nonce))])]));
  return encodeTlv(0x30, [encodeTlv(0x30, tbs)]);
}

/** Parses an OCSP request; `ERR_OCSP_REQUEST` (or a DER error) for anything malformed. */
export function parseOcspRequest(der: Uint8Array): OcspRequest {
  const [tbs, signature, extra] = children(readDer(der, 'OCSPRequest'), TAG.SEQUENCE, 'OCSPRequest');
  if (extra || (signature && contextTag(signature) !== 0))
    throw new PkiError('ERR_OCSP_REQUEST', 'OCSPRequest has unexpected fields');
  let nonce: Uint8Array | undefined;
  let certIds: CertId[] | undefined;
  for (const field of children(tbs, TAG.SEQUENCE, 'TBSRequest')) {
    if (field.tag === 0xa0) {
      // X.690 §11.5: v1 is the DEFAULT and is not encoded; anything else is unknown.
      throw new PkiError('ERR_OCSP_REQUEST', 'only v1 requests exist');
    } else if (field.tag === 0xa1) {
      continue; // requestorName: informational
    } else if (field.tag === TAG.SEQUENCE && !certIds) {
      certIds = children(field, TAG.SEQUENCE, 'requestList').map((request) =>
        readCertId(children(request, TAG.SEQUENCE, 'Request')[0]),
      );
    } else if (field.tag === 0xa2) {
      const [list] = children(field, 0xa2, 'requestExtensions');
      nonce = nonceOf(readExtensionList(list));
    } else {
      throw new PkiError('ERR_OCSP_REQUEST', 'TBSRequest has an unexpected field');
    }
  }
  if (!certIds || certIds.length === 0) throw new PkiError('ERR_OCSP_REQUEST', 'the request names no certificate');
  return { certIds, nonce };
}

/** The nonce of an extension list: the OCTET STRING inside the extension value (RFC 8954 §2.1). */
export function nonceOf(extensions: readonly X509Extension[]): Uint8Array | undefined {
  const extension = extensions.find((item) => item.oid === OID.idPkixOcspNonce);
  if (!extension) return undefined;
  const inner = readDer(extension.value, 'nonce');
  if (inner.tag !== TAG.OCTET_STRING || inner.value.length < 1 || inner.value.length > 32) {
    throw new PkiError('ERR_OCSP_REQUEST', 'the nonce must be an OCTET STRING of 1 to 32 bytes');
  }
  return inner.value;
}

/** The certificate status in a SingleResponse (RFC 6960 §4.2.1). */
export type OcspCertStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revocationTime: Date; readonly reason: number | undefined }
  | { readonly status: 'unknown' };

/** One SingleResponse. */
export interface SingleResponse {
  readonly certId: CertId;
  readonly certStatus: OcspCertStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
}

/** A parsed BasicOCSPResponse (RFC 6960 §4.2.1). */
export interface BasicOcspResponse {
  readonly tbsResponseData: Uint8Array;
  readonly responderId: { readonly byName: Uint8Array } | { readonly byKey: Uint8Array };
  readonly producedAt: Date;
  readonly responses: readonly SingleResponse[];
  readonly nonce: Uint8Array | undefined;
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly signature: Uint8Array;
  readonly certs: readonly Uint8Array[];
}

/** An OCSPResponse: its status, and the basic response when successful. */
export interface OcspResponse {
  readonly responseStatus: number;
  readonly basic: BasicOcspResponse | undefined;
}

export function encodeSingleResponse(response: SingleResponse): Uint8Array {
  let status: Uint8Array;
  if (response.certStatus.status === 'good') status = encodeTlv(0x80, new Uint8Array());
  else if (response.certStatus.status === 'unknown') status = encodeTlv(0x82, new Uint8Array());
  else {
    const fields = [derGeneralizedTime(response.certStatus.revocationTime)];
    if (response.certStatus.reason !== undefined)
      fields.push(encodeTlv(0xa0, [encodeTlv(0x0a, Uint8Array.of(response.certStatus.reason))]));
    status = encodeTlv(0xa1, fields);
  }
  const fields = [encodeCertId(response.certId), status, derGeneralizedTime(response.thisUpdate)];
  if (response.nextUpdate) fields.push(encodeTlv(0xa0, [derGeneralizedTime(response.nextUpdate)]));
  return encodeTlv(0x30, fields);
}

/** An OCSPResponse with no responseBytes, for the error statuses. */
export function encodeOcspErrorResponse(status: Exclude<keyof typeof OCSP_RESPONSE_STATUS, 'successful'>): Uint8Array {
  return encodeTlv(0x30, [encodeTlv(0x0a, Uint8Array.of(OCSP_RESPONSE_STATUS[status]))]);
}

/** Parses an OCSPResponse and, when successful, its BasicOCSPResponse. */
export function parseOcspResponse(der: Uint8Array): OcspResponse {
  const [status, bytes, extra] = children(readDer(der, 'OCSPResponse'), TAG.SEQUENCE, 'OCSPResponse');
  if (extra || status?.tag !== TAG.ENUMERATED) throw new PkiError('ERR_OCSP_RESPONSE', 'OCSPResponse is malformed');
  const responseStatus = readSmallInteger({ ...status, tag: TAG.INTEGER }, 'responseStatus');
  if (!bytes) return { responseStatus, basic: undefined };
  const [responseBytes] = children(bytes, 0xa0, 'responseBytes');
  const [type, response] = children(responseBytes, TAG.SEQUENCE, 'ResponseBytes');
  if (readOid(type, 'responseType') !== OID.idPkixOcspBasic || response?.tag !== TAG.OCTET_STRING) {
    throw new PkiError('ERR_OCSP_RESPONSE', 'the response is not a BasicOCSPResponse');
  }
  return { responseStatus, basic: parseBasicResponse(response.value) };
}

function parseBasicResponse(der: Uint8Array): BasicOcspResponse {
  const [data, algorithm, signature, certsField, extra] = children(
    readDer(der, 'BasicOCSPResponse'),
    TAG.SEQUENCE,
    'BasicOCSPResponse',
  );
  if (extra) throw new PkiError('ERR_OCSP_RESPONSE', 'BasicOCSPResponse has extra fields');
  const fields = children(data, TAG.SEQUENCE, 'ResponseData');
  let index = 0;
  if (fields[0]?.tag === 0xa0) throw new PkiError('ERR_OCSP_RESPONSE', 'only v1 responses exist');
  const id = fields[index++]!;
  let responderId: BasicOcspResponse['responderId'];
  if (id.tag === 0xa1) responderId = { byName: children(id, 0xa1, 'byName')[0]!.raw };
  else if (id.tag === 0xa2) {
    const [keyHash] = children(id, 0xa2, 'byKey');
    if (keyHash?.tag !== TAG.OCTET_STRING) throw new PkiError('ERR_OCSP_RESPONSE', 'byKey is not an OCTET STRING');
    responderId = { byKey: keyHash.value };
  } else throw new PkiError('ERR_OCSP_RESPONSE', 'ResponderID is malformed');
  const producedAt = readTime(fields[index++], 'producedAt');
  const responses = children(fields[index++], TAG.SEQUENCE, 'responses').map(readSingleResponse);
  let nonce: Uint8Array | undefined;
  if (fields[index]?.tag === 0xa1)
    nonce = nonceOf(readExtensionList(children(fields[index++], 0xa1, 'responseExtensions')[0]));
  if (fields[index]) throw new PkiError('ERR_OCSP_RESPONSE', 'ResponseData has an unexpected field');
  const certs = certsField
    ? children(children(certsField, 0xa0, 'certs')[0], TAG.SEQUENCE, 'certs').map((item) => item.raw)
    : [];
  return {
    tbsResponseData: data!.raw,
    responderId,
    producedAt,
    responses,
    nonce,
    signatureAlgorithm: readAlgorithmIdentifier(algorithm, 'signatureAlgorithm'),
    signature: readBitStringBytes(signature, 'signature'),
    certs,
  };
}

function readSingleResponse(object: TlvObject): SingleResponse {
  const [id, status, thisUpdate, ...rest] = children(object, TAG.SEQUENCE, 'SingleResponse');
  let certStatus: OcspCertStatus;
  if (status?.tag === 0x80) certStatus = { status: 'good' };
  else if (status?.tag === 0x82) certStatus = { status: 'unknown' };
  else if (status?.tag === 0xa1) {
    const [time, reason] = children(status, 0xa1, 'RevokedInfo');
    const reasonValue = reason ? children(reason, 0xa0, 'revocationReason')[0] : undefined;
    certStatus = {
      status: 'revoked',
      revocationTime: readTime(time, 'revocationTime'),
      reason: reasonValue ? readSmallInteger({ ...reasonValue, tag: TAG.INTEGER }, 'revocationReason') : undefined,
    };
  } else throw new PkiError('ERR_OCSP_RESPONSE', 'CertStatus is malformed');
  let nextUpdate: Date | undefined;
  for (const field of rest) {
    if (field.tag === 0xa0) nextUpdate = readTime(children(field, 0xa0, 'nextUpdate')[0], 'nextUpdate');
    else if (field.tag !== 0xa1) throw new PkiError('ERR_OCSP_RESPONSE', 'SingleResponse has an unexpected field');
  }
  return { certId: readCertId(id), certStatus, thisUpdate: readTime(thisUpdate, 'thisUpdate'), nextUpdate };
}
