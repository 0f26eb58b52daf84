import { base64UrlEncode, bytesToBinaryString } from '@openmyna/core';

import { bufferSource } from './bytes.js';
import type { AlgorithmIdentifierValue } from './der-reader.js';
import { readRsaPublicKey, type RsaPublicKeyBytes } from './rsa-key.js';

/** The hashes of the RSASSA-PKCS1-v1_5 signatures we verify. */
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const RSA_PKCS1_HASHES: Readonly<Record<string, HashName>> = {
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
  '1.2.840.113549.1.1.5': 'SHA-1',
};

/**
 * Where RSA signature verification happens. The default is Web Crypto, which runs everywhere;
 * Node services pass `nodeCryptoBackend` from `@openmyna/pki/node`, which verifies synchronously
 * in OpenSSL and is several times faster.
 */
export interface SignatureBackend {
  readonly name: string;
  /** Prepares an RSA public key for `hash`; resolves to `undefined` for a key it cannot use. */
  importRsaPublicKey(key: RsaPublicKeyBytes, hash: HashName): Promise<unknown>;
  /** RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2). */
  verifyRsaPkcs1(key: unknown, hash: HashName, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** SHA-256, synchronously, when the backend has a faster one than the portable (noble) default. */
  readonly sha256?: (data: Uint8Array) => Uint8Array;
}

/** Web Crypto (`crypto.subtle`). Keys are imported as JWK, which is far cheaper than SPKI. */
export const webCryptoBackend: SignatureBackend = {
  name: 'web-crypto',
  importRsaPublicKey: (key, hash) =>
    crypto.subtle
      .importKey(
        'jwk',
        { kty: 'RSA', n: base64UrlEncode(key.modulus), e: base64UrlEncode(key.publicExponent) },
        { name: 'RSASSA-PKCS1-v1_5', hash },
        false,
        ['verify'],
      )
      .catch(() => undefined),
  verifyRsaPkcs1: (key, _hash, data, signature) =>
    crypto.subtle.verify('RSASSA-PKCS1-v1_5', key as CryptoKey, bufferSource(signature), bufferSource(data)),
};

const MAX_CACHED_KEYS = 1024;
const keyCaches = new WeakMap<SignatureBackend, Map<string, Promise<unknown>>>();

/** The outcome of checking one signature. */
export type SignatureCheck = 'valid' | 'invalid' | 'unsupported-algorithm' | 'bad-key';

/**
 * Verifies an RSASSA-PKCS1-v1_5 signature (RFC 8017 §8.2) made with the algorithm of `algorithm`
 * under the key of `publicKeyInfo`. Imported CA and responder keys are cached per backend.
 */
export async function verifySignature(options: {
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  readonly algorithm: AlgorithmIdentifierValue;
  readonly publicKeyInfo: Uint8Array;
  /** Keep the imported key for next time (CA and responder keys). Default `true`. */
  readonly cacheKey?: boolean;
  readonly backend?: SignatureBackend;
}): Promise<SignatureCheck> {
  const hash = RSA_PKCS1_HASHES[options.algorithm.oid];
  // RFC 4055 §5: the parameters of these identifiers are NULL (absence tolerated, as RFC 5754 notes for readers).
  const parameters = options.algorithm.parameters;
  if (
    !hash ||
    !(parameters === undefined || (parameters.length === 2 && parameters[0] === 0x05 && parameters[1] === 0))
  ) {
    return 'unsupported-algorithm';
  }
  const backend = options.backend ?? webCryptoBackend;
  const key = await importKey(backend, options.publicKeyInfo, hash, options.cacheKey ?? true);
  if (!key) return 'bad-key';
  try {
    return (await backend.verifyRsaPkcs1(key, hash, options.data, options.signature)) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

function importKey(
  backend: SignatureBackend,
  publicKeyInfo: Uint8Array,
  hash: HashName,
  cache: boolean,
): Promise<unknown> {
  const load = async () => {
    try {
      return await backend.importRsaPublicKey(readRsaPublicKey(publicKeyInfo), hash);
    } catch {
      return undefined;
    }
  };
  if (!cache) return load();
  let keys = keyCaches.get(backend);
  if (!keys) keyCaches.set(backend, (keys = new Map<string, Promise<unknown>>()));
  // Keyed by every byte of the key (and the hash): a key is reused only for exactly the same SPKI.
  const cacheKey = `${hash}:${bytesToBinaryString(publicKeyInfo)}`;
  let key = keys.get(cacheKey);
  if (!key) {
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string);
    key = load();
    keys.set(cacheKey, key);
  }
  return key;
}
