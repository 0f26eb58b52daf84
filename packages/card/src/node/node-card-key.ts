import { constants, createPrivateKey, privateEncrypt, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';

import { SoftwareCardKey } from '../card-private-key.js';
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
