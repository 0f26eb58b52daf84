import { type CborValue } from './cbor.js';
import { asBytes, asInteger, isMap } from './cbor-structure.js';
import { ecPublicKey, verificationKey, type EcPublicKey, type VerificationKey } from './crypto.js';
import { COSE_ALG } from './cose.js';
import { MdocError } from './errors.js';

/** RFC 9053 §7.1 / RFC 9052 §7.1 labels. */
const KTY = 1;
const ALG = 3;
const CRV = -1;
const X = -2;
const Y = -3;
const D = -4;
const KTY_EC2 = 2;
const CRV_P256 = 1;
const ALG_ECDH_ES_HKDF_256 = -25;

/**
 * `COSE_Key` (RFC 9052 §7) of a P-256 public key: `{1: 2, -1: 1, -2: x, -3: y}`.
 *
 * @example
 * ```ts
 * const coseKey = encodeCoseKey(deviceKey.publicKey); // a Map, ready for encodeCbor
 * ```
 */
export function encodeCoseKey(key: EcPublicKey): Map<number, number | Uint8Array> {
  return new Map<number, number | Uint8Array>([
    [KTY, KTY_EC2],
    [CRV, CRV_P256],
    [X, key.x],
    [Y, key.y],
  ]);
}

/**
 * Reads a `COSE_Key` strictly: EC2, P-256, uncompressed coordinates on the curve, no private part,
 * and an `alg`, if present, that is one a P-256 key can serve. Throws `ERR_COSE_KEY`.
 */
export function decodeCoseKey(value: CborValue, field: string): EcPublicKey {
  if (!isMap(value)) throw new MdocError('ERR_COSE_KEY', `"${field}" must be a COSE_Key map`);
  try {
    if (asInteger(value.get(KTY), `${field}.kty`) !== KTY_EC2) throw new Error('kty is not EC2');
    if (asInteger(value.get(CRV), `${field}.crv`) !== CRV_P256) throw new Error('crv is not P-256');
    // RFC 9052 §7.1: alg restricts what the key may be used for; a mismatching one is refused, not ignored.
    const alg = value.get(ALG);
    if (alg !== undefined && alg !== COSE_ALG.ES256 && alg !== ALG_ECDH_ES_HKDF_256) {
      throw new Error('alg does not match a P-256 key');
    }
    if (value.has(D)) throw new Error('a public key must not carry d');
    return ecPublicKey(asBytes(value.get(X), `${field}.x`), asBytes(value.get(Y), `${field}.y`));
  } catch (error) {
    if (error instanceof MdocError && error.code === 'ERR_COSE_KEY') throw error;
    throw new MdocError('ERR_COSE_KEY', `"${field}" is not a P-256 COSE_Key: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const KTY_OKP = 1;
/** RFC 9053 §7.1 curve identifiers of the keys a device may sign with. */
const COSE_CURVES: Readonly<Record<number, { readonly kty: number; readonly crv: VerificationKey['crv'] }>> = {
  1: { kty: KTY_EC2, crv: 'P-256' },
  2: { kty: KTY_EC2, crv: 'P-384' },
  3: { kty: KTY_EC2, crv: 'P-521' },
  6: { kty: KTY_OKP, crv: 'Ed25519' },
  7: { kty: KTY_OKP, crv: 'Ed448' },
};
/** The `alg` values a key of each curve may name (signing, or ECDH-ES for an EC key). */
const CURVE_ALGS: Readonly<Record<VerificationKey['crv'], readonly number[]>> = {
  'P-256': [COSE_ALG.ES256, ALG_ECDH_ES_HKDF_256],
  'P-384': [COSE_ALG.ES384, ALG_ECDH_ES_HKDF_256],
  'P-521': [COSE_ALG.ES512, ALG_ECDH_ES_HKDF_256],
  Ed25519: [COSE_ALG.EdDSA],
  Ed448: [COSE_ALG.EdDSA],
};

/**
 * Reads the `COSE_Key` of a key that verifies signatures — an MSO's device key, which another issuer may
 * have put on P-384, P-521, Ed25519 or Ed448 (ISO/IEC 18013-5 §9.1.5) — strictly: a supported curve
 * with its key type, coordinates on the curve, no private part, and an `alg`, if present, that the
 * curve serves. Throws `ERR_COSE_KEY`.
 */
export function decodeCoseVerificationKey(value: CborValue, field: string): VerificationKey {
  if (!isMap(value)) throw new MdocError('ERR_COSE_KEY', `"${field}" must be a COSE_Key map`);
  try {
    const curve = COSE_CURVES[asInteger(value.get(CRV), `${field}.crv`)];
    if (!curve) throw new Error('the curve is not supported');
    if (asInteger(value.get(KTY), `${field}.kty`) !== curve.kty) throw new Error(`kty does not match ${curve.crv}`);
    const alg = value.get(ALG);
    if (alg !== undefined && !CURVE_ALGS[curve.crv].includes(alg as number))
      throw new Error(`alg does not match a ${curve.crv} key`);
    if (value.has(D)) throw new Error('a public key must not carry d');
    const x = asBytes(value.get(X), `${field}.x`);
    if (curve.kty === KTY_OKP) {
      if (value.has(Y)) throw new Error('an OKP key has no y');
      return verificationKey(curve.crv, x);
    }
    return verificationKey(curve.crv, x, asBytes(value.get(Y), `${field}.y`));
  } catch (error) {
    if (error instanceof MdocError && error.code === 'ERR_COSE_KEY') throw error;
    throw new MdocError('ERR_COSE_KEY', `"${field}" is not a supported COSE_Key: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
