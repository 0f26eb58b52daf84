import { bytesToBinaryString, formatIsoDate, type BasicFourInfo } from '@openmyna/core';
import { formatDerName, type VerificationSummary, type X509Certificate } from '@openmyna/pki';
import { bytesToHex } from '@noble/hashes/utils.js';

import type { RevocationSource } from '@openmyna/card';

/** How the person was verified: every method a record may name. */
export const VERIFICATION_METHODS = ['jpki-signature', 'jpki-login', 'kenhojo', 'mdoc'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

/**
 * A verification record, the basis of a 犯罪収益移転防止法 本人確認記録: how, when, with which
 * certificate, what was verified and the result. It never holds salts, signatures, the signed bytes,
 * the My Number, or disclosed items the relying party may not keep — only the 4 info it must record
 * (氏名, 住居, 生年月日; 性別 as read) when the method established them.
 */
export interface VerificationRecord {
  readonly method: VerificationMethod;
  /** The 本人確認 method this verification supports, where the law names one. */
  readonly legalBasis?: string;
  readonly verifiedAt: string;
  readonly result: VerificationSummary['status'];
  /** The deciding check of a result other than `valid`. */
  readonly decidedBy?: string;
  /** Every check made, in order, with its outcome. */
  readonly checks: readonly { readonly check: string; readonly status: string }[];
  readonly certificate?: {
    readonly serialNumber: string;
    readonly issuer: string;
    readonly notAfter: string;
  };
  readonly revocation?: RevocationSource | 'not-checked';
  /** The 4 info the certificate or record established (only for a `valid` result). */
  readonly subject?: {
    readonly name: string;
    readonly address: string;
    readonly birthDate: string;
    readonly sex: string;
  };
  /** SHA-256 (hex) of what was signed: identifies the document without keeping it. */
  readonly documentDigest?: string;
  /** The element identifiers disclosed (mdoc): names, never values. */
  readonly disclosed?: readonly string[];
}

/** Issuers are few (the CAs); their readable names are kept rather than parsed per record. */
const issuerNames = new Map<string, string>();
function issuerName(der: Uint8Array): string {
  const key = bytesToBinaryString(der);
  let name = issuerNames.get(key);
  if (name === undefined) {
    name = formatDerName(der);
    if (issuerNames.size >= 256) issuerNames.clear();
    issuerNames.set(key, name);
  }
  return name;
}

/** Builds a record from a verification's summary and what it established. */
export function verificationRecord(
  summary: VerificationSummary,
  options: {
    readonly method: VerificationMethod;
    readonly at: Date;
    readonly legalBasis?: string;
    readonly certificate?: X509Certificate;
    readonly revocation?: RevocationSource | 'not-checked';
    readonly subject?: BasicFourInfo;
    readonly documentDigest?: Uint8Array;
    readonly disclosed?: readonly string[];
  },
): VerificationRecord {
  const certificate = options.certificate;
  return {
    method: options.method,
    ...(options.legalBasis ? { legalBasis: options.legalBasis } : {}),
    verifiedAt: options.at.toISOString(),
    result: summary.status,
    ...(summary.decidedBy ? { decidedBy: summary.decidedBy.check } : {}),
    checks: summary.checks.map(({ check, status }) => ({ check, status })),
    ...(certificate
      ? {
          certificate: {
            serialNumber: bytesToHex(certificate.serialNumber),
            issuer: issuerName(certificate.issuer),
            notAfter: certificate.notAfter.toISOString(),
          },
        }
      : {}),
    ...(options.revocation ? { revocation: options.revocation } : {}),
    ...(options.subject && summary.status === 'valid'
      ? {
          subject: {
            name: options.subject.name,
            address: options.subject.address,
            birthDate: formatIsoDate(options.subject.birthDate),
            sex: options.subject.sex,
          },
        }
      : {}),
    ...(options.documentDigest ? { documentDigest: bytesToHex(options.documentDigest) } : {}),
    ...(options.disclosed ? { disclosed: [...options.disclosed] } : {}),
  };
}
