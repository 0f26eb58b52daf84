import { KeyCustodyError } from './errors.js';

/**
 * The keys of the issuing authority, by name. The set is closed: the authority-wide keys below, and one
 * 入力補助 and one 券面 issuer key per municipality (`kenhojo-issuer/<code>`, `kenkaku-issuer/<code>`).
 *
 * | name | algorithm | signs |
 * | --- | --- | --- |
 * | `jpki-signing-ca`, `jpki-authentication-ca` | RSA-2048, sha256WithRSAEncryption | JPKI certificates and CRLs |
 * | `jpki-signing-ocsp`, `jpki-authentication-ocsp` | RSA-2048, sha256WithRSAEncryption | OCSP answers |
 * | `kenhojo-ca`, `kenkaku-ca` | RSA-2048, sha256WithRSAEncryption | card-face CV certificates |
 * | `kenhojo-issuer/<code>` | RSA-2048, sha256WithRSAEncryption | 入力補助 records |
 * | `kenkaku-issuer/<code>` | RSA-2048, raw PKCS#1 v1.5 (a card key) | 券面 records |
 * | `mdoc-iaca`, `mdoc-document-signer` | ECDSA P-256 | the document-signer certificate; MSOs and status lists |
 * | `pin-reset` | ECDSA P-256 | PIN-reset authorizations (ES256 JWTs) |
 */
export const AUTHORITY_KEY_NAMES = [
  'jpki-signing-ca',
  'jpki-authentication-ca',
  'jpki-signing-ocsp',
  'jpki-authentication-ocsp',
  'kenhojo-ca',
  'kenkaku-ca',
  'mdoc-iaca',
  'mdoc-document-signer',
  'pin-reset',
] as const;

/** A key the whole authority has once. */
export type AuthorityKeyName = (typeof AUTHORITY_KEY_NAMES)[number];

/** Keys that sign with sha256WithRSAEncryption (certificates, CRLs, OCSP answers, CV certificates, 入力補助 records). */
export type RsaKeyName =
  | 'jpki-signing-ca'
  | 'jpki-authentication-ca'
  | 'jpki-signing-ocsp'
  | 'jpki-authentication-ocsp'
  | 'kenhojo-ca'
  | 'kenkaku-ca'
  | `kenhojo-issuer/${string}`;

/** Keys that sign raw PKCS#1 v1.5 blocks as a card does (券面 records). */
export type CardKeyName = `kenkaku-issuer/${string}`;

/** ECDSA P-256 keys (ES256). */
export type EcKeyName = 'mdoc-iaca' | 'mdoc-document-signer' | 'pin-reset';

/** Every key name the custody answers to. */
export type KeyName = RsaKeyName | CardKeyName | EcKeyName;

/** The JPKI CA key of a hierarchy. */
export const jpkiCaKey = (hierarchy: 'signing' | 'authentication'): RsaKeyName => `jpki-${hierarchy}-ca`;

/** The delegated OCSP responder key of a hierarchy. */
export const jpkiOcspKey = (hierarchy: 'signing' | 'authentication'): RsaKeyName => `jpki-${hierarchy}-ocsp`;

/**
 * Refuses a name outside the closed set: a municipality code is 5 or 6 digits, so no name reaches
 * another key's file or label (`kenhojo-issuer/13101/x`, `kenhojo-issuer/../x`).
 */
export function checkKeyName(name: string): void {
  if ((AUTHORITY_KEY_NAMES as readonly string[]).includes(name) || /^(kenhojo|kenkaku)-issuer\/\d{5,6}$/.test(name))
    return;
  throw new KeyCustodyError('ERR_KEY_CUSTODY_USAGE', `"${name}" is not a key name of the authority`);
}
