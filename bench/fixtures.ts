import { CertificateAuthority, DEFAULT_POLICY_OIDS, SoftwareSigner, type Hierarchy } from '@openmyna/pki';

const DAY = 86_400_000;

/** A throw-away CA for one hierarchy and a delegated OCSP responder, valid around now. */
export async function benchAuthority(hierarchy: Hierarchy): Promise<{
  ca: CertificateAuthority;
  responderKey: SoftwareSigner;
  responderCertificate: Uint8Array;
}> {
  const now = Date.now();
  const ca = await CertificateAuthority.createRoot({
    config: {
      hierarchy,
      policyOid: DEFAULT_POLICY_OIDS[hierarchy],
      cpsUri: 'http://127.0.0.1/cps',
      ocspUrl: `http://127.0.0.1/ocsp/${hierarchy}`,
      crlBaseUrl: `http://127.0.0.1/crl/${hierarchy}`,
    },
    signer: await SoftwareSigner.generate(),
    name: [
      ['C', 'JP'],
      ['O', 'openmyna bench'],
    ],
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
  });
  const responderKey = await SoftwareSigner.generate();
  const responderCertificate = await ca.issueOcspResponder({
    subjectPublicKeyInfo: responderKey.publicKeyInfo,
    commonName: 'openmyna bench responder',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  return { ca, responderKey, responderCertificate };
}
