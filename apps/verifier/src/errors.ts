import { OpenMynaError } from '@openmyna/core';

/** Codes of the verifier service; the HTTP layer maps each to one status (STYLE.md 6). */
export const VERIFIER_SERVICE_ERROR_CODES = [
  'ERR_RP_INVALID',
  'ERR_RP_NOT_FOUND',
  'ERR_RP_NOT_AUTHORIZED',
  'ERR_PRESENTATION_NOT_FOUND',
  'ERR_PRESENTATION_EXPIRED',
  'ERR_PRESENTATION_ANSWERED',
  'ERR_PRESENTATION_RESPONSE',
  'ERR_PRESENTATION_REJECTED',
  'ERR_ENGAGEMENT',
  'ERR_PROXIMITY_UNAVAILABLE',
  'ERR_AUDIT_SECRET',
  'ERR_SEALED',
] as const;
export type VerifierServiceErrorCode = (typeof VERIFIER_SERVICE_ERROR_CODES)[number];

/** An error of the verifier service; `code` is one of {@link VerifierServiceErrorCode}. */
export class VerifierServiceError extends OpenMynaError<VerifierServiceErrorCode> {}
