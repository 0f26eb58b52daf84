export { VerifierError, type VerifierErrorCode } from './errors.js';
export { jpkiRevocation, type JpkiRevocation, type JpkiRevocationOptions, type RevocationSource } from '@openmyna/card';
export { JLIS_POLICY_OIDS, OPENMYNA_POLICY_OIDS, type JpkiTrust } from './trust.js';
export {
  VERIFICATION_METHODS,
  verificationRecord,
  type VerificationMethod,
  type VerificationRecord,
} from './record.js';
export {
  JPKI_SIGNATURE_LEGAL_BASIS,
  verifyJpkiSignature,
  type JpkiSignature,
  type JpkiSignatureVerification,
} from './jpki-signature.js';
export {
  createLoginChallenge,
  LOGIN_CHALLENGE_SECONDS,
  loginSubject,
  MemoryChallengeStore,
  verifyJpkiAuthentication,
  verifyJpkiLogin,
  type ChallengeLookup,
  type ChallengeStore,
  type JpkiAuthenticationVerification,
  type JpkiLoginVerification,
  type LoginChallenge,
} from './jpki-login.js';
export { loginStatement } from '@openmyna/card';
export { verifyKenhojo, type KenhojoVerification } from './kenhojo.js';
export { verifyMdocPresentation, type MdocPresentationVerification, type RelyingPartyAuthorization } from './mdoc.js';
export {
  checkRequestBinding,
  REQUEST_BINDING_OID,
  requestBindingAttribute,
  requestBindingDigest,
  type SignatureRequestBinding,
} from './request-binding.js';
export {
  decodeJpkiAuthPresentation,
  decodeJpkiSignDigestPresentation,
  decodeKenhojoPresentation,
  encodeJpkiAuthPresentation,
  encodeJpkiSignDigestPresentation,
  encodeKenhojoPresentation,
  type JpkiSignDigestPresentation,
} from './formats.js';
