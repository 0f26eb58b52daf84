import {
  encodeKeyId,
  issueCvCertificate,
  SoftwareCardKey,
  type CardPrivateKey,
  type CardRsaPublicKey,
} from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import { DEFAULT_POLICY_OIDS, readRsaPublicKey, type Hierarchy, type Signer } from '@openmyna/pki';
import { CertificateAuthority } from '@openmyna/pki/ca';

import { freshTokenCustody, testRsaSigner, TOKEN_KEYS } from './softhsm.js';

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
    signer: await testRsaSigner(`jpki-${hierarchy}-ca`),
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
  const ca = await testRsaSigner(caKeyId === '9000023/001' ? 'kenkaku-ca' : 'kenhojo-ca');
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
  issuer: Signer;
  keyId: string;
  cvCertificate: Uint8Array;
  caKeys: Map<string, CardRsaPublicKey>;
}> {
  const issuer = await testRsaSigner(`kenhojo-issuer/${keyId.slice(0, 5)}`);
  return { issuer, keyId, ...(await certifyUnderNewCa('9000033/001', keyId, issuer.publicKeyInfo)) };
}

/**
 * A 券面AP CA (`9000023/001`) and one issuer card key it certified, which signs 券面 records raw. With
 * `OPENMYNA_TEST_KEYS=pkcs11` and a `wrap` (the issuer service's way), the key is made in the token.
 */
export async function makeKenkakuIssuer(
  keyId = '1310122/000',
  /** Wraps the generated key, e.g. `nodeCardKey` to sign in OpenSSL as the issuer service does. */
  wrap?: (jwk: JsonWebKey) => SoftwareCardKey,
): Promise<{
  key: CardPrivateKey;
  keyId: string;
  cvCertificate: Uint8Array;
  caKeys: Map<string, CardRsaPublicKey>;
}> {
  if (TOKEN_KEYS && wrap === nodeCardKey) {
    const token = await (await freshTokenCustody()).createCardKey(`kenkaku-issuer/${keyId.slice(0, 5)}`);
    return { key: token.key, keyId, ...(await certifyUnderNewCa('9000023/001', keyId, token.publicKeyInfo)) };
  }
  const issuer = await SoftwareCardKey.generate();
  return {
    key: wrap ? wrap(issuer.jwk) : issuer.key,
    keyId,
    ...(await certifyUnderNewCa('9000023/001', keyId, issuer.publicKeyInfo)),
  };
}
