export { CardError, type CardErrorCode } from './errors.js';
export { decodeCommandApdu, encodeCommandApdu, type CommandApdu } from './command-apdu.js';
export { decodeResponseApdu, encodeResponseApdu, status, SW, wrongPin, type ResponseApdu } from './response-apdu.js';
export {
  constantTimeEqual,
  MemoryRetryCounterStore,
  protectPin,
  RetryCounter,
  type RetryCounterStore,
  type StoredPin,
  type VerifyOutcome,
} from './retry-counter.js';
