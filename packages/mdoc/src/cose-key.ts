import { type CborValue } from './cbor.js';
import { asBytes, asInteger, isMap } from './cbor-structure.js';
import { ecPublicKey, type EcPublicKey } from './crypto.js';
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
const ALG_ES256 = -7;
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
    if (alg !== undefined && alg !== ALG_ES256 && alg !== ALG_ECDH_ES_HKDF_256) {
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
