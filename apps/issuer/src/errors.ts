import { OpenMynaError } from '@openmyna/core';

/** Codes of the issuing authority's operations; the HTTP layer maps each to one status (STYLE.md 6). */
export type IssuerErrorCode =
  | 'ERR_PERSON_NOT_FOUND'
  | 'ERR_PERSON_EXISTS'
  | 'ERR_PERSON_INVALID'
  | 'ERR_CARD_NOT_FOUND'
  | 'ERR_CARD_STATE'
  | 'ERR_CERTIFICATE_NOT_FOUND'
  | 'ERR_AUDIT_SECRET';

/** An error of the issuing authority; `code` is one of {@link IssuerErrorCode}. */
export class IssuerError extends OpenMynaError<IssuerErrorCode> {}
