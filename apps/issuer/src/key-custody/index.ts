export { KeyCustodyError, type KeyCustodyErrorCode } from './errors.js';
export { mergeJson, readJson, writeAtomically } from './files.js';
export type { CardKeyPair, KeyCustody, KeyCustodyBackend } from './key-custody.js';
export {
  AUTHORITY_KEY_NAMES,
  jpkiCaKey,
  jpkiOcspKey,
  type AuthorityKeyName,
  type CardKeyName,
  type EcKeyName,
  type KeyName,
  type RsaKeyName,
} from './key-names.js';
export { openKeyCustody, type KeyCustodySpec } from './open-key-custody.js';
export { openPkcs11Custody, type Pkcs11CustodyOptions } from './pkcs11-custody.js';
export { parsePkcs11Uri, redactPkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';
export { signEs256Jwt } from './sign-jwt.js';
export { openSealedFileCustody, type SealedFileCustodyOptions } from './sealed-file-custody.js';
