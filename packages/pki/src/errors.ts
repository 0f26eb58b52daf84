import { OpenMynaError } from '@openmyna/core';

/** Codes thrown by `@openmyna/pki`. */
export type PkiErrorCode =
  | 'ERR_DER_MALFORMED'
  | 'ERR_DER_NOT_CANONICAL'
  | 'ERR_PEM_MALFORMED'
  | 'ERR_ASN1_SCHEMA'
  | 'ERR_DIGEST_INFO'
  | 'ERR_RSA_KEY'
  | 'ERR_SIGNATURE_ALGORITHM'
  | 'ERR_KEY_ENCRYPTION'
  | 'ERR_KEY_PASSPHRASE'
  | 'ERR_KEY_PURPOSE'
  | 'ERR_CERTIFICATE_REQUEST'
  | 'ERR_PROOF_OF_POSSESSION'
  | 'ERR_LINT'
  | 'ERR_PROFILE'
  | 'ERR_CA_STATE'
  | 'ERR_OCSP_REQUEST'
  | 'ERR_OCSP_RESPONSE'
  | 'ERR_CRL'
  | 'ERR_CMS'
  | 'ERR_PATH_VALIDATION'
  | 'ERR_JPKI_IDENTITY';

/** An error from `@openmyna/pki`; `code` is one of {@link PkiErrorCode}. */
export class PkiError extends OpenMynaError<PkiErrorCode> {}
