import { z } from '@hono/zod-openapi';
import { parseIsoDate } from '@openmyna/core';

/** The error envelope every failure answers with (STYLE.md 6). */
export const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');

/** A documented failure of a route: `description`, answered with the {@link ErrorSchema} envelope. */
export const failure = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** The failures every registry route may answer. */
export const errorResponses = {
  400: failure('The request was malformed'),
  401: failure('No or wrong admin token'),
  404: failure('Not found'),
  409: failure('In conflict with the registry'),
} as const;

/** The failures of a holder's proof: refused (403) or its challenge expired (410). */
export const proofResponses = {
  403: failure('The proof was refused'),
  410: failure('The challenge expired'),
} as const;

/** Standard base64 (RFC 4648 §4) of a binary request field, decoded by the operation. */
export const Base64 = z
  .string()
  .max(100_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const PersonId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
/** The id of a card, a phone or a session in a path. */
export const ResourceId = z.object({ id: z.string().min(1).max(64) });
export const Reason = z.object({ reason: z.string().min(1).max(200) });

/** `YYYY-MM-DD` that names a day of the calendar (not 9999-99-99). */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((text) => {
    try {
      parseIsoDate(text);
      return true;
    } catch {
      return false;
    }
  }, 'not a date of the calendar');

/** The certificates an operation revoked. */
export const Revoked = z.object({ revoked: z.array(z.string()) }).openapi('Revoked');

/** A phone's new state and the certificates that changed with it. */
export const PhoneStateChange = z.object({ status: z.string(), serials: z.array(z.string()) });
