import {
  CardError,
  encodeStoredPins,
  phonePinAccepts,
  protectPin,
  verifyPinResetAuthorization,
  PHONE_PIN_REFERENCES,
  type SecureAreaMessage,
  type StoredPin,
} from '@openmyna/card';
import { base64Encode } from '@openmyna/core';
import { inTransaction, isUniqueViolation } from '@openmyna/storage';

import { isoTime, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import { deviceCredential, writeCredential, type Credential, type DeviceRow } from './secure-area-devices.js';

const utf8 = new TextEncoder();

/**
 * Resets the PINs the issuer's authorization names: the authorization is verified against the
 * issuer's own PIN-reset key and used once (its digest recorded); the new reference data and the
 * restored counters are written in one transaction, the data checked against the version read.
 */
export async function resetDevicePins(
  context: IssuerContext,
  pinResetAuthority: JsonWebKey,
  device: DeviceRow,
  message: Extract<SecureAreaMessage, { op: 'reset-pins' }>,
): Promise<{ reset: string[] }> {
  const credential = deviceCredential(context, device);
  const claims = await verifyAuthorization(context, pinResetAuthority, credential, message);
  const replaced: Record<string, StoredPin> = {};
  for (const reference of claims.pins) {
    const value = message.pins[reference];
    if (!Object.hasOwn(credential.pins, reference) || value === undefined || !phonePinAccepts(reference, value))
      throw new IssuerError('ERR_SECURE_AREA_FORMAT', `no new value of the right form for ${reference}`);
    replaced[reference] = protectPin(utf8.encode(value), context.randomBytes(16));
  }
  // The issuer's own id of the authorization: a re-encoded token (another base64url spelling, a high-S
  // signature) is the same authorization and is refused with it.
  const digest = base64Encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(`${claims.iss}\n${claims.jti}`))),
  );
  await inTransaction(context.db, async (trx) => {
    try {
      await trx
        .insertInto('secure_area_used_authorizations')
        .values({ digest, device_id: device.id, used_at: isoTime(context.clock()) })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error))
        throw new IssuerError('ERR_SECURE_AREA_REFUSED', 'this PIN-reset authorization was used already');
      throw error;
    }
    await writeCredential(context, trx, device.id, device.version, {
      ...credential,
      pins: { ...credential.pins, ...encodeStoredPins(replaced) },
    });
    for (const reference of claims.pins)
      await trx
        .updateTable('secure_area_counters')
        .set({ tries_left: PHONE_PIN_REFERENCES[reference as keyof typeof PHONE_PIN_REFERENCES] })
        .where('device_id', '=', device.id)
        .where('reference', '=', reference)
        .execute();
  });
  return { reset: [...claims.pins] };
}

/** The authorization's claims, or `ERR_SECURE_AREA_REFUSED` with the card package's reason. */
async function verifyAuthorization(
  context: IssuerContext,
  authority: JsonWebKey,
  credential: Credential,
  message: Extract<SecureAreaMessage, { op: 'reset-pins' }>,
) {
  try {
    return await verifyPinResetAuthorization(message.authorization, {
      authority,
      phoneId: credential.phoneId,
      nonce: message.phoneNonce,
      now: context.clock(),
    });
  } catch (error) {
    if (error instanceof CardError)
      throw new IssuerError('ERR_SECURE_AREA_REFUSED', `the PIN reset was refused: ${error.message}`, {
        cause: error,
      });
    throw error;
  }
}
