import { errorEnvelope, type ErrorEnvelopeHandlers } from '@openmyna/service';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

import type { IssuerErrorCode } from '../errors.js';

/**
 * The HTTP status of every issuer error code (STYLE.md 6): typed over the whole union, so a new code
 * without a row fails to compile. `internal` codes (the issuer's own keys or data are wrong) answer a
 * bare 500 whose detail goes to the log only. Codes of the packages the issuer calls (card, pki, mdoc,
 * core) never reach the envelope from a request: the operations map the client's part of them to
 * their own codes where they are thrown, so any that arrives is internal too.
 */
export const ISSUER_ERROR_STATUSES: Readonly<Record<IssuerErrorCode, ContentfulStatusCode | 'internal'>> = {
  ERR_PERSON_INVALID: 400,
  ERR_AUDIT_SECRET: 400,
  ERR_REGISTRY_KEY: 'internal',
  ERR_PERSON_NOT_FOUND: 404,
  ERR_CARD_NOT_FOUND: 404,
  ERR_CERTIFICATE_NOT_FOUND: 404,
  ERR_PERSON_EXISTS: 409,
  ERR_CARD_STATE: 409,
  ERR_PHONE_NOT_FOUND: 404,
  ERR_PHONE_STATE: 409,
  ERR_PROVISIONING_SESSION_UNKNOWN: 404,
  ERR_PROVISIONING_SESSION_EXPIRED: 410,
  ERR_PROVISIONING_REPLAYED: 409,
  ERR_PROVISIONING_FORMAT: 400,
  ERR_PROVISIONING_NONCE: 400,
  ERR_CARD_CERTIFICATE_UNTRUSTED: 403,
  ERR_CARD_CERTIFICATE_UNKNOWN: 403,
  ERR_CARD_CERTIFICATE_REVOKED: 403,
  ERR_CARD_CERTIFICATE_MISMATCH: 403,
  ERR_CARD_PROOF_INVALID: 403,
  ERR_PHONE_KEY_MISMATCH: 403,
  ERR_HOLDER_REQUEST_FORMAT: 400,
  ERR_HOLDER_CHALLENGE_UNKNOWN: 404,
  ERR_HOLDER_CHALLENGE_EXPIRED: 410,
  ERR_HOLDER_CHALLENGE_REPLAYED: 409,
  ERR_HOLDER_PROOF_NOT_ENOUGH: 403,
  ERR_HOLDER_PROOF_INVALID: 403,
  ERR_HOLDER_NOT_PHONE_OWNER: 403,
  ERR_MDOC_REFILL_LIMITED: 429,
  ERR_SECURE_AREA_UNKNOWN: 404,
  ERR_SECURE_AREA_STATE: 409,
  ERR_SECURE_AREA_WIPED: 410,
  ERR_SECURE_AREA_SUSPENDED: 409,
  // Too many enrollments or new sessions at once: the client retries shortly (its message says so).
  ERR_SECURE_AREA_BUSY: 503,
  ERR_SECURE_AREA_SESSION_UNKNOWN: 404,
  ERR_SECURE_AREA_PROOF_INVALID: 403,
  ERR_SECURE_AREA_FORMAT: 400,
  ERR_SECURE_AREA_REPLAYED: 409,
  ERR_SECURE_AREA_BUNDLE: 403,
  ERR_SECURE_AREA_REFUSED: 403,
};

/** The rows the envelope answers with their own code and message (the internal ones are left out: 500). */
const ANSWERED: Readonly<Record<string, ContentfulStatusCode>> = Object.fromEntries(
  Object.entries(ISSUER_ERROR_STATUSES).filter((row): row is [string, ContentfulStatusCode] => row[1] !== 'internal'),
);

export const envelope: ErrorEnvelopeHandlers = errorEnvelope({
  statuses: ANSWERED,
  internalMessage: 'the issuer could not complete the request',
});

/** Writes the error envelope for `code`. */
export const errorResponse: ErrorEnvelopeHandlers['respond'] = envelope.respond;
/** Maps a thrown error to the envelope; 5xx detail goes to the log only. */
export const handleError: ErrorEnvelopeHandlers['handle'] = envelope.handle;
