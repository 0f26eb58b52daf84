import { encodeTlv } from '@openmyna/core';
import { concatBytes } from '@noble/hashes/utils.js';

import { encodeDer } from './der.js';
import { signatureAlgorithm } from './profiles.js';

/** The three fields of a signed structure: the signed bytes, sha256WithRSAEncryption, the BIT STRING. */
export function signedFields(tbs: Uint8Array, signature: Uint8Array): Uint8Array[] {
  return [tbs, encodeDer(signatureAlgorithm()), encodeTlv(0x03, concatBytes(new Uint8Array([0]), signature))];
}
