import { phoneContentsMismatch } from '@openmyna/card';
import { decodeIssuedMdoc, decodeMobileSecurityObject, ecPublicJwk, MNC_DOCTYPE } from '@openmyna/mdoc';
import { base64ToBytes } from '@openmyna/pki';

import type { PhoneBundle } from './bundle.js';
import { WalletError } from './errors.js';
import type { PhonePublicKeys } from './secure-area-records.js';

/**
 * Checks that the issuer's bundle is for this phone's keys: both certificates hold the phone's JPKI
 * keys, the 券面 records its 券面 key, each mdoc of the batch its own device key, and the 入力補助 4
 * info are those of the signing certificate. `ERR_BUNDLE_INVALID` otherwise.
 */
export function assertBundleMatches(bundle: PhoneBundle, keys: PhonePublicKeys): void {
  const refuse = (what: string, cause?: unknown) =>
    new WalletError('ERR_BUNDLE_INVALID', `the issuer's bundle does not match this phone: ${what}`, { cause });
  try {
    const mismatch = phoneContentsMismatch(bundle, keys);
    if (mismatch) throw refuse(mismatch);
    const batch = bundle.batchMdocs ?? [];
    if (batch.length !== (keys.batchDeviceKeys ?? []).length)
      throw refuse('the batch holds another number of mdocs than this phone has device keys');
    [bundle.mdoc, ...batch].forEach((mdoc, position) => {
      const device = position === 0 ? keys.deviceKey : keys.batchDeviceKeys![position - 1]!;
      if (!mdocIsBoundTo(mdoc, device)) throw refuse('an mdoc is bound to another device key');
    });
  } catch (error) {
    if (error instanceof WalletError) throw error;
    throw refuse('a certificate or record does not decode', error);
  }
}

/** Whether `mdoc` (base64 `{docType, issuerSigned}`) is the card-face mdoc bound to device key `jwk`. */
export function mdocIsBoundTo(mdoc: string, jwk: JsonWebKey): boolean {
  const issued = decodeIssuedMdoc(base64ToBytes(mdoc));
  const mso = decodeMobileSecurityObject(issued.issuerSigned.issuerAuth.payload);
  const bound: JsonWebKey = ecPublicJwk(mso.deviceKey);
  return issued.docType === MNC_DOCTYPE && mso.docType === MNC_DOCTYPE && bound.x === jwk.x && bound.y === jwk.y;
}
