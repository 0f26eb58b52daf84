/**
 * What the wallet and the issuer must build the same way for a holder's requests about their phone:
 * the statements the holder's keys sign. Pure and browser-safe; the issuer (`apps/issuer`) checks them.
 */

/** What a holder may ask of the issuer about their phone. */
export type HolderAction = 'suspend' | 'resume' | 'revoke';

/** Which key proves a holder's request. */
export type HolderProofKind = 'phone-authentication' | 'card-authentication';

/**
 * What each proof may ask for. The phone's JPKI authentication key (the phone in hand, its 4-digit PIN
 * entered) may suspend or revoke it; lifting a suspension — the phone may have been found by someone
 * else — takes the card's authentication key, as does anything asked for a phone that is not at hand.
 */
export const HOLDER_PROOF_ACTIONS: Readonly<Record<HolderProofKind, readonly HolderAction[]>> = {
  'phone-authentication': ['suspend', 'revoke'],
  'card-authentication': ['suspend', 'resume', 'revoke'],
};

const encoder = new TextEncoder();

/**
 * The bytes a holder signs (RSASSA-PKCS1-v1_5, SHA-256, with the phone's or the card's JPKI
 * authentication key) to ask for `action` on `phoneId`, answering the issuer's challenge `nonce`.
 */
export function lifecycleStatement(request: {
  readonly phoneId: string;
  readonly action: HolderAction;
  readonly nonce: string;
}): Uint8Array {
  return encoder.encode(`openmyna/phone-lifecycle/v1\n${request.action}\n${request.phoneId}\n${request.nonce}\n`);
}

/**
 * The bytes the holder's card signs with its JPKI signing key (the signing password entered) to have
 * `pins` of `phoneId` reset: the issuer's challenge `nonce`, and the phone's own single-use
 * `phoneNonce`, which the issuer's authorization repeats so that only that phone, once, accepts it.
 */
export function pinResetStatement(request: {
  readonly phoneId: string;
  readonly pins: readonly string[];
  readonly phoneNonce: string;
  readonly nonce: string;
}): Uint8Array {
  return encoder.encode(
    `openmyna/phone-pin-reset/v1\n${request.pins.join(',')}\n${request.phoneId}\n${request.phoneNonce}\n${request.nonce}\n`,
  );
}
