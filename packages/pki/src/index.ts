export { PkiError, type PkiErrorCode } from './errors.js';
export { DEFAULT_POLICY_OIDS, OID } from './oids.js';
export type { Hierarchy } from './profiles.js';
export type { RandomBytes } from './certificate-authority.js';
export { encodeObjectIdentifier } from './object-identifier.js';
export { bytesToBase64, derFromPemOrDer, fromPem, toPem } from './der.js';
export {
  decodeDigestInfo,
  encodeDigestInfo,
  modPow,
  recoverPkcs1SignedData,
  rsaPublicNumbers,
  rsaPublicNumbersOf,
  verifyPkcs1DigestInfo,
  verifyPkcs1Signature,
  type DigestAlgorithm,
  type RsaPublicNumbers,
} from './pkcs1.js';
export {
  base64ToBytes,
  DEFAULT_KEY_ITERATIONS,
  openWithPassphrase,
  sealWithPassphrase,
  type PassphraseBox,
} from './passphrase-box.js';
export { SoftwareSigner, type EncryptedKeyFile, type SignatureAlgorithmName, type Signer } from './signer.js';
export { encodeDistinguishedName, formatDerName, nameAttributeText, type NameAttribute } from './name.js';
export { CRL_REASON, parseCrl, type CrlReasonName, type RevokedEntry, type X509Crl } from './x509-crl.js';
export {
  findExtension,
  KEY_USAGE_BIT,
  parseCertificate,
  readAuthorityKeyIdentifier,
  readBasicConstraints,
  readCrlDistributionPoints,
  readExtendedKeyUsage,
  readKeyUsage,
  readOcspUrls,
  readSubjectKeyIdentifier,
  type X509Certificate,
  type X509Extension,
} from './x509-certificate.js';
export { namesMatch } from './x509-name.js';
export {
  readInhibitAnyPolicy,
  readPolicyConstraints,
  readPolicyMappings,
  type PolicyInputs,
} from './certificate-policies.js';
export { readNameConstraints, type ConstrainableName, type NameConstraints } from './name-constraints.js';
export {
  verifySignature,
  webCryptoBackend,
  type HashName,
  type SignatureBackend,
  type SignatureCheck,
} from './verify-signature.js';
export { readRsaPublicKey, type RsaPublicKeyBytes } from './rsa-key.js';
export {
  assertValid,
  fail,
  pass,
  skip,
  summarize,
  unknown,
  type CheckResult,
  type VerificationSummary,
} from './check-result.js';
export { crlStatus, isCaCertificate, type CrlContext, type RevocationStatus } from './crl-status.js';
export {
  buildPath,
  trustAnchor,
  validatePath,
  type PathValidationOptions,
  type PathValidationResult,
  type RevocationChecker,
  type TrustAnchor,
} from './path-validation.js';
export {
  certIdFor,
  encodeOcspRequest,
  OCSP_RESPONSE_STATUS,
  parseOcspRequest,
  parseOcspResponse,
  type BasicOcspResponse,
  type CertId,
  type CertIdHash,
  type OcspCertStatus,
  type OcspRequest,
  type OcspResponse,
  type SingleResponse,
} from './ocsp.js';
export {
  ocspRevocationChecker,
  verifyOcspResponse,
  type OcspCheckerOptions,
  type OcspVerification,
  type OcspVerificationOptions,
} from './ocsp-verify.js';
export { signCms, verifyCmsSignature, type CmsSignOptions, type CmsVerification } from './cms.js';
export {
  createCertificationRequest,
  verifyCertificationRequest,
  type VerifiedCertificationRequest,
} from './certification-request.js';
export { readJpkiIdentity, type JpkiIdentity } from './jpki-identity.js';
