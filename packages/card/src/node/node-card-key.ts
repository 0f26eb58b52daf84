import {
  constants,
  createPrivateKey,
  createPublicKey,
  privateEncrypt,
  verify,
  type JsonWebKey as NodeJsonWebKey,
  type KeyObject,
} from 'node:crypto';

import { base64UrlEncode, bytesToBinaryString } from '@openmyna/core';

import { SoftwareCardKey } from '../card-private-key.js';
import type { CardRsaPublicKey, CardSignatureCheck } from '../cv-certificate.js';
import { CardError } from '../errors.js';

/**
 * A software card key whose private operation is OpenSSL's (raw RSA, `RSA_NO_PADDING`, blinded and
 * constant-time), around the same card padding as {@link SoftwareCardKey}: the same signatures, faster.
 */
export function nodeCardKey(jwk: JsonWebKey): SoftwareCardKey {
  let key;
  try {
    key = createPrivateKey({ key: { ...jwk } as NodeJsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new CardError('ERR_CARD_KEY', 'a card key needs a complete RSA private JWK', { cause: error });
  }
  return new SoftwareCardKey(
    jwk,
    undefined,
    (block) => new Uint8Array(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, block)),
  );
}

// Card RSA keys recur (the CA keys, each municipality's signer): imported once, keyed by every byte of
// modulus and exponent (the modulus's length first, so that no two keys share an id).
const rsaKeys = new Map<string, KeyObject>();
function rsaKeyObject(key: CardRsaPublicKey): KeyObject {
  const id = `${key.modulus.length}/${bytesToBinaryString(key.modulus)}${bytesToBinaryString(key.exponent)}`;
  let object = rsaKeys.get(id);
  if (!object) {
    const n = base64UrlEncode(key.modulus);
    const e = base64UrlEncode(key.exponent);
    object = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
    if (rsaKeys.size >= 1024) rsaKeys.clear();
    rsaKeys.set(id, object);
  }
  return object;
}

/**
 * {@link CardSignatureCheck} in OpenSSL: RSASSA-PKCS1-v1_5 with SHA-256, the DigestInfo compared whole
 * as the portable check does. False for any malformed key or signature.
 */
export const nodeCardSignatureCheck: CardSignatureCheck = (key, data, signature) => {
  try {
    return verify('sha256', data, { key: rsaKeyObject(key), padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
};
