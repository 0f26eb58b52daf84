export { MdocError, type MdocErrorCode } from './errors.js';
export {
  decodeCbor,
  MAX_CBOR_DEPTH,
  encodeCbor,
  encodedCbor,
  encodedCborBytes,
  fullDate,
  Tagged,
  tdate,
  TAG_ENCODED_CBOR,
  TAG_FULL_DATE,
  TAG_TDATE,
  type CborValue,
} from './cbor.js';
export {
  ecdsaDerToRaw,
  ecPublicJwk,
  ecPublicKey,
  ecPublicKeyFromJwk,
  webMdocCrypto,
  type DigestAlgorithm,
  type EcPrivateKey,
  type EcPublicKey,
  type MdocCrypto,
  type OkpPublicKey,
  type VerificationKey,
  type WideEcPublicKey,
} from './crypto.js';
export { decodeCoseKey, encodeCoseKey } from './cose-key.js';
export {
  COSE_ALG,
  COSE_HEADER,
  createCoseMac0,
  decodeCoseMessage,
  signCoseSign1,
  verifyCoseMac0,
  verifyCoseSign1,
  type CoseMessage,
} from './cose.js';
export {
  encodeReaderAuthorization,
  issueMdocCertificate,
  MAX_VALIDITY_DAYS,
  MDOC_OID,
  type AuthorizedElement,
  type MdocCertificateRequest,
  type MdocCertificateRole,
} from './certificate-profiles.js';
export {
  mdocTrustAnchor,
  readReaderAuthorization,
  validateMdocChain,
  type MdocChainCache,
  type MdocChainOptions,
  type MdocTrustAnchor,
  type ValidatedLeaf,
} from './certificate-chain.js';
export {
  AGE_OVER_THRESHOLDS,
  cardFaceElements,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  MNC_ELEMENTS,
  MY_NUMBER_ELEMENT,
  type CardFaceAttributes,
} from './card-face-document.js';
export {
  decodeMobileSecurityObject,
  isRenewalDue,
  type MobileSecurityObject,
  type StatusListReference,
  type ValidityInfo,
} from './mobile-security-object.js';
export {
  decodeIssuedMdoc,
  decodeIssuerSigned,
  issueMdoc,
  type IssuedMdoc,
  type IssueMdocOptions,
  type IssuerSigned,
  type IssuerSignedItem,
} from './issuer-signed.js';
export {
  authenticationBytes,
  openId4VpDcApiSessionTranscript,
  openId4VpSessionTranscript,
  proximitySessionTranscript,
  sessionTranscriptFromBytes,
  sessionTranscriptFromTaggedBytes,
  type SessionTranscript,
} from './session-transcript.js';
export {
  createDeviceRequest,
  decodeDeviceRequest,
  verifyReaderAuthentication,
  type DeviceRequest,
  type DocRequest,
  type ItemsRequest,
  type ReaderKey,
} from './device-request.js';
export {
  displayNameOf,
  evaluateItemsRequest,
  type RefusalReason,
  type RefusedElement,
  type RequestedElement,
  type RequestEvaluation,
} from './request-policy.js';
export {
  createDeviceResponse,
  decodeDeviceResponse,
  DEVICE_RESPONSE_STATUS,
  type DeviceAuthenticationMode,
  type DeviceResponse,
  type ResponseDocument,
} from './device-response.js';
export { ELEMENT_TYPES, MDL_NAMESPACE, type ElementType } from './element-types.js';
export {
  MDOC_LIMITS,
  verifyDeviceResponse,
  type CredentialStatus,
  type DeviceResponseVerification,
  type MdocLimits,
  type StatusChecker,
  type VerifiedDocument,
  type VerifyDeviceResponseOptions,
} from './verify-device-response.js';
export {
  decodeDeviceEngagement,
  deviceEngagementUri,
  encodeDeviceEngagement,
  parseDeviceEngagementUri,
  RELAY_ENGAGEMENT_KEY,
  type DeviceEngagement,
  type RelayRetrieval,
} from './device-engagement.js';
export {
  decodeSessionData,
  decodeSessionEstablishment,
  deriveSessionKeys,
  encodeSessionData,
  encodeSessionEstablishment,
  SESSION_STATUS,
  SessionEncryption,
  type SessionRole,
} from './session-encryption.js';
export { MessageQueue, webSocketTransport, type MessageTransport, type WebSocketLike } from './transport.js';
export { MdocHolderSession, MdocReaderSession } from './proximity-session.js';
export {
  signStatusListToken,
  StatusList,
  statusListChecker,
  TOKEN_STATUS,
  verifyStatusListToken,
  type VerifiedStatusList,
} from './status-list.js';
export {
  CARD_APPLICATION_FORMATS,
  dcqlItemsRequest,
  dcqlQueryFor,
  parseDcqlQuery,
  type DcqlCardApplicationQuery,
  type DcqlClaimQuery,
  type DcqlCredentialQuery,
  type DcqlMdocQuery,
  type DcqlQuery,
  KENHOJO_RECORD_NAMES,
  type KenhojoRecordName,
} from './dcql.js';
export { itemLabel, LABELS, verificationMethodLabel, type Label } from './labels.js';
export {
  authorizationRequestUri,
  createAuthorizationResponse,
  createRequestObject,
  parseAuthorizationRequestUri,
  readAuthorizationResponse,
  sessionTranscriptForRequest,
  verifyRequestObject,
  x509HashClientId,
  type AuthorizationRequest,
  type ResponseMode,
  type VerifiedAuthorizationRequest,
} from './openid4vp.js';
export {
  decodeTransactionData,
  encodeTransactionData,
  jpkiSignDocumentFor,
  jpkiSignEntryFor,
  isSignableDigest,
  type JpkiSignDigest,
  type JpkiSignDocument,
  type JpkiSignEntry,
} from './transaction-data.js';
