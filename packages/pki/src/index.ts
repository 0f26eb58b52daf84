export { PkiError, type PkiErrorCode } from './errors.js';
export { OID } from './oids.js';
export { certificatePolicyOids, decodeObjectIdentifier, encodeObjectIdentifier } from './object-identifier.js';
export { assertDer, bytesToBase64, derFromPemOrDer, encodeDer, fromPem, parseDer, toPem } from './der.js';
export {
  decodeDigestInfo,
  encodeDigestInfo,
  recoverPkcs1SignedData,
  rsaPublicNumbers,
  type DigestAlgorithm,
  type RsaPublicNumbers,
} from './pkcs1.js';
export {
  base64ToBytes,
  DEFAULT_KEY_ITERATIONS,
  SoftwareSigner,
  type EncryptedKeyFile,
  type SignatureAlgorithmName,
  type Signer,
} from './signer.js';
export { buildName, encodeName, formatName, type NameAttribute } from './name.js';
export {
  crlPartitionUrl,
  DEFAULT_POLICY_OIDS,
  expectedNotAfter,
  jpkiSubjectAltName,
  keyIdentifierOf,
  type Hierarchy,
  type HierarchyConfig,
  type JpkiHolder,
  type ProfileName,
} from './profiles.js';
export { assertLintsPass, lintCertificate, type CertificateLintContext, type LintResult } from './lint.js';
export {
  assembleSigned,
  CertificateAuthority,
  newSerialNumber,
  signTbs,
  type EndEntityRequest,
  type PreparedCertificate,
  type RandomBytes,
  type RootOptions,
} from './certificate-authority.js';
