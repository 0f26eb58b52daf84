export { errorCodeOf, WalletError, type PinName, type WalletErrorCode } from './errors.js';
export { parsePhoneBundle, type PhoneBundle } from './bundle.js';
export {
  generateWrappingKey,
  seal,
  storageRetryCounters,
  unseal,
  type SealedBox,
  type WalletStorage,
} from './storage.js';
export { openIndexedDbWalletStorage } from './indexeddb-storage.js';
export { SecureArea, type OpenedCard } from './secure-area.js';
export type { PhonePublicKeys } from './secure-area-records.js';
export { assertPhonePins, expectVerified, verifyJpkiPin, verifyKenhojoPin } from './pin-outcomes.js';
export { cardKeySigner } from './phone-keys.js';
export { IssuerClient } from './issuer-client.js';
export { MdocPool, type MdocPoolSummary, type MdocUsePolicy, type TakenMdoc } from './mdoc-pool.js';
export { PROVISIONING_STEPS, provisionPhone, type ProvisioningStep, type ProvisionOptions } from './provisioning.js';
export {
  consentForRequest,
  consentLogEntry,
  digestHex,
  mayReceiveMyNumber,
  type ConsentItem,
  type ConsentSecret,
  type ConsentView,
} from './consent.js';
export { InPersonPresentation } from './in-person.js';
export {
  exportTransactionLog,
  type TransactionKind,
  type TransactionLogEntry,
  type TransactionResult,
} from './transaction-log.js';
export { Wallet } from './wallet.js';
export type { MdocBatchOptions, WalletOptions } from './wallet-context.js';
export { availableElements, type HolderSummary } from './holder.js';
export { PendingPresentation } from './request-opening.js';
export type { Approval } from './presentations.js';
export {
  enrollRemoteSecureArea,
  issuerOffersSecureArea,
  RemoteCard,
  RemoteSecureAreaSession,
  type RemoteSecureAreaBinding,
} from './remote-secure-area.js';
export {
  approvalFields,
  approvalOf,
  assertSharedPin,
  birthDatePins,
  type ApprovalField,
  type PinSettings,
} from './pin-settings.js';
export {
  assertSealedPins,
  keyFromPrfOutput,
  newPrfSalt,
  sealPins,
  unsealPins,
  type SealedPins,
} from './platform-verification.js';
