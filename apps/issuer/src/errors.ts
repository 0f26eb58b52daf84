import { base64Decode, CoreError, OpenMynaError } from '@openmyna/core';

/** Codes of the issuing authority's operations; the HTTP layer maps each to one status (STYLE.md 6). */
export type IssuerErrorCode =
  | 'ERR_PERSON_NOT_FOUND'
  | 'ERR_PERSON_EXISTS'
  | 'ERR_PERSON_INVALID'
  | 'ERR_REGISTRY_KEY'
  | 'ERR_CARD_NOT_FOUND'
  | 'ERR_CARD_STATE'
  | 'ERR_CERTIFICATE_NOT_FOUND'
  | 'ERR_AUDIT_SECRET'
  | 'ERR_PROVISIONING_SESSION_UNKNOWN'
  | 'ERR_PROVISIONING_SESSION_EXPIRED'
  | 'ERR_PROVISIONING_REPLAYED'
  | 'ERR_PROVISIONING_FORMAT'
  | 'ERR_PROVISIONING_NONCE'
  | 'ERR_CARD_CERTIFICATE_UNTRUSTED'
  | 'ERR_CARD_CERTIFICATE_UNKNOWN'
  | 'ERR_CARD_CERTIFICATE_REVOKED'
  | 'ERR_CARD_CERTIFICATE_MISMATCH'
  | 'ERR_CARD_PROOF_INVALID'
  | 'ERR_PHONE_KEY_MISMATCH'
  | 'ERR_PHONE_NOT_FOUND'
  | 'ERR_PHONE_STATE'
  | 'ERR_HOLDER_REQUEST_FORMAT'
  | 'ERR_HOLDER_CHALLENGE_UNKNOWN'
  | 'ERR_HOLDER_CHALLENGE_EXPIRED'
  | 'ERR_HOLDER_CHALLENGE_REPLAYED'
  | 'ERR_HOLDER_PROOF_NOT_ENOUGH'
  | 'ERR_HOLDER_PROOF_INVALID'
  | 'ERR_HOLDER_NOT_PHONE_OWNER'
  | 'ERR_MDOC_REFILL_LIMITED'
  | 'ERR_SECURE_AREA_UNKNOWN'
  | 'ERR_SECURE_AREA_STATE'
  | 'ERR_SECURE_AREA_WIPED'
  | 'ERR_SECURE_AREA_SUSPENDED'
  | 'ERR_SECURE_AREA_BUSY'
  | 'ERR_SECURE_AREA_SESSION_UNKNOWN'
  | 'ERR_SECURE_AREA_PROOF_INVALID'
  | 'ERR_SECURE_AREA_FORMAT'
  | 'ERR_SECURE_AREA_REPLAYED'
  | 'ERR_SECURE_AREA_BUNDLE'
  | 'ERR_SECURE_AREA_REFUSED';

/** An error of the issuing authority; `code` is one of {@link IssuerErrorCode}. */
export class IssuerError extends OpenMynaError<IssuerErrorCode> {}

/** Decodes a base64 request field, or throws `code` naming the field (never echoing the value). */
export function base64Field(text: unknown, field: string, code: IssuerErrorCode): Uint8Array {
  if (typeof text === 'string') {
    try {
      return base64Decode(text);
    } catch (error) {
      if (!(error instanceof CoreError)) throw error;
      throw new IssuerError(code, `"${field}" is not base64`, { cause: error });
    }
  }
  throw new IssuerError(code, `"${field}" is not base64`);
}
