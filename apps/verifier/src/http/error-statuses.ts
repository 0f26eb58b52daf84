import { errorEnvelope } from '@openmyna/service';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

import type { VerifierServiceErrorCode } from '../errors.js';

/** How the service answers an error of its own: with this status and its message, or as its own fault. */
export type ErrorAnswer = ContentfulStatusCode | 'internal';

/**
 * Every code of the verifier service and how the HTTP API answers it (STYLE.md 6): closed over
 * {@link VerifierServiceErrorCode}, so a new code does not build without its row.
 *
 * `ERR_SEALED` is `internal`: every sealed value (a relying party's request key, a response-decryption
 * key, disclosed values) is read from the service's own database, never from a request, so one that does
 * not open is the service's fault — a sealing key other than the one that sealed it, or a row changed
 * behind the service's back. It answers 500 `ERR_INTERNAL` without its detail and goes to the log with
 * its code, where the operator sees it; a 4xx would blame a caller who could not have caused it.
 */
export const VERIFIER_ERROR_ANSWERS: Readonly<Record<VerifierServiceErrorCode, ErrorAnswer>> = {
  ERR_RP_INVALID: 400,
  ERR_RP_NOT_FOUND: 404,
  ERR_RP_NOT_AUTHORIZED: 403,
  ERR_PRESENTATION_NOT_FOUND: 404,
  ERR_PRESENTATION_EXPIRED: 410,
  ERR_PRESENTATION_ANSWERED: 409,
  ERR_PRESENTATION_RESPONSE: 400,
  ERR_PRESENTATION_REJECTED: 400,
  ERR_ENGAGEMENT: 400,
  ERR_PROXIMITY_UNAVAILABLE: 501,
  ERR_AUDIT_SECRET: 400,
  ERR_SEALED: 'internal',
};

/** The statuses of the codes answered with their own message: every row but the `internal` ones. */
const statuses = Object.fromEntries(
  Object.entries(VERIFIER_ERROR_ANSWERS).filter((row): row is [string, ContentfulStatusCode] => row[1] !== 'internal'),
);

/** The verifier's one error envelope: `{ error: { code, message } }` with the status of its code. */
export const verifierEnvelope = errorEnvelope({
  statuses,
  internalMessage: 'the verifier could not complete the request',
});
