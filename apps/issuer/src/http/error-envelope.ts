import { OpenMynaError } from '@openmyna/core';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';

/** The one error body every endpoint uses (STYLE.md 6). */
export interface ErrorEnvelope {
  readonly error: { readonly code: string; readonly message: string };
}

/** Error codes to HTTP statuses, in one table. Anything not listed is a 500 with no detail. */
const STATUS: Readonly<Record<string, ContentfulStatusCode>> = {
  ERR_VALIDATION: 400,
  ERR_PERSON_INVALID: 400,
  ERR_AUDIT_SECRET: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_PERSON_NOT_FOUND: 404,
  ERR_CARD_NOT_FOUND: 404,
  ERR_CERTIFICATE_NOT_FOUND: 404,
  ERR_NOT_FOUND: 404,
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
};

/** Anything with Hono's `c.json`. */
type JsonContext = Pick<Context, 'json'>;

export function errorResponse(c: JsonContext, code: string, message: string, status?: ContentfulStatusCode): Response {
  return c.json({ error: { code, message } } satisfies ErrorEnvelope, status ?? STATUS[code] ?? 400);
}

/** Maps a thrown error to the envelope; 5xx detail goes to the log only. */
export function handleError(error: unknown, c: Context, logger: Logger): Response {
  if (error instanceof OpenMynaError) {
    // instanceof narrows a generic class to OpenMynaError<any>; the code is a string.
    const { code, message } = error as OpenMynaError<string>;
    if (STATUS[code] !== undefined) return errorResponse(c, code, message);
  }
  // Only name, code, message and stack are logged: a driver's extra fields (PostgreSQL's `detail`
  // quotes the offending row's values) could carry a My Number.
  const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
  const code = (error as { code?: unknown }).code;
  logger.error(
    {
      err: { name, message, stack, ...(typeof code === 'string' ? { code } : {}) },
      route: c.req.routePath,
      method: c.req.method,
    },
    'request failed',
  );
  return c.json(
    { error: { code: 'ERR_INTERNAL', message: 'the issuer could not complete the request' } } satisfies ErrorEnvelope,
    500,
  );
}
