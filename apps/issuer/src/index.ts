export { IssuerError, type IssuerErrorCode } from './errors.js';
export { newId, type CrashPoint, type IssuerContext } from './context.js';
export { appendAudit, type AuditEntry } from './audit.js';
export { myNumberIndex, unsealMyNumber } from './my-number-seal.js';
export {
  abandonUnfinished,
  certificateState,
  findCertificate,
  issueCertificateDurably,
  resumeCertificates,
  revokeCertificates,
  type CertificateHolderRef,
  type CertificateRecord,
} from './certificates.js';
export {
  createPerson,
  endCard,
  getPerson,
  listPersonIds,
  personInputOf,
  recordCard,
  sealRegistry,
  updatePerson,
  type Person,
  type PersonChanges,
  type PersonInput,
} from './registry.js';
export { ISSUER_MIGRATIONS } from './storage/migrations.js';
export type { IssuerSchema } from './storage/schema.js';
export {
  RevocationServices,
  CRL_CACHE_SECONDS,
  OCSP_FRESHNESS_SECONDS,
  type HierarchyAuthority,
} from './revocation-services.js';
export { createIssuerApp, type IssuerAppOptions } from './http/app.js';
export { issueCard, type CardFaceIssuers, type IssuedCard } from './cards.js';
export {
  abandonUnfinishedProvisioning,
  completeProvisioning,
  openProvisioningSession,
  PROVISIONING_SESSION_SECONDS,
  type PhoneKeys,
  type ProvisioningApplication,
  type ProvisioningAuthorities,
  type ProvisioningBundle,
  type ProvisioningCompletion,
} from './provisioning.js';
export { ISSUER_REPAIR_GRACE_SECONDS, repairUnfinishedWork, type RepairedWork } from './repair.js';
export { changePhone, type PhoneAction } from './phones.js';
export {
  authorizePinReset,
  holderChangesPhone,
  HOLDER_CHALLENGE_SECONDS,
  openHolderChallenge,
  PIN_RESET_AUTHORIZATION_SECONDS,
  pinResetAuthorityFromJwk,
  pinResetAuthorityFromKey,
  type HolderLifecycleRequest,
  type HolderProof,
  type PinResetAuthority,
  type PinResetRequest,
} from './holder.js';
export { checkCardCertificate, type CardAnchors } from './card-certificates.js';
export {
  abandonUnfinishedMdocBatches,
  coarseIssuanceTime,
  MDOC_VALIDITY_DAYS,
  type MdocIssuer,
} from './mdoc-batches.js';
export { MDOC_DAILY_LIMIT, refillMdocs, type MdocRefill, type MdocRefillRequest } from './mdoc-refill.js';
export { MDOC_STATUS_LIST_SIZE, MdocStatusPublisher } from './mdoc-status.js';
export {
  PostgresStatusListener,
  type PostgresStatusListenerOptions,
  type StatusChange,
  type StatusChangeFeed,
} from './status-changes.js';
export { SecureAreaService } from './secure-area.js';
export { SECURE_AREA_LIMITS, databaseCounters, type SecureAreaPublicKeys } from './secure-area-devices.js';
export * from './key-custody/index.js';
