import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { base64UrlDecode, base64UrlEncode } from '@openmyna/core';

import { MdocError } from './errors.js';

/** A P-256 public key as its affine coordinates (each 32 bytes, big-endian). */
export interface EcPublicKey {
  readonly crv: 'P-256';
  readonly x: Uint8Array;
  readonly y: Uint8Array;
}

/**
 * A P-256 private key that never leaves its holder: it signs (ES256, IEEE P1363 `r‖s`) and agrees
 * keys (ECDH, the x coordinate of the shared point), and nothing returns its private part.
 */
export interface EcPrivateKey {
  readonly publicKey: EcPublicKey;
  signEs256(data: Uint8Array): Promise<Uint8Array>;
  deriveSharedSecret(peer: EcPublicKey): Promise<Uint8Array>;
}

export type DigestAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** A P-384 or P-521 public key (coordinates of 48 or 66 bytes): other parties' IACAs, signers and devices. */
export interface WideEcPublicKey {
  readonly crv: 'P-384' | 'P-521';
  readonly x: Uint8Array;
  readonly y: Uint8Array;
}

/** An EdDSA public key (RFC 8032), its encoded point in `x` (32 bytes for Ed25519, 57 for Ed448). */
export interface OkpPublicKey {
  readonly crv: 'Ed25519' | 'Ed448';
  readonly x: Uint8Array;
}

/**
 * Any key ISO/IEC 18013-5 (§9.1.5, Table 22) lets a signer have — an IACA, a document signer, a reader or
 * a device — that we can verify with: ECDSA on P-256, P-384 and P-521, EdDSA on Ed25519 and Ed448. (The
 * brainpool curves are not supported: neither Web Crypto nor our Node backend's JWK import has them; a
 * brainpool certificate or key is refused as unsupported, never accepted.) Our own keys are P-256.
 */
export type VerificationKey = EcPublicKey | WideEcPublicKey | OkpPublicKey;

/** ECDSA curves by name: the noble curve (for point and signature checks) and the coordinate size. */
const EC_CURVES = {
  'P-256': { curve: p256, size: 32 },
  'P-384': { curve: p384, size: 48 },
  'P-521': { curve: p521, size: 66 },
} as const;

/**
 * The primitives of ISO/IEC 18013-5 §9 behind one interface. {@link webMdocCrypto} runs everywhere;
 * Node services pass `nodeMdocCrypto` from `@openmyna/mdoc/node`, which calls OpenSSL synchronously.
 */
export interface MdocCrypto {
  readonly name: string;
  digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array>;
  /**
   * ECDSA with `hash` (`signature` is `r‖s`, each the curve's size) or, for an Ed25519/Ed448 key, EdDSA
   * (RFC 8032, strict; `hash` is not used). False for any malformed input.
   */
  verifySignature(
    key: VerificationKey,
    hash: DigestAlgorithm,
    data: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-SHA-256 (RFC 5869). */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  /** AES-GCM with a 128-bit tag appended to the ciphertext. */
  aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** Throws `ERR_SESSION_DECRYPT` when the tag does not verify. */
  aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  generateEcKey(): Promise<EcPrivateKey>;
  /** A key from its JWK (`kty` EC, `crv` P-256, `d`). */
  importEcPrivateKey(jwk: JsonWebKey): Promise<EcPrivateKey>;
  randomBytes(length: number): Uint8Array;
}

const view = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

/** The public JWK of an EC (`kty` EC) or EdDSA (`kty` OKP) key. */
export function ecPublicJwk(key: EcPublicKey | WideEcPublicKey): JsonWebKey;
export function ecPublicJwk(key: VerificationKey): JsonWebKey;
export function ecPublicJwk(key: VerificationKey): JsonWebKey {
  if (!('y' in key)) return { kty: 'OKP', crv: key.crv, x: base64UrlEncode(key.x) };
  return { kty: 'EC', crv: key.crv, x: base64UrlEncode(key.x), y: base64UrlEncode(key.y) };
}

/**
 * A verification key on any supported curve from its coordinates (EC) or encoded point (EdDSA): lengths
 * and curve membership checked, so no invalid-curve point gets in. Throws `ERR_COSE_KEY`.
 */
export function verificationKey(crv: VerificationKey['crv'], x: Uint8Array, y?: Uint8Array): VerificationKey {
  if (crv === 'Ed25519' || crv === 'Ed448') {
    try {
      (crv === 'Ed25519' ? ed25519 : ed448).Point.fromBytes(x).assertValidity();
    } catch (error) {
      throw new MdocError('ERR_COSE_KEY', `the public key is not a point of ${crv}`, { cause: error });
    }
    return { crv, x };
  }
  if (!y) throw new MdocError('ERR_COSE_KEY', `a ${crv} key has a y coordinate`);
  if (crv === 'P-256') return ecPublicKey(x, y);
  const { curve, size } = EC_CURVES[crv];
  if (x.length !== size || y.length !== size)
    throw new MdocError('ERR_COSE_KEY', `${crv} coordinates are ${size} bytes`);
  try {
    curve.Point.fromAffine({ x: bytesToNumberBE(x), y: bytesToNumberBE(y) }).assertValidity();
  } catch (error) {
    throw new MdocError('ERR_COSE_KEY', `the public key is not a point of ${crv}`, { cause: error });
  }
  return { crv, x, y };
}

/** `r‖s` lengths by curve; EdDSA signatures are 64 (Ed25519) or 114 (Ed448) bytes. */
export function signatureLength(key: VerificationKey): number {
  if (key.crv === 'Ed25519') return 64;
  if (key.crv === 'Ed448') return 114;
  return EC_CURVES[key.crv].size * 2;
}

/** Verifies EdDSA with noble (strict RFC 8032: no ZIP 215 leniency). */
export function verifyEddsa(key: OkpPublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return key.crv === 'Ed25519'
      ? ed25519.verify(signature, data, key.x, { zip215: false })
      : ed448.verify(signature, data, key.x);
  } catch {
    return false;
  }
}

/** A P-256 public key from its JWK; throws `ERR_COSE_KEY` unless the point is on the curve. */
export function ecPublicKeyFromJwk(jwk: JsonWebKey): EcPublicKey {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new MdocError('ERR_COSE_KEY', 'expected an EC P-256 JWK');
  }
  let x: Uint8Array;
  let y: Uint8Array;
  try {
    x = base64UrlDecode(jwk.x);
    y = base64UrlDecode(jwk.y);
  } catch (error) {
    throw new MdocError('ERR_COSE_KEY', 'the JWK "x" or "y" is not base64url', { cause: error });
  }
  return ecPublicKey(x, y);
}

/** Checks lengths and that (x, y) is a point of P-256 (SEC 1 §3.2.2.1), so no invalid-curve point gets in. */
export function ecPublicKey(x: Uint8Array, y: Uint8Array): EcPublicKey {
  if (x.length !== 32 || y.length !== 32) throw new MdocError('ERR_COSE_KEY', 'P-256 coordinates are 32 bytes');
  try {
    // fromAffine skips the decoding and inversion fromBytes does; assertValidity checks range and curve equation.
    p256.Point.fromAffine({ x: bytesToNumberBE(x), y: bytesToNumberBE(y) }).assertValidity();
  } catch (error) {
    throw new MdocError('ERR_COSE_KEY', 'the public key is not a point of P-256', { cause: error });
  }
  return { crv: 'P-256', x, y };
}

/** SEC 1 uncompressed point `04‖x‖y`. */
export function uncompressedPoint(key: EcPublicKey): Uint8Array {
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(key.x, 1);
  point.set(key.y, 33);
  return point;
}

/**
 * X9.62 DER `ECDSA-Sig-Value` to `r‖s` for a key on `crv` (default P-256), strictly (Wycheproof's
 * malleability cases are refused).
 */
export function ecdsaDerToRaw(der: Uint8Array, crv: keyof typeof EC_CURVES = 'P-256'): Uint8Array | undefined {
  try {
    return EC_CURVES[crv].curve.Signature.fromBytes(der, 'der').toBytes('compact');
  } catch {
    return undefined;
  }
}

export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  return p256.Signature.fromBytes(raw, 'compact').toBytes('der');
}

/** NIST SP 800-38D §8.2: the IVs we use are 96-bit (ISO/IEC 18013-5 §9.1.1.5); other lengths are refused. */
export function assertGcmIv(iv: Uint8Array): void {
  if (iv.length !== 12) throw new MdocError('ERR_SESSION_DECRYPT', 'AES-GCM IVs are 12 bytes');
}

class WebEcPrivateKey implements EcPrivateKey {
  constructor(
    readonly publicKey: EcPublicKey,
    private readonly signingKey: CryptoKey,
    private readonly agreementKey: CryptoKey,
  ) {}

  async signEs256(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.signingKey, view(data)));
  }

  async deriveSharedSecret(peer: EcPublicKey): Promise<Uint8Array> {
    const peerKey = await crypto.subtle.importKey(
      'jwk',
      ecPublicJwk(peer),
      { name: 'ECDH', namedCurve: 'P-256' },
      false,
      [],
    );
    return new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: peerKey }, this.agreementKey, 256));
  }
}

async function importWebPrivateKey(jwk: JsonWebKey): Promise<EcPrivateKey> {
  const publicKey = ecPublicKeyFromJwk(jwk);
  if (typeof jwk.d !== 'string') throw new MdocError('ERR_COSE_KEY', 'the JWK has no private part');
  const bare: JsonWebKey = { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d };
  const signingKey = await crypto.subtle.importKey('jwk', bare, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ]);
  const agreementKey = await crypto.subtle.importKey('jwk', bare, { name: 'ECDH', namedCurve: 'P-256' }, false, [
    'deriveBits',
  ]);
  return new WebEcPrivateKey(publicKey, signingKey, agreementKey);
}

/**
 * Web Crypto (`crypto.subtle`): browsers, Deno, Node. Private keys are imported non-extractable.
 *
 * @example
 * ```ts
 * const deviceKey = await webMdocCrypto.generateEcKey();
 * ```
 */
export const webMdocCrypto: MdocCrypto = {
  name: 'web-crypto',
  digest: async (algorithm, data) => new Uint8Array(await crypto.subtle.digest(algorithm, view(data))),
  async verifySignature(key, hash, data, signature) {
    if (signature.length !== signatureLength(key)) return false;
    // EdDSA by noble: Web Crypto's Ed25519 is not in every browser, and no browser has Ed448.
    if (key.crv === 'Ed25519' || key.crv === 'Ed448') return verifyEddsa(key, data, signature);
    try {
      const publicKey = await crypto.subtle.importKey(
        'jwk',
        ecPublicJwk(key),
        { name: 'ECDSA', namedCurve: key.crv },
        false,
        ['verify'],
      );
      return await crypto.subtle.verify({ name: 'ECDSA', hash }, publicKey, view(signature), view(data));
    } catch {
      return false;
    }
  },
  async hmacSha256(key, data) {
    const hmacKey = await crypto.subtle.importKey('raw', view(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, view(data)));
  },
  async hkdfSha256(ikm, salt, info, length) {
    const key = await crypto.subtle.importKey('raw', view(ikm), 'HKDF', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: view(salt), info: view(info) },
      key,
      length * 8,
    );
    return new Uint8Array(bits);
  },
  async aesGcmEncrypt(key, iv, plaintext, aad) {
    assertGcmIv(iv);
    const aesKey = await crypto.subtle.importKey('raw', view(key), 'AES-GCM', false, ['encrypt']);
    const params: AesGcmParams = { name: 'AES-GCM', iv: view(iv), tagLength: 128 };
    if (aad) params.additionalData = view(aad);
    return new Uint8Array(await crypto.subtle.encrypt(params, aesKey, view(plaintext)));
  },
  async aesGcmDecrypt(key, iv, ciphertext, aad) {
    try {
      assertGcmIv(iv);
      const aesKey = await crypto.subtle.importKey('raw', view(key), 'AES-GCM', false, ['decrypt']);
      const params: AesGcmParams = { name: 'AES-GCM', iv: view(iv), tagLength: 128 };
      if (aad) params.additionalData = view(aad);
      return new Uint8Array(await crypto.subtle.decrypt(params, aesKey, view(ciphertext)));
    } catch (error) {
      throw new MdocError('ERR_SESSION_DECRYPT', 'AES-GCM authentication failed', { cause: error });
    }
  },
  async generateEcKey() {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
    return importWebPrivateKey(jwk);
  },
  importEcPrivateKey: importWebPrivateKey,
  randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
};
