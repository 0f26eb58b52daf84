import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

import type { HashName, SignatureBackend } from '../verify-signature.js';

const NODE_HASH: Record<HashName, string> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/**
 * RSA verification in Node's OpenSSL: keys are loaded from their PKCS#1 form (microseconds, where
 * SPKI parsing takes over a hundred) and verified synchronously, without the thread-pool round trip
 * of Web Crypto.
 *
 * @example
 * ```ts
 * import { nodeCryptoBackend } from '@openmyna/pki/node';
 * await validatePath({ certificate, trustAnchors, time, backend: nodeCryptoBackend });
 * ```
 */
export const nodeCryptoBackend: SignatureBackend = {
  name: 'node-crypto',
  importRsaPublicKey: (key) =>
    Promise.resolve(createPublicKey({ key: Buffer.from(key.pkcs1), format: 'der', type: 'pkcs1' })),
  verifyRsaPkcs1: (key, hash, data, signature) =>
    Promise.resolve(verify(NODE_HASH[hash], data, key as KeyObject, signature)),
  sha256: (data) => {
    const digest = createHash('sha256').update(data).digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
  },
};
