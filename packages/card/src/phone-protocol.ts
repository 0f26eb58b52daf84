/**
 * What the wallet and the issuer must build the same way for a holder's requests about their phone:
 * the statements the holder's keys sign and the provisioning contract. Pure and browser-safe; the issuer
 * (`apps/issuer`) checks them.
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

/** The phone's new public keys, named by the application the card's signing key signs. */
export interface PhoneKeys {
  /** JPKI authentication key, SubjectPublicKeyInfo (base64). */
  readonly authenticationKey: string;
  /** JPKI signing key, SubjectPublicKeyInfo (base64). */
  readonly signingKey: string;
  /** The phone's 券面AP key, RSA SubjectPublicKeyInfo (base64), named in its 券面 records. */
  readonly cardFaceKey: string;
  /** The mdoc device key, a P-256 public JWK: the first MSO of the batch is bound to it. */
  readonly deviceKey: JsonWebKey;
  /**
   * The other device keys of the batch (P-256 public JWKs), one further single-use MSO each, all
   * distinct; absent for a batch of one. The batch is at most {@link MDOC_BATCH_MAX} keys in all.
   */
  readonly batchDeviceKeys?: readonly JsonWebKey[];
}

/** How many MSOs the wallet asks for at a time unless configured otherwise. */
export const MDOC_BATCH_DEFAULT = 10;
/** The most MSOs one provisioning or one refill may ask for. */
export const MDOC_BATCH_MAX = 50;

/** The application (申請): what the holder asks for, signed with the card's signing key (intent). */
export interface ProvisioningApplication {
  readonly nonce: string;
  readonly phone: PhoneKeys;
}

/** The bytes of the application the card signs: UTF-8 JSON of the nonce and the phone's keys, in this order. */
export function provisioningApplication(nonce: string, keys: PhoneKeys): Uint8Array {
  const application: ProvisioningApplication = {
    nonce,
    phone: {
      authenticationKey: keys.authenticationKey,
      signingKey: keys.signingKey,
      cardFaceKey: keys.cardFaceKey,
      deviceKey: keys.deviceKey,
      ...(keys.batchDeviceKeys?.length ? { batchDeviceKeys: keys.batchDeviceKeys } : {}),
    },
  };
  return encoder.encode(JSON.stringify(application));
}

/** What the phone sends to complete a provisioning session (DESIGN.md flow 2). All binary values base64. */
export interface ProvisioningCompletion {
  readonly cardAuthenticationCertificate: string;
  /** The card's authentication key over the nonce (RSASSA-PKCS1-v1_5, SHA-256): possession (auth PIN). */
  readonly cardAuthenticationSignature: string;
  readonly cardSigningCertificate: string;
  /** The UTF-8 JSON of a {@link ProvisioningApplication}, exactly as signed. */
  readonly application: string;
  /** The card's signing key over `application` (RSASSA-PKCS1-v1_5, SHA-256): intent (signing password). */
  readonly applicationSignature: string;
  /**
   * The phone's key attestation. The software secure area attests by proof of possession: PKCS#10
   * requests for the JPKI keys, and signatures over the nonce by the 券面 key (PKCS#1) and the device key
   * (ES256, r‖s). A hardware attestation (Android Key Attestation, App Attest) would be checked here too.
   */
  readonly phoneAttestation: {
    readonly authenticationRequest: string;
    readonly signingRequest: string;
    readonly cardFaceKeySignature: string;
    readonly deviceKeySignature: string;
    /** Each of `phone.batchDeviceKeys`, in order, over the nonce (ES256, r‖s). */
    readonly batchDeviceKeySignatures?: readonly string[] | undefined;
  };
}

/**
 * The bytes signed for a refill of the phone's MSOs (`POST /phones/{id}/mdoc-refills`), answering the
 * issuer's challenge `nonce`: by one of the phone's valid device keys (the phone holds a live batch — no
 * PIN needed) and by each new device key (proof of possession). The new keys are named by their P-256
 * coordinates, in order, one per line.
 */
export function mdocRefillStatement(request: {
  readonly phoneId: string;
  readonly nonce: string;
  readonly deviceKeys: readonly JsonWebKey[];
}): Uint8Array {
  const keys = request.deviceKeys.map((key) => `${String(key.x)}.${String(key.y)}\n`).join('');
  return encoder.encode(`openmyna/mdoc-refill/v1\n${request.phoneId}\n${request.nonce}\n${keys}`);
}

/** A refill of the phone's MSOs: a proof by a valid device key, and the new keys with their proofs. */
export interface MdocRefillRequest {
  /** A `mdoc-refill` challenge of the phone. */
  readonly challengeId: string;
  /** One of the phone's device keys whose MSO is unexpired, and its signature over the statement. */
  readonly proof: { readonly deviceKey: JsonWebKey; readonly signature: string };
  /** The new device keys (P-256 public JWKs), 1 to {@link MDOC_BATCH_MAX}, all distinct and new. */
  readonly deviceKeys: readonly JsonWebKey[];
  /** Each new key's signature over the {@link mdocRefillStatement}, in order (ES256, r‖s, base64). */
  readonly deviceKeySignatures: readonly string[];
}
