import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

import { secureAreaSigningInput, type SecureAreaOperation } from '@openmyna/card';

/** A phone's device-bound key for the remote secure area, as the wallet keeps it (here in Node). */
export function secureAreaDeviceKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  return { privateKey, jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } };
}

/** The body a phone posts to its session: `operation` with `sequence`, signed for `session`. */
export function signedSecureAreaMessage(
  key: KeyObject,
  session: { sessionId: string; challenge: string },
  sequence: number,
  operation: SecureAreaOperation,
) {
  const message = Buffer.from(JSON.stringify({ ...operation, sequence }));
  const signature = sign('sha256', secureAreaSigningInput(session.sessionId, session.challenge, message), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return { message: message.toString('base64url'), signature: signature.toString('base64url') };
}
