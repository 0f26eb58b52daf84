import { decodeCbor, type CborValue } from './cbor.js';
import { asBytes, asInteger, asMap, asUint, asText, asTdate, decodeEmbedded, required } from './cbor-structure.js';
import { decodeCoseVerificationKey } from './cose-key.js';
import type { VerificationKey } from './crypto.js';
import { MdocError } from './errors.js';

/**
 * ValidityInfo (ISO/IEC 18013-5 §9.1.2.4):
 * `{ "signed": tdate, "validFrom": tdate, "validUntil": tdate, ? "expectedUpdate": tdate }`
 */
export interface ValidityInfo {
  readonly signed: Date;
  readonly validFrom: Date;
  readonly validUntil: Date;
  readonly expectedUpdate?: Date;
}

/**
 * The reference into an IETF Token Status List (draft-ietf-oauth-status-list §6.3, CBOR form), as
 * ISO/IEC 18013-5 second edition carries it in the MSO: `"status": { "status_list": { "idx", "uri" } }`.
 */
export interface StatusListReference {
  readonly idx: number;
  readonly uri: string;
}

/**
 * MobileSecurityObject (ISO/IEC 18013-5 §9.1.2.4):
 * ```cddl
 * MobileSecurityObject = {
 *   "version": tstr, "digestAlgorithm": tstr,
 *   "valueDigests": { + NameSpace => { + DigestID => Digest } },
 *   "deviceKeyInfo": DeviceKeyInfo, "docType": tstr, "validityInfo": ValidityInfo,
 *   ? "status": Status
 * }
 * ```
 */
export interface MobileSecurityObject {
  readonly version: string;
  readonly digestAlgorithm: 'SHA-256' | 'SHA-384' | 'SHA-512';
  readonly valueDigests: ReadonlyMap<string, ReadonlyMap<number, Uint8Array>>;
  /** The key the device signs (or, P-256 only here, agrees MAC keys) with. */
  readonly deviceKey: VerificationKey;
  readonly docType: string;
  readonly validityInfo: ValidityInfo;
  readonly status?: StatusListReference;
}

const DIGEST_ALGORITHMS = ['SHA-256', 'SHA-384', 'SHA-512'] as const;

/** Decodes the issuerAuth payload, `MobileSecurityObjectBytes = #6.24(bstr .cbor MSO)`, strictly. */
export function decodeMobileSecurityObject(payload: Uint8Array | null): MobileSecurityObject {
  if (!payload) throw new MdocError('ERR_CBOR_STRUCTURE', 'issuerAuth has no payload');
  const tagged = decodeCbor(payload, 'MobileSecurityObjectBytes');
  const mso = asMap(decodeEmbedded(tagged, 'MobileSecurityObjectBytes').item, 'MobileSecurityObject');
  const version = asText(required(mso, 'version', 'version'), 'version');
  // ISO/IEC 18013-5 §9.1.2.4: version "1.0"; a newer major version may change meanings we rely on.
  if (!/^1\.\d+$/.test(version)) throw new MdocError('ERR_CBOR_STRUCTURE', `unsupported MSO version "${version}"`);
  const digestAlgorithm = asText(required(mso, 'digestAlgorithm', 'digestAlgorithm'), 'digestAlgorithm');
  if (!(DIGEST_ALGORITHMS as readonly string[]).includes(digestAlgorithm)) {
    throw new MdocError('ERR_CBOR_STRUCTURE', `unsupported digestAlgorithm "${digestAlgorithm}"`);
  }
  const valueDigests = new Map<string, Map<number, Uint8Array>>();
  for (const [nameSpace, digests] of asMap(required(mso, 'valueDigests', 'valueDigests'), 'valueDigests')) {
    const byId = new Map<number, Uint8Array>();
    for (const [id, digest] of asMap(digests, 'valueDigests')) {
      byId.set(asUint(id, 'DigestID'), asBytes(digest, 'Digest'));
    }
    valueDigests.set(asText(nameSpace, 'valueDigests.NameSpace'), byId);
  }
  const deviceKeyInfo = asMap(required(mso, 'deviceKeyInfo', 'deviceKeyInfo'), 'deviceKeyInfo');
  const validity = asMap(required(mso, 'validityInfo', 'validityInfo'), 'validityInfo');
  const expectedUpdate = validity.get('expectedUpdate');
  const status = mso.get('status');
  return {
    version,
    digestAlgorithm: digestAlgorithm as MobileSecurityObject['digestAlgorithm'],
    valueDigests,
    deviceKey: decodeCoseVerificationKey(required(deviceKeyInfo, 'deviceKey', 'deviceKey'), 'deviceKey'),
    docType: asText(required(mso, 'docType', 'docType'), 'docType'),
    validityInfo: {
      signed: asTdate(required(validity, 'signed', 'signed'), 'signed'),
      validFrom: asTdate(required(validity, 'validFrom', 'validFrom'), 'validFrom'),
      validUntil: asTdate(required(validity, 'validUntil', 'validUntil'), 'validUntil'),
      ...(expectedUpdate === undefined ? {} : { expectedUpdate: asTdate(expectedUpdate, 'expectedUpdate') }),
    },
    ...(status === undefined ? {} : { status: decodeStatus(status) }),
  };
}

function decodeStatus(value: CborValue): StatusListReference {
  const list = asMap(required(asMap(value, 'status'), 'status_list', 'status.status_list'), 'status_list');
  const idx = asInteger(required(list, 'idx', 'status_list.idx'), 'status_list.idx');
  if (idx < 0) throw new MdocError('ERR_CBOR_STRUCTURE', '"status_list.idx" must be non-negative');
  return { idx, uri: asText(required(list, 'uri', 'status_list.uri'), 'status_list.uri') };
}

/**
 * Whether the holder should fetch a fresh MSO: from `expectedUpdate` on, or — without one — once
 * two thirds of the validity have passed. Short-lived MSOs re-issued this way keep ages and
 * revocations current without the verifier ever seeing a long-lived credential.
 *
 * @example
 * ```ts
 * if (isRenewalDue(mso.validityInfo, new Date())) await wallet.renewMdoc();
 * ```
 */
export function isRenewalDue(validity: ValidityInfo, now: Date): boolean {
  const from = validity.validFrom.getTime();
  const due = validity.expectedUpdate?.getTime() ?? from + ((validity.validUntil.getTime() - from) * 2) / 3;
  return now.getTime() >= due;
}
