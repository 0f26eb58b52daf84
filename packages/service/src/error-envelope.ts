import { OpenMynaError } from '@openmyna/core';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';

/** The one error body every endpoint uses (STYLE.md 6). */
export interface ErrorEnvelope {
  readonly error: { readonly code: string; readonly message: string };
}

/** Anything with Hono's `c.json`. */
export type JsonContext = Pick<Context, 'json'>;

/** What {@link errorEnvelope} returns. */
export interface ErrorEnvelopeHandlers {
  /** Writes the envelope for `code` with its status (or `status`). */
  readonly respond: (c: JsonContext, code: string, message: string, status?: ContentfulStatusCode) => Response;
  /** Maps a thrown error to the envelope; 5xx detail goes to the log only. */
  readonly handle: (error: unknown, c: Context, logger: Logger) => Response;
  readonly statuses: Readonly<Record<string, ContentfulStatusCode>>;
}

/** The codes every service answers, whatever its own table says. */
const COMMON: Readonly<Record<string, ContentfulStatusCode>> = {
  ERR_VALIDATION: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_NOT_FOUND: 404,
  ERR_BODY_TOO_LARGE: 413,
  ERR_RATE_LIMITED: 429,
  ERR_UNAVAILABLE: 503,
};

/** Hono's own client errors (the validators' "Malformed JSON", "Unsupported Media Type"), in our words. */
const HTTP_EXCEPTIONS: Readonly<Record<number, readonly [code: string, message: string]>> = {
  400: ['ERR_VALIDATION', 'the request body cannot be read as the declared content-type'],
  413: ['ERR_BODY_TOO_LARGE', 'the request body is too large'],
  415: ['ERR_VALIDATION', 'the request body has the wrong content-type for this endpoint'],
};

/**
 * The error envelope of a service with its table of error codes to HTTP statuses: `respond` writes
 * one, `handle` maps a thrown error to one. A code not in the table is a 500 whose detail goes to the
 * log only — name, code, message and stack, never a driver's extra fields (PostgreSQL's `detail` quotes
 * the offending row's values, which could carry a My Number).
 */
export function errorEnvelope(options: {
  readonly statuses: Readonly<Record<string, ContentfulStatusCode>>;
  /** The message of a 500, e.g. "the issuer could not complete the request". */
  readonly internalMessage: string;
}): ErrorEnvelopeHandlers {
  const statuses = { ...COMMON, ...options.statuses };
  const respond = (c: JsonContext, code: string, message: string, status?: ContentfulStatusCode): Response =>
    c.json({ error: { code, message } } satisfies ErrorEnvelope, status ?? statuses[code] ?? 400);
  const handle = (error: unknown, c: Context, logger: Logger): Response => {
    const known = error instanceof HTTPException ? HTTP_EXCEPTIONS[error.status] : undefined;
    if (known) return respond(c, known[0], known[1]);
    if (error instanceof OpenMynaError) {
      // instanceof narrows a generic class to OpenMynaError<any>; the code is a string.
      const { code, message } = error as OpenMynaError<string>;
      if (statuses[code] !== undefined) return respond(c, code, message);
    }
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
    return c.json({ error: { code: 'ERR_INTERNAL', message: options.internalMessage } } satisfies ErrorEnvelope, 500);
  };
  return { respond, handle, statuses };
}
