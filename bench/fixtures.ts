import { SoftwareSigner, type Hierarchy } from '@openmyna/pki';
import type { CertificateAuthority } from '@openmyna/pki/ca';

import { makeAuthority } from '../test-support/authorities.js';

const DAY = 86_400_000;

/** A throw-away CA for one hierarchy and a delegated OCSP responder, valid around now. */
export async function benchAuthority(hierarchy: Hierarchy): Promise<{
  ca: CertificateAuthority;
  responderKey: SoftwareSigner;
  responderCertificate: Uint8Array;
}> {
  const now = Date.now();
  const ca = await makeAuthority(hierarchy, 'openmyna bench', new Date(now));
  const responderKey = await SoftwareSigner.generate();
  const responderCertificate = await ca.issueOcspResponder({
    subjectPublicKeyInfo: responderKey.publicKeyInfo,
    commonName: 'openmyna bench responder',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  return { ca, responderKey, responderCertificate };
}
