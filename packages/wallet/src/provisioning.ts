import { sha256 } from '@noble/hashes/sha2.js';
import {
  CardError,
  JpkiReader,
  MDOC_BATCH_DEFAULT,
  MDOC_BATCH_MAX,
  provisioningApplication,
  type CardTransport,
  type PhonePins,
} from '@openmyna/card';
import { bytesToBase64, createCertificationRequest, encodeDigestInfo } from '@openmyna/pki';

import type { PhoneBundle } from './bundle.js';
import { WalletError } from './errors.js';
import type { IssuerClient } from './issuer-client.js';
import { assertPhonePins, verifyJpkiPin } from './pin-outcomes.js';
import type { SecureArea } from './secure-area.js';

/** The steps of provisioning, in order, each reported as it starts (for a progress display). */
export const PROVISIONING_STEPS = [
  'generating-keys',
  'opening-session',
  'card-authentication',
  'card-signing',
  'issuing',
  'installing',
] as const;

export type ProvisioningStep = (typeof PROVISIONING_STEPS)[number];

/** Options of {@link provisionPhone}. */
export interface ProvisionOptions {
  readonly secureArea: SecureArea;
  readonly issuer: IssuerClient;
  /** The physical card, as a reader reaches it (a virtual card in process, or a real card over PC/SC). */
  readonly card: CardTransport;
  /** The card's own secrets: the 利用者証明用暗証番号 (possession) and the 署名用パスワード (intent, the 4 info). */
  readonly cardPins: { readonly authentication: string; readonly signing: string };
  /** The PINs the holder chooses for the phone. */
  readonly phonePins: PhonePins;
  readonly now: () => Date;
  /** How many single-use MSOs to ask for (1 to MDOC_BATCH_MAX; default MDOC_BATCH_DEFAULT). */
  readonly mdocBatchSize?: number;
  readonly onProgress?: (step: ProvisioningStep) => void;
  /** Called with the card's signing certificate once it is read, before anything is issued; may throw. */
  readonly checkSigningCertificate?: (certificate: Uint8Array) => void;
}

/**
 * DESIGN.md flow 2, the phone's side: make the phone's keys, open a session at the issuer, prove the
 * card (its authentication key signs the nonce — the 4-digit PIN; its signing key signs the application
 * naming the phone's keys — the signing password), attest the phone's keys (certification requests and
 * proofs of possession over the nonce), and install the issuer's bundle once it is checked to be for
 * those keys. The card's PINs go to the card only.
 */
export async function provisionPhone(options: ProvisionOptions): Promise<PhoneBundle> {
  const step = (name: ProvisioningStep) => options.onProgress?.(name);
  assertPhonePins(options.phonePins);
  const batchSize = assertMdocBatchSize(options.mdocBatchSize ?? MDOC_BATCH_DEFAULT);
  step('generating-keys');
  await options.secureArea.generateKeys(batchSize);
  const pending = await options.secureArea.pendingKeys();
  step('opening-session');
  const session = await options.issuer.openProvisioningSession();
  const nonce = new TextEncoder().encode(session.nonce);
  const digestInfo = (data: Uint8Array) => encodeDigestInfo('SHA-256', sha256(data));
  const application = provisioningApplication(session.nonce, pending.publicKeys);
  const card = await readCard(async () => {
    const jpki = new JpkiReader(options.card);
    await jpki.select();
    step('card-authentication');
    // The card's own PINs too: one already locked is refused before its value is sent.
    await verifyJpkiPin(jpki, 'authentication', options.cardPins.authentication, 'cardAuthenticationPin');
    const authenticationSignature = await jpki.sign('authentication', digestInfo(nonce));
    const authenticationCertificate = await jpki.readCertificate('authentication');
    step('card-signing');
    await verifyJpkiPin(jpki, 'signing', options.cardPins.signing, 'cardSigningPassword').catch((error: unknown) => {
      if (error instanceof WalletError) throw error;
      // A card issued before the holder turned 15 has no signing key (card-spec §4.1).
      throw new WalletError('ERR_CARD', 'this card has no signing certificate; adding it to a phone needs one', {
        cause: error,
      });
    });
    const applicationSignature = await jpki.sign('signing', digestInfo(application));
    const signingCertificate = await jpki.readCertificate('signing');
    options.checkSigningCertificate?.(signingCertificate);
    return { authenticationSignature, authenticationCertificate, applicationSignature, signingCertificate };
  });
  step('issuing');
  const bundle = await options.issuer.completeProvisioning(session.sessionId, {
    cardAuthenticationCertificate: bytesToBase64(card.authenticationCertificate),
    cardAuthenticationSignature: bytesToBase64(card.authenticationSignature),
    cardSigningCertificate: bytesToBase64(card.signingCertificate),
    application: bytesToBase64(application),
    applicationSignature: bytesToBase64(card.applicationSignature),
    phoneAttestation: {
      authenticationRequest: bytesToBase64(await createCertificationRequest(pending.authentication)),
      signingRequest: bytesToBase64(await createCertificationRequest(pending.signing)),
      cardFaceKeySignature: bytesToBase64(await pending.cardFace.signPkcs1(digestInfo(nonce))),
      deviceKeySignature: bytesToBase64(await pending.device.signEs256(nonce)),
      ...(pending.batchDevices.length > 0
        ? {
            batchDeviceKeySignatures: await Promise.all(
              pending.batchDevices.map(async (device) => bytesToBase64(await device.signEs256(nonce))),
            ),
          }
        : {}),
    },
  });
  step('installing');
  return options.secureArea.install(bundle, options.phonePins, options.now());
}

/** Checks a batch size: a whole number of MSOs from 1 to MDOC_BATCH_MAX. */
export function assertMdocBatchSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > MDOC_BATCH_MAX)
    throw new WalletError('ERR_WALLET_STATE', `an mdoc batch holds 1 to ${MDOC_BATCH_MAX} MSOs`);
  return size;
}

/** Runs card reading; the card's own errors become `ERR_CARD` (PIN outcomes keep their codes). */
export async function readCard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof WalletError) throw error;
    if (error instanceof CardError) throw new WalletError('ERR_CARD', `the card: ${error.message}`, { cause: error });
    throw error;
  }
}
