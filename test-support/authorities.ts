import { encodeKeyId, issueCvCertificate, SoftwareCardKey, type CardRsaPublicKey } from '@openmyna/card';
import {
  CertificateAuthority,
  DEFAULT_POLICY_OIDS,
  readRsaPublicKey,
  SoftwareSigner,
  type Hierarchy,
} from '@openmyna/pki';

const DAY = 86_400_000;

/** A throw-away JPKI root for one hierarchy, valid from 2025 to 2045 (or around `around`). */
export async function makeAuthority(
  hierarchy: Hierarchy,
  organization = 'openmyna tests',
  around?: Date,
): Promise<CertificateAuthority> {
  return CertificateAuthority.createRoot({
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
      ['O', `${organization} ${hierarchy}`],
    ],
    notBefore: around ? new Date(around.getTime() - DAY) : new Date('2025-01-01T00:00:00Z'),
    notAfter: around ? new Date(around.getTime() + 3650 * DAY) : new Date('2045-01-01T00:00:00Z'),
  });
}

/** A card-face CA (`9000033/001`) and one 入力補助 issuer key it certified with a CV certificate. */
export async function makeKenhojoIssuer(keyId = '1310121/000'): Promise<{
  issuer: SoftwareSigner;
  keyId: string;
  cvCertificate: Uint8Array;
  caKeys: Map<string, CardRsaPublicKey>;
}> {
  const ca = await SoftwareSigner.generate();
  const issuer = await SoftwareSigner.generate();
  const caKey = readRsaPublicKey(ca.publicKeyInfo);
  const issuerKey = readRsaPublicKey(issuer.publicKeyInfo);
  const cvCertificate = await issueCvCertificate({
    issuerKeyId: encodeKeyId('9000033/001'),
    subjectKeyId: encodeKeyId(keyId),
    subjectKey: { modulus: issuerKey.modulus, exponent: issuerKey.publicExponent },
    issuer: ca,
  });
  return {
    issuer,
    keyId,
    cvCertificate,
    caKeys: new Map([['9000033/001', { modulus: caKey.modulus, exponent: caKey.publicExponent }]]),
  };
}

/** A 券面AP CA (`9000023/001`) and one issuer card key it certified, which signs 券面 records raw. */
export async function makeKenkakuIssuer(keyId = '1310122/000'): Promise<{
  key: SoftwareCardKey;
  keyId: string;
  cvCertificate: Uint8Array;
  caKeys: Map<string, CardRsaPublicKey>;
}> {
  const ca = await SoftwareSigner.generate();
  const issuer = await SoftwareCardKey.generate();
  const caKey = readRsaPublicKey(ca.publicKeyInfo);
  const issuerKey = readRsaPublicKey(issuer.publicKeyInfo);
  const cvCertificate = await issueCvCertificate({
    issuerKeyId: encodeKeyId('9000023/001'),
    subjectKeyId: encodeKeyId(keyId),
    subjectKey: { modulus: issuerKey.modulus, exponent: issuerKey.publicExponent },
    issuer: ca,
  });
  return {
    key: issuer.key,
    keyId,
    cvCertificate,
    caKeys: new Map([['9000023/001', { modulus: caKey.modulus, exponent: caKey.publicExponent }]]),
  };
}
