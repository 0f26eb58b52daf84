// `@openmyna/pki/ca`: building certificates, CRLs and OCSP answers, for the issuing authority. Kept
// apart from the entry so that relying parties and wallets (browser bundles) do not carry it or the
// `@peculiar/asn1-schema` classes it builds with.
export { buildName, encodeDer, encodeName, formatName, parseDer } from '../asn1-schema.js';
export {
  assembleSigned,
  CertificateAuthority,
  newSerialNumber,
  signTbs,
  type EndEntityRequest,
  type PreparedCertificate,
  type RandomBytes,
  type RootOptions,
} from '../certificate-authority.js';
export {
  lintCrl,
  prepareCrl,
  signCrl,
  type CrlInput,
  type PreparedCrl,
  type RevocationRecord,
} from '../crl-builder.js';
export { derExtension, derGeneralizedTime, derInteger, derTime } from '../der-writer.js';
export { assertLintsPass, lintCertificate, type CertificateLintContext, type LintResult } from '../lint.js';
export {
  OcspResponder,
  type CertificateState,
  type OcspResponderOptions,
  type StatusSource,
} from '../ocsp-responder.js';
export {
  crlDistributionPointName,
  crlPartitionUrl,
  DEFAULT_ISSUER_ALT_NAME,
  expectedNotAfter,
  jpkiSubjectAltName,
  keyIdentifierOf,
  type Hierarchy,
  type HierarchyConfig,
  type JpkiHolder,
  type ProfileName,
} from '../profiles.js';
