export { CardError, type CardErrorCode } from './errors.js';
export { decodeCommandApdu, encodeCommandApdu, type CommandApdu } from './command-apdu.js';
export { decodeResponseApdu, encodeResponseApdu, status, SW, wrongPin, type ResponseApdu } from './response-apdu.js';
export {
  MemoryRetryCounterStore,
  protectPin,
  RetryCounter,
  type RetryCounterStore,
  type StoredPin,
  type VerifyOutcome,
} from './retry-counter.js';
export {
  Applet,
  ALWAYS,
  NEVER,
  verifiedAnyOf,
  getChallenge,
  type AccessRule,
  type AppletDefinition,
  type AppletKey,
  type ElementaryFile,
  type KeyReference,
} from './applet.js';
export { SoftwareCardKey, type CardPrivateKey, type RsaPrivateOperation } from './card-private-key.js';
export { ISD_AID, SmartCard, type MfDataObjects, type SmartCardOptions } from './smart-card.js';
export {
  CERTIFICATE_EF_SIZE,
  createJpkiApplet,
  isValidFourDigitPin,
  isValidSigningPassword,
  JPKI_AID,
  JPKI_EF,
  TOKEN_LABEL,
  tokenInfo,
  type JpkiAppletOptions,
} from './jpki-applet.js';
export { JpkiReader, type JpkiCertificateName, type JpkiSecret } from './jpki-reader.js';
export { ApduChannel, type PinResult } from './apdu-channel.js';
export { inProcessTransport, type CardTransport } from './transport.js';
export {
  checkCvCertificate,
  cvCertificateContents,
  decodeCardPublicKey,
  decodeCvCertificate,
  decodeKeyId,
  encodeCardPublicKey,
  encodeKeyId,
  issueCvCertificate,
  verifyCardSignature,
  type CardRsaPublicKey,
  type CardSignatureCheck,
  type CvCertificate,
} from './cv-certificate.js';
export {
  decodeBasicFourInfoFile,
  decodeMyNumberFile,
  encodeBasicFourInfoFile,
  encodeIntegrityRecord,
  encodeMyNumberFile,
  verifyKenhojoRecords,
  type BasicFourInfoFile,
  type KenhojoRecords,
  type KenhojoRecordsVerification,
} from './kenhojo-records.js';
export { createKenhojoApplet, KENHOJO_AID, KENHOJO_EF, type KenhojoAppletOptions } from './kenhojo-applet.js';
export { KenhojoReader, type KenhojoCredential } from './kenhojo-reader.js';
export {
  encodeCardRecognitionData,
  encodeMfDataObjects,
  MF_DATA_OBJECT,
  type MfDataObjectsInput,
} from './mf-data-objects.js';
export { cardKeyId, issueKenhojoRecords, issueKenkakuRecords, type CardFaceImages } from './card-records.js';
export {
  CARD_ATR,
  issueVirtualCard,
  openVirtualCard,
  type CardPins,
  type OpenVirtualCardOptions,
  type VirtualCardIssue,
} from './virtual-card.js';
export {
  PHONE_RESETTABLE_PINS,
  PIN_RESET_AUTHORIZATION_TYPE,
  PIN_RESET_POLICY,
  resetPinInPerson,
  resetPinsWithIssuerAuthorization,
  resetPinWithStrongerFactor,
  verifyPinResetAuthorization,
  type PinResetClaims,
  type PinResetOutcome,
} from './pin-reset.js';
export {
  COMMON_CARD_AID,
  COMMON_CARD_EF,
  createCommonCardApplet,
  createJukiApplet,
  decodeCommonCardRecord,
  JUKI_AID,
  JUKI_EF,
} from './juki-applets.js';
export { listApplications, MY_NUMBER_CARD_APPLICATIONS } from './applications.js';
export {
  decodeCardFaceFile,
  encodeAgeRecord,
  encodeCardFaceFile,
  encodeMyNumberImageRecord,
  verifyKenkakuRecords,
  type CardFace,
  type CardFaceFile,
  type KenkakuRecords,
} from './kenkaku-records.js';
export { createKenkakuApplet, KENKAKU_AID, KENKAKU_EF, type KenkakuAppletOptions } from './kenkaku-applet.js';
export { KenkakuReader, type KenkakuCredential } from './kenkaku-reader.js';
export {
  HOLDER_PROOF_ACTIONS,
  lifecycleStatement,
  MDOC_BATCH_DEFAULT,
  MDOC_BATCH_MAX,
  mdocRefillStatement,
  pinResetStatement,
  provisioningApplication,
  type HolderAction,
  type HolderProofKind,
  type MdocRefillRequest,
  type PhoneKeys,
  type ProvisioningApplication,
  type ProvisioningCompletion,
} from './phone-protocol.js';
export {
  decodeStoredPins,
  encodeStoredPins,
  openPhoneCard,
  PHONE_PIN_REFERENCES,
  phoneContentsMismatch,
  phonePinAccepts,
  phonePinsProblem,
  phoneReferenceData,
  type EncodedStoredPins,
  type PhoneCardContents,
  type PhoneCardOptions,
  type PhonePinReference,
  type PhonePins,
} from './phone-card.js';
export {
  VirtualCardDocumentSchema,
  type CardRecordIssuer,
  type CardRecords,
  type CardSecrets,
  type KenhojoRecordFiles,
  type KenkakuRecordFiles,
  type VirtualCardDocument,
} from './virtual-card-document.js';
export {
  P256PublicJwkSchema,
  PhoneBundleSchema,
  PhoneCardContentsSchema,
  PhoneIdSchema,
  type P256PublicJwk,
  type PhoneBundle,
} from './phone-bundle.js';
export {
  SECURE_AREA_PROTOCOL,
  secureAreaSigningInput,
  type SecureAreaKeyName,
  type SecureAreaMessage,
  type SecureAreaOperation,
} from './secure-area-protocol.js';
export {
  decodeJpkiAuthPresentation,
  decodeJpkiSignDigestPresentation,
  decodeKenhojoPresentation,
  encodeJpkiAuthPresentation,
  encodeJpkiSignDigestPresentation,
  encodeKenhojoPresentation,
  type JpkiAuthPresentation,
  type JpkiSignDigestPresentation,
} from './presentation-formats.js';
export {
  loginStatement,
  REQUEST_BINDING_OID,
  requestBindingAttribute,
  requestBindingDigest,
  type SignatureRequestBinding,
} from './jpki-statements.js';
export {
  jpkiRevocation,
  type JpkiRevocation,
  type JpkiRevocationOptions,
  type RevocationSource,
} from './jpki-revocation.js';
