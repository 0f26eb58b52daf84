import { z } from '@hono/zod-openapi';
import { base64Decode } from '@openmyna/core';

import type { RequestedElement } from '../services.js';

/** The error envelope, as every route documents it. */
export const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** The error answers every route of a relying party may give. */
export const errorResponses = {
  400: errorResponse('The request was malformed'),
  401: errorResponse('No or wrong credentials'),
  403: errorResponse('Not authorized for this'),
  404: errorResponse('Not found'),
  429: errorResponse('Rate limited'),
} as const;

/** `501`: the service runs no relay for in-person sessions. */
export const noRelayResponse = errorResponse('No relay');

const decodesAsBase64 = (text: string): boolean => {
  try {
    base64Decode(text);
    return true;
  } catch {
    return false;
  }
};

/** Bytes in a JSON body: RFC 4648 §4 base64 with padding, strictly (one spelling per byte string). */
export const Base64Schema = z
  .string()
  .max(200_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/)
  .refine(decodesAsBase64, 'not base64 (RFC 4648 §4, padded)');

/** A card-face element a relying party asks for or registers for. */
export const ElementSchema = z.object({
  nameSpace: z.string().min(1).max(100),
  elementIdentifier: z.string().min(1).max(100),
  intentToRetain: z.boolean().optional(),
});

/** Requested elements as the service takes them (an absent `intentToRetain` stays absent). */
export function requestedElementsOf(elements: readonly z.output<typeof ElementSchema>[]): RequestedElement[] {
  return elements.map(({ nameSpace, elementIdentifier, intentToRetain }) => ({
    nameSpace,
    elementIdentifier,
    ...(intentToRetain === undefined ? {} : { intentToRetain }),
  }));
}

/** A resource id in a path. */
export const IdParams = z.object({ id: z.string().min(1).max(64) });
