import { bytesToHex } from '@noble/hashes/utils.js';

import { bufferSource } from './bytes.js';
import type { AlgorithmIdentifierValue } from './der-reader.js';

const RSA_PKCS1_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
  '1.2.840.113549.1.1.5': 'SHA-1',
};

const MAX_CACHED_KEYS = 1024;
const keyCache = new Map<string, Promise<CryptoKey | undefined>>();

/** The outcome of checking one signature. */
export type SignatureCheck = 'valid' | 'invalid' | 'unsupported-algorithm' | 'bad-key';

/**
 * Verifies an RSASSA-PKCS1-v1_5 signature (RFC 8017 §8.2) made with the algorithm of `algorithm`
 * under the key of `publicKeyInfo`. Imported keys are cached by their bytes, since CA and responder
 * keys are used again and again.
 */
export async function verifySignature(options: {
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  readonly algorithm: AlgorithmIdentifierValue;
  readonly publicKeyInfo: Uint8Array;
}): Promise<SignatureCheck> {
  const hash = RSA_PKCS1_HASHES[options.algorithm.oid];
  // RFC 4055 §5: the parameters of these identifiers are NULL (absence tolerated, as RFC 5754 notes for readers).
  if (!hash || !(options.algorithm.parameters === undefined || bytesToHex(options.algorithm.parameters) === '0500')) {
    return 'unsupported-algorithm';
  }
  const key = await importRsaKey(options.publicKeyInfo, hash);
  if (!key) return 'bad-key';
  const valid = await crypto.subtle.verify(
    'RSASSA-PKCS1-v1_5',
    key,
    bufferSource(options.signature),
    bufferSource(options.data),
  );
  return valid ? 'valid' : 'invalid';
}

function importRsaKey(publicKeyInfo: Uint8Array, hash: string): Promise<CryptoKey | undefined> {
  const cacheKey = `${hash}:${bytesToHex(publicKeyInfo)}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.delete(keyCache.keys().next().value as string);
    key = crypto.subtle
      .importKey('spki', bufferSource(publicKeyInfo), { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['verify'])
      .catch(() => undefined);
    keyCache.set(cacheKey, key);
  }
  return key;
}
