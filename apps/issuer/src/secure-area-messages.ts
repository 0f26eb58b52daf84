import { createPublicKey, verify as verifySignature } from 'node:crypto';

import { z } from '@hono/zod-openapi';
import { secureAreaSigningInput, type SecureAreaMessage } from '@openmyna/card';
import { base64Decode, base64UrlDecode, CoreError } from '@openmyna/core';

import { IssuerError } from './errors.js';
import { InstalledContents } from './secure-area-install.js';
import type { Session } from './secure-area-sessions.js';

/** Base64 that decodes strictly (RFC 4648 §4, canonical): the operation then decodes it without a failure. */
const Base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .refine((text) => {
    try {
      base64Decode(text);
      return true;
    } catch {
      return false;
    }
  }, 'not base64');
const PinValues = z.record(z.string().max(32), z.string().max(16));
const Sequence = z.number().int().min(0);
/** `SecureAreaMessage` of `@openmyna/card`, as a session's signed message carries it. */
const Message = z.discriminatedUnion('op', [
  z.object({ op: z.literal('apdu'), sequence: Sequence, apdu: Base64.max(70_000) }),
  z.object({ op: z.literal('reset'), sequence: Sequence }),
  z.object({
    op: z.literal('pending-sign'),
    sequence: Sequence,
    key: z.enum(['authentication', 'signing', 'cardFace']),
    digestInfo: Base64.max(200),
  }),
  z.object({ op: z.literal('install'), sequence: Sequence, bundle: InstalledContents.passthrough(), pins: PinValues }),
  z.object({
    op: z.literal('reset-pins'),
    sequence: Sequence,
    authorization: z.string().min(1).max(4_000),
    phoneNonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
    pins: PinValues,
  }),
  z.object({ op: z.literal('wipe'), sequence: Sequence }),
  z.object({ op: z.literal('end'), sequence: Sequence }),
]);

/**
 * What an operation of a session answers, by `op`: `apdu` the response APDU, `pending-sign` the
 * signature (both base64), `install` the phone and its token serial, `reset-pins` the references
 * reset; `reset`, `end` and `wipe` nothing.
 */
export interface SecureAreaResult {
  readonly response?: string;
  readonly signature?: string;
  readonly phoneId?: string;
  readonly tokenSerial?: string;
  readonly reset?: string[];
}

/** A P-256 public JWK as the phone sends its device-bound key. */
export const SecureAreaDeviceKey = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/**
 * Reads one message of `session`: the signature must be the device key's (ES256, r‖s) over this
 * session's challenge and the message bytes, and the message a secure-area operation.
 */
export function readSignedMessage(session: Session, message: string, signature: string): SecureAreaMessage {
  const bytes = decodeBase64Url(message);
  let signed = false;
  try {
    signed = verifySignature(
      'sha256',
      secureAreaSigningInput(session.id, session.challenge, bytes),
      { key: createPublicKey({ key: session.deviceKey, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
      decodeBase64Url(signature),
    );
  } catch {
    signed = false;
  }
  if (!signed)
    throw new IssuerError('ERR_SECURE_AREA_PROOF_INVALID', "the message is not signed by this session's device key");
  try {
    return Message.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
  } catch {
    throw new IssuerError('ERR_SECURE_AREA_FORMAT', 'the message is not a secure-area operation');
  }
}

/** Strict base64url (RFC 4648 §5): text that does not decode is empty, and no signature verifies over it. */
function decodeBase64Url(text: string): Uint8Array {
  try {
    return base64UrlDecode(text);
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    return new Uint8Array(0);
  }
}
