import { OpenMynaError } from '@openmyna/core';

/** Codes thrown by `@openmyna/mdoc`. */
export type MdocErrorCode =
  | 'ERR_CBOR_MALFORMED'
  | 'ERR_CBOR_STRUCTURE'
  | 'ERR_COSE_HEADER'
  | 'ERR_COSE_ALGORITHM'
  | 'ERR_COSE_KEY'
  | 'ERR_COSE_SIGNATURE'
  | 'ERR_COSE_MAC'
  | 'ERR_MDOC_ELEMENT'
  | 'ERR_MDOC_CERTIFICATE'
  | 'ERR_MDOC_REQUEST'
  | 'ERR_MDOC_REQUEST_REFUSED'
  | 'ERR_MDOC_RESPONSE'
  | 'ERR_MDOC_VERIFICATION'
  | 'ERR_SESSION_DECRYPT'
  | 'ERR_SESSION_COUNTER'
  | 'ERR_SESSION_STATE'
  | 'ERR_ENGAGEMENT'
  | 'ERR_TRANSPORT'
  | 'ERR_OPENID4VP';

/** An error from `@openmyna/mdoc`; `code` is one of {@link MdocErrorCode}. */
export class MdocError extends OpenMynaError<MdocErrorCode> {}
