import type { MESSAGES } from './i18n.js';

/** A user-facing sentence for an error: tries left for a wrong PIN, the block, else the message. */
export function describeError(error: unknown, t: (typeof MESSAGES)['ja']): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_PIN_WRONG') return t.triesLeft((error as { triesLeft?: number }).triesLeft ?? 0);
  if (code === 'ERR_PIN_BLOCKED') return t.blocked;
  if (code === 'ERR_PHONE_REVOKED') return t.phoneRevoked;
  // The verifier's reason (which check failed, e.g. a revoked certificate) follows in its own words.
  if (code === 'ERR_RESPONSE_REJECTED') return `${t.rejected} ${error instanceof Error ? error.message : ''}`.trim();
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message} (${code})` : message;
}
