import {
  OID,
  validatePath,
  type CheckResult,
  type Hierarchy,
  type KEY_USAGE_BIT,
  type PathValidationResult,
  type X509Certificate,
} from '@openmyna/pki';

import type { RevocationSource } from '@openmyna/card';
import type { JpkiTrust } from './trust.js';

const KEY_USAGE: Readonly<Record<Hierarchy, readonly (keyof typeof KEY_USAGE_BIT)[]>> = {
  // card-spec §4.3: digitalSignature + nonRepudiation; §4.2: digitalSignature.
  signing: ['digitalSignature', 'nonRepudiation'],
  authentication: ['digitalSignature'],
};

/**
 * A JPKI end-entity certificate's path to the hierarchy's anchors at `time`, with its key usage,
 * policy and revocation (OCSP, falling back to CRL) — the pki package's named checks.
 */
export async function checkJpkiChain(
  trust: JpkiTrust,
  hierarchy: Hierarchy,
  certificate: X509Certificate,
  time: Date,
  intermediates: readonly X509Certificate[] = [],
): Promise<{
  path: PathValidationResult;
  checks: readonly CheckResult[];
  revocation: RevocationSource | 'not-checked';
}> {
  const path = await validatePath({
    certificate,
    intermediates,
    trustAnchors: trust.anchors[hierarchy],
    time,
    requiredKeyUsage: KEY_USAGE[hierarchy],
    requiredPolicy: trust.policies[hierarchy],
    // JPKI certificates are signed with sha256WithRSAEncryption (card-spec §3); SHA-1 is not accepted.
    signatureAlgorithms: [OID.sha256WithRSAEncryption],
    ...(trust.revocation === 'not-checked' ? { checkRevocation: false } : { revocation: trust.revocation.check }),
    ...(trust.backend ? { backend: trust.backend } : {}),
  });
  return {
    path,
    checks: path.checks,
    revocation: trust.revocation === 'not-checked' ? 'not-checked' : trust.revocation.sourceOf(certificate),
  };
}
