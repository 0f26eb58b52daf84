import {
  CardError,
  decodeJpkiAuthPresentation as decodeJpkiAuth,
  decodeJpkiSignDigestPresentation as decodeJpkiSignDigest,
  decodeKenhojoPresentation as decodeKenhojo,
  type JpkiAuthPresentation,
  type JpkiSignDigestPresentation,
  type KenhojoRecords,
} from '@openmyna/card';

import { VerifierError } from './errors.js';

// The encodings live in @openmyna/card, below the wallet that writes them and the verifier that reads
// them; the verifier's readers keep throwing its own error, as they always have.
export {
  encodeJpkiAuthPresentation,
  encodeJpkiSignDigestPresentation,
  encodeKenhojoPresentation,
  type JpkiSignDigestPresentation,
} from '@openmyna/card';

/** Reads a `jp_kenhojo` presentation (docs/openid4vp-formats.md). Throws `ERR_PRESENTATION_FORMAT`. */
export function decodeKenhojoPresentation(bytes: Uint8Array): KenhojoRecords {
  return asVerifierError(() => decodeKenhojo(bytes));
}

/** Reads a `jpki_auth` presentation (docs/openid4vp-formats.md). Throws `ERR_PRESENTATION_FORMAT`. */
export function decodeJpkiAuthPresentation(bytes: Uint8Array): JpkiAuthPresentation {
  return asVerifierError(() => decodeJpkiAuth(bytes));
}

/**
 * Reads the `jpki_sign` presentation of a `jpki_sign_digest` (docs/openid4vp-formats.md): the signing
 * certificate and the raw signature value. Throws `ERR_PRESENTATION_FORMAT`.
 */
export function decodeJpkiSignDigestPresentation(bytes: Uint8Array): JpkiSignDigestPresentation {
  return asVerifierError(() => decodeJpkiSignDigest(bytes));
}

function asVerifierError<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof CardError && error.code === 'ERR_PRESENTATION_FORMAT')
      throw new VerifierError('ERR_PRESENTATION_FORMAT', error.message, { cause: error });
    throw error;
  }
}
