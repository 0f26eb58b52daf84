export { VERIFIER_SERVICE_ERROR_CODES, VerifierServiceError, type VerifierServiceErrorCode } from './errors.js';
export { randomId, type VerifierContext } from './context.js';
export { VERIFIER_MIGRATIONS } from './storage/migrations.js';
export type { MyNumberPurpose, VerifierSchema, WebhookState } from './storage/schema.js';
export { appendAudit, type AuditEntry } from './audit.js';
export { seal, sealJson, unseal, unsealJson } from './sealing.js';
export {
  authorizationOf,
  cardFaceElements,
  readerKeyOf,
  registerRelyingParty,
  relyingParty,
  relyingPartyByApiKey,
  type ReaderAuthority,
  type RelyingParty,
} from './relying-parties.js';
export {
  createPresentation,
  QUERY_IDS,
  PRESENTATION_SECONDS,
  type CreatedPresentation,
  type PresentationInput,
} from './create-presentation.js';
export { receiveResponse, requestObjectOf } from './answer-presentation.js';
export {
  PROCESSING_GRACE_SECONDS,
  presentationFor,
  repairInterruptedPresentations,
  type PresentationResult,
} from './presentation-results.js';
export type { PresentationServices, ProximityServices, RequestedElement } from './services.js';
export { PROXIMITY_SECONDS, proximitySessionFor, startProximitySession, type ProximityView } from './proximity.js';
export { databaseChallengeStore } from './login-challenges.js';
export { createVerifierApp, type VerifierAppOptions } from './http/app.js';
export {
  timerScheduler,
  WebhookDispatcher,
  type WebhookDispatcherOptions,
  type WebhookPass,
  type WebhookScheduler,
} from './webhook-dispatcher.js';
export {
  DEFAULT_WEBHOOK_SCHEDULE,
  enqueueWebhook,
  retryDelayMs,
  type WebhookEvent,
  type WebhookRetrySchedule,
} from './webhook-outbox.js';
export {
  RELAY_INTERNAL_HEADER,
  RELAY_UPGRADE_LIMIT,
  relayUpgradeLimit,
  type RelayUpgradeLimitOptions,
} from './relay-upgrade-limit.js';
export { VERIFIER_ERROR_ANSWERS } from './http/error-statuses.js';
export { DEFAULT_OIDC_PATHS, OIDC_SCOPES, type OidcPaths, type OidcScope } from './oidc/paths.js';
export { oidcClient, oidcClientOf, registerOidcClient, type OidcClient, type OidcClientInput } from './oidc/clients.js';
export type { OidcOptions } from './oidc/paths.js';
export { SIGN_TRANSACTION_SECONDS } from './oidc/sign-transactions.js';
