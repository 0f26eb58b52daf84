/**
 * The remote secure area's wire protocol (`openmyna-secure-area/1`), built the same way by the phone
 * (`@openmyna/wallet`) and the issuing authority (`apps/issuer`). The phone holds one device-bound
 * P-256 key; everything else — the JPKI keys, the 券面 key, the reference data and the retry counters —
 * lives in the authority's service. A session is bound to that key: the service gives a fresh
 * challenge, and every message of the session is signed (ES256, r‖s) over the protocol name, the
 * session, the challenge and the message bytes, and carries the next sequence number. A message is
 * accepted once, in order, in the session it was signed for. Confidentiality and the service's
 * authenticity are TLS's (docs/wallet.md, threat model).
 */

/** The protocol's name, signed into every message. */
export const SECURE_AREA_PROTOCOL = 'openmyna-secure-area/1';

/** Which of the pending keys a provisioning proof is made with. */
export type SecureAreaKeyName = 'authentication' | 'signing' | 'cardFace';

/** What the phone asks of its secure area, one operation per message. */
export type SecureAreaOperation =
  /** An APDU to the phone's applet set (the device holds a card). */
  | { readonly op: 'apdu'; readonly apdu: string }
  /** Resets the applet set's security state, as a card leaving the field. */
  | { readonly op: 'reset' }
  /** Signs a SHA-256 DigestInfo with a pending key (provisioning's proofs of possession). */
  | { readonly op: 'pending-sign'; readonly key: SecureAreaKeyName; readonly digestInfo: string }
  /** Installs the issuer's bundle over the pending keys with the holder's chosen PINs. */
  | { readonly op: 'install'; readonly bundle: unknown; readonly pins: Readonly<Record<string, string>> }
  /** Resets PINs with the issuer's authorization (`openmyna-pin-reset+jwt`) and their new values. */
  | {
      readonly op: 'reset-pins';
      readonly authorization: string;
      readonly phoneNonce: string;
      readonly pins: Readonly<Record<string, string>>;
    }
  /** Destroys the device's keys, reference data and counters. */
  | { readonly op: 'wipe' }
  /** Ends the session and the applets' security state with it (the end of an operation). */
  | { readonly op: 'end' };

/** A message as signed: the operation and its place in the session. */
export type SecureAreaMessage = SecureAreaOperation & { readonly sequence: number };

/** The bytes a message's signature covers: protocol ‖ 0 ‖ session ‖ 0 ‖ challenge ‖ 0 ‖ message. */
export function secureAreaSigningInput(sessionId: string, challenge: string, message: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`${SECURE_AREA_PROTOCOL}\0${sessionId}\0${challenge}\0`);
  const input = new Uint8Array(head.length + message.length);
  input.set(head);
  input.set(message, head.length);
  return input;
}
