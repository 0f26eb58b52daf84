import { base64Decode } from '@openmyna/core';
import {
  keyFromPrfOutput,
  newPrfSalt,
  sealPins,
  unsealPins,
  type Approval,
  type PinSettings,
  type SealedPins,
  type Wallet,
  WalletError,
} from '@openmyna/wallet';

import { evaluatePlatformKey, registerPlatformKey } from './platform.js';

/**
 * Sets up platform verification: the applets check the PINs first (a wrong one is refused and spends
 * its try), then a platform credential is registered, its PRF output seals the PINs, and only the sealed
 * blob and the credential id are stored.
 */
export async function setUpPlatformVerification(wallet: Wallet, pins: Approval, userName: string): Promise<void> {
  await wallet.verifyPins(pins);
  const prfSalt = newPrfSalt();
  const { credentialId, prfOutput } = await registerPlatformKey(prfSalt, userName);
  await wallet.saveSealedPins(await sealPins(await keyFromPrfOutput(prfOutput), pins, { credentialId, prfSalt }));
}

/**
 * One user-verified WebAuthn assertion, whose PRF output opens the sealed PINs. An assertion refused
 * (cancelled, or the credential is gone from the authenticator) is `ERR_PLATFORM_VERIFICATION` too: the
 * consent screen then asks for the PINs.
 */
export async function unlockWithPlatform(sealed: SealedPins): Promise<Approval> {
  const { prfOutput } = await evaluatePlatformKey(sealed.credentialId, base64Decode(sealed.prfSalt)).catch(
    (error: unknown) => {
      if (error instanceof DOMException)
        throw new WalletError('ERR_PLATFORM_VERIFICATION', 'the authenticator did not verify the user', {
          cause: error,
        });
      throw error;
    },
  );
  return unsealPins(await keyFromPrfOutput(prfOutput), sealed);
}

/** How the consent screen asks for the holder's verification. */
export interface ConsentVerification {
  readonly settings: PinSettings;
  /** One platform user verification (WebAuthn, PRF) that opens the sealed PINs; absent when not set up. */
  readonly unlock?: () => Promise<Approval>;
}

/** The holder's PIN settings, and the platform unlock when platform verification is set up. */
export async function verificationOf(wallet: Wallet): Promise<ConsentVerification> {
  const [settings, sealed] = await Promise.all([wallet.pinSettings(), wallet.sealedPins()]);
  return { settings, ...(sealed ? { unlock: () => unlockWithPlatform(sealed) } : {}) };
}
