import { encodeKeyId, issueCvCertificate, SoftwareCardKey, type CardRsaPublicKey } from '@openmyna/card';
import { DEFAULT_POLICY_OIDS, readRsaPublicKey, SoftwareSigner, type Hierarchy } from '@openmyna/pki';
import { CertificateAuthority } from '@openmyna/pki/ca';

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

/** A card-face CA under `caKeyId` and the CV certificate it gives a subject key (`publicKeyInfo`, SPKI DER). */
async function certifyUnderNewCa(
  caKeyId: string,
  subjectKeyId: string,
  publicKeyInfo: Uint8Array,
): Promise<{ cvCertificate: Uint8Array; caKeys: Map<string, CardRsaPublicKey> }> {
  const ca = await SoftwareSigner.generate();
  const caKey = readRsaPublicKey(ca.publicKeyInfo);
  const subjectKey = readRsaPublicKey(publicKeyInfo);
  const cvCertificate = await issueCvCertificate({
    issuerKeyId: encodeKeyId(caKeyId),
    subjectKeyId: encodeKeyId(subjectKeyId),
    subjectKey: { modulus: subjectKey.modulus, exponent: subjectKey.publicExponent },
    issuer: ca,
  });
  return { cvCertificate, caKeys: new Map([[caKeyId, { modulus: caKey.modulus, exponent: caKey.publicExponent }]]) };
}

/** A 入力補助 CA (`9000033/001`) and one issuer key it certified with a CV certificate. */
export async function makeKenhojoIssuer(keyId = '1310121/000'): Promise<{
  issuer: SoftwareSigner;
  keyId: string;
  cvCertificate: Uint8Array;
  caKeys: Map<string, CardRsaPublicKey>;
}> {
  const issuer = await SoftwareSigner.generate();
  return { issuer, keyId, ...(await certifyUnderNewCa('9000033/001', keyId, issuer.publicKeyInfo)) };
}

/** A 券面AP CA (`9000023/001`) and one issuer card key it certified, which signs 券面 records raw. */
export async function makeKenkakuIssuer(
  keyId = '1310122/000',
  /** Wraps the generated key, e.g. `nodeCardKey` to sign in OpenSSL as the issuer service does. */
  wrap?: (jwk: JsonWebKey) => SoftwareCardKey,
): Promise<{
  key: SoftwareCardKey;
  keyId: string;
  cvCertificate: Uint8Array;
  caKeys: Map<string, CardRsaPublicKey>;
}> {
  const issuer = await SoftwareCardKey.generate();
  return {
    key: wrap ? wrap(issuer.jwk) : issuer.key,
    keyId,
    ...(await certifyUnderNewCa('9000023/001', keyId, issuer.publicKeyInfo)),
  };
}
