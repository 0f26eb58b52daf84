import { OpenMynaError } from '@openmyna/core';

/** Codes of the key custody. */
export type KeyCustodyErrorCode =
  /** The `--keys` value or PKCS#11 URI (RFC 7512) is malformed. */
  | 'ERR_KEY_CUSTODY_URI'
  /** The PKCS#11 module could not be loaded or initialised. */
  | 'ERR_KEY_CUSTODY_MODULE'
  /** No token matches the URI. */
  | 'ERR_KEY_CUSTODY_TOKEN'
  /** No PIN was given, or the token refused it. */
  | 'ERR_KEY_CUSTODY_PIN'
  /** The named key does not exist (yet) in the custody. */
  | 'ERR_KEY_CUSTODY_KEY_MISSING'
  /** The key was asked for an operation it does not do (e.g. key agreement with a signing key). */
  | 'ERR_KEY_CUSTODY_USAGE'
  /** The token failed an operation. */
  | 'ERR_KEY_CUSTODY_TOKEN_OPERATION';

/** An error of the key custody; messages name keys and tokens, never a PIN or key material. */
export class KeyCustodyError extends OpenMynaError<KeyCustodyErrorCode> {}
