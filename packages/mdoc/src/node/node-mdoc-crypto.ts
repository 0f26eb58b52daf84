import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type JsonWebKey as NodeJsonWebKey,
  type KeyObject,
} from 'node:crypto';

import { MdocError } from '../errors.js';
import {
  assertGcmIv,
  ecPublicJwk,
  ecPublicKeyFromJwk,
  signatureLength,
  type EcPrivateKey,
  type EcPublicKey,
  type MdocCrypto,
  type VerificationKey,
} from '../crypto.js';
import { base64Encode } from '@openmyna/core';

const NODE_HASH = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;
const bytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);

// Public keys are imported once: document-signer and reader keys recur on every verification, and a
// device key is decoded afresh from each response's MSO, so the cache is keyed by the key's bytes (a
// WeakMap by object would miss every time). Bounded, least recently used first out.
const PUBLIC_KEY_CACHE = 4096;
const publicKeys = new Map<string, KeyObject>();
function publicKeyObject(key: VerificationKey): KeyObject {
  const id = `${key.crv}:${base64Encode(key.x)}:${'y' in key ? base64Encode(key.y) : ''}`;
  let object = publicKeys.get(id);
  if (object) {
    publicKeys.delete(id);
  } else {
    object = createPublicKey({ key: ecPublicJwk(key) as NodeJsonWebKey, format: 'jwk' });
    if (publicKeys.size >= PUBLIC_KEY_CACHE) publicKeys.delete(publicKeys.keys().next().value!);
  }
  publicKeys.set(id, object);
  return object;
}

class NodeEcPrivateKey implements EcPrivateKey {
  readonly publicKey: EcPublicKey;

  constructor(private readonly privateKey: KeyObject) {
    this.publicKey = ecPublicKeyFromJwk(createPublicKey(privateKey).export({ format: 'jwk' }));
  }

  signEs256(data: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(bytes(sign('sha256', data, { key: this.privateKey, dsaEncoding: 'ieee-p1363' })));
  }

  deriveSharedSecret(peer: EcPublicKey): Promise<Uint8Array> {
    return Promise.resolve(bytes(diffieHellman({ privateKey: this.privateKey, publicKey: publicKeyObject(peer) })));
  }
}

function gcm(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new MdocError('ERR_SESSION_DECRYPT', 'AES keys are 16, 24 or 32 bytes');
}

/**
 * The mdoc primitives in Node's OpenSSL, synchronously (no thread-pool round trip per operation).
 *
 * @example
 * ```ts
 * import { nodeMdocCrypto } from '@openmyna/mdoc/node';
 * const result = await verifyDeviceResponse({ ..., crypto: nodeMdocCrypto });
 * ```
 */
export const nodeMdocCrypto: MdocCrypto = {
  name: 'node-crypto',
  digest: (algorithm, data) => Promise.resolve(bytes(createHash(NODE_HASH[algorithm]).update(data).digest())),
  verifySignature(key, hash, data, signature) {
    if (signature.length !== signatureLength(key)) return Promise.resolve(false);
    try {
      const eddsa = key.crv === 'Ed25519' || key.crv === 'Ed448';
      return Promise.resolve(
        verify(
          eddsa ? null : NODE_HASH[hash],
          data,
          { key: publicKeyObject(key), dsaEncoding: 'ieee-p1363' },
          signature,
        ),
      );
    } catch {
      return Promise.resolve(false);
    }
  },
  hmacSha256: (key, data) => Promise.resolve(bytes(createHmac('sha256', key).update(data).digest())),
  hkdfSha256: (ikm, salt, info, length) => Promise.resolve(new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))),
  aesGcmEncrypt(key, iv, plaintext, aad) {
    assertGcmIv(iv);
    const cipher = createCipheriv(gcm(key), key, iv, { authTagLength: 16 });
    if (aad) cipher.setAAD(aad);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    return Promise.resolve(bytes(Buffer.concat([head, tail, cipher.getAuthTag()])));
  },
  aesGcmDecrypt(key, iv, ciphertext, aad) {
    try {
      assertGcmIv(iv);
      if (ciphertext.length < 16) throw new Error('shorter than the tag');
      const decipher = createDecipheriv(gcm(key), key, iv, { authTagLength: 16 });
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
      if (aad) decipher.setAAD(aad);
      const head = decipher.update(ciphertext.subarray(0, ciphertext.length - 16));
      return Promise.resolve(bytes(Buffer.concat([head, decipher.final()])));
    } catch (error) {
      return Promise.reject(new MdocError('ERR_SESSION_DECRYPT', 'AES-GCM authentication failed', { cause: error }));
    }
  },
  generateEcKey: () =>
    Promise.resolve(new NodeEcPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)),
  importEcPrivateKey(jwk) {
    try {
      return Promise.resolve(new NodeEcPrivateKey(createPrivateKey({ key: jwk as NodeJsonWebKey, format: 'jwk' })));
    } catch (error) {
      return Promise.reject(new MdocError('ERR_COSE_KEY', 'not a P-256 private JWK', { cause: error }));
    }
  },
  randomBytes: (length) => bytes(randomBytes(length)),
};
