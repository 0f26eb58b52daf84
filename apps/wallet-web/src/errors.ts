import { errorCodeOf, type WalletErrorCode } from '@openmyna/wallet';

import type { MESSAGES } from './i18n.js';

type Messages = (typeof MESSAGES)['ja'];

/** The holder's own words for an error, or `undefined` for its message with its code. */
type ErrorText = ((error: unknown, t: Messages) => string) | undefined;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One row per wallet error code: a new code must be given its words here, or `undefined` to show
 * the error's own message (never a PIN: messages do not carry secrets).
 */
const WALLET_ERROR_TEXT: Record<WalletErrorCode, ErrorText> = {
  ERR_WALLET_STATE: undefined,
  ERR_WALLET_STORAGE: undefined,
  ERR_PIN_FORMAT: undefined,
  ERR_PIN_WEAK: (_error, t) => t.pinWeak,
  ERR_PLATFORM_VERIFICATION: (_error, t) => t.platformFailed,
  ERR_PLATFORM_UNSUPPORTED: (_error, t) => t.platformUnsupported,
  // The card's CardError has the same code and `triesLeft`: both read as tries left.
  ERR_PIN_WRONG: (error, t) => t.triesLeft((error as { triesLeft?: number }).triesLeft ?? 0),
  // The lock, by this try or before it, with what to do (which PIN says where it is reset).
  ERR_PIN_BLOCKED: (error, t) => t.pinLocked((error as { pin?: string }).pin),
  ERR_APPROVAL_INCOMPLETE: undefined,
  ERR_REQUEST_INVALID: undefined,
  ERR_REQUEST_UNSUPPORTED: undefined,
  ERR_REQUEST_DONE: undefined,
  // The verifier's reason (which check failed, e.g. a revoked certificate) follows in its own words.
  ERR_RESPONSE_REJECTED: (error, t) => `${t.rejected} ${error instanceof Error ? error.message : ''}`.trim(),
  ERR_ISSUER_REFUSED: undefined,
  ERR_NETWORK: undefined,
  ERR_BUNDLE_INVALID: undefined,
  ERR_CARD: undefined,
  ERR_SESSION: undefined,
  ERR_MDOC_EXHAUSTED: undefined,
  ERR_PHONE_REVOKED: (_error, t) => t.phoneRevoked,
};

function isWalletErrorCode(code: string): code is WalletErrorCode {
  return Object.hasOwn(WALLET_ERROR_TEXT, code);
}

/** A user-facing sentence for an error: tries left for a wrong PIN, the lock, else the message. */
export function describeError(error: unknown, t: Messages): string {
  const code = errorCodeOf(error);
  const text = code !== undefined && isWalletErrorCode(code) ? WALLET_ERROR_TEXT[code] : undefined;
  if (text) return text(error, t);
  return code === undefined ? messageOf(error) : `${messageOf(error)} (${code})`;
}
