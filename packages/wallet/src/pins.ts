import { sha256 } from '@noble/hashes/sha2.js';
import { CardError, JpkiReader, phonePinAccepts, pinResetStatement, type CardTransport } from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';
import { bytesToBase64, encodeDigestInfo } from '@openmyna/pki';

import { WalletError } from './errors.js';
import { writePinSettings } from './pin-settings.js';
import { writeSealedPins } from './platform-verification.js';
import type { Approval } from './presentations.js';
import { readCard } from './provisioning.js';
import { verifyJpkiPin, verifyKenhojoPin, type PhoneSecret } from './pin-outcomes.js';
import { installedPhoneIdOf, issuerOf, type WalletContext } from './wallet-context.js';

export type { PhoneSecret } from './pin-outcomes.js';

/** The applet and key reference of each phone PIN (the card package's `PhonePinReference`). */
const PIN_REFERENCES: Record<PhoneSecret, string> = {
  authenticationPin: 'jpki/0018',
  signingPassword: 'jpki/001B',
  kenhojoPin: 'kenhojo/0011',
  jukiPin: 'juki/001C',
};

/**
 * Changes one of the phone's PINs: the new value's form is checked first, then the current value is
 * verified by its applet (a try is spent if wrong) and CHANGE REFERENCE DATA sets the new one.
 */
export function changePin(context: WalletContext, which: PhoneSecret, current: string, next: string): Promise<void> {
  return context.log.record(
    { kind: 'pin-change', items: [which] },
    async () => {
      if (which === 'jukiPin')
        throw new WalletError('ERR_REQUEST_UNSUPPORTED', 'the 住基 PIN is changed at the municipality counter');
      if (!phonePinAccepts(PIN_REFERENCES[which], next)) throw newPinFormatError();
      await context.secureArea.withCard(async (card) => {
        if (which === 'kenhojoPin') {
          await card.kenhojo.select();
          await verifyKenhojoPin(card.kenhojo, current);
          await card.kenhojo.changePin(next);
          return;
        }
        const secret = which === 'signingPassword' ? 'signing' : 'authentication';
        await card.jpki.select();
        await verifyJpkiPin(card.jpki, secret, current, which);
        await card.jpki.changePin(secret, next);
      });
      // One of the two applets of a shared PIN changed alone: the consent screen asks for each again.
      if (which !== 'signingPassword') await writePinSettings(context.options.storage, { sharedPin: false });
      // The sealed PINs of platform verification are stale: it is set up again with the new one.
      await writeSealedPins(context.options.storage, undefined);
    },
    // The reader refuses a malformed new value itself (ERR_PIN_FORMAT); any other error keeps its code.
    {
      mapError: (error) =>
        error instanceof CardError && error.code === 'ERR_PIN_FORMAT' ? newPinFormatError(error) : error,
    },
  );
}

function newPinFormatError(cause?: unknown): WalletError {
  return new WalletError(
    'ERR_PIN_FORMAT',
    'the new PIN does not have the form its application requires',
    cause === undefined ? {} : { cause },
  );
}

/**
 * Verifies each PIN of `approval` in its applet, as a presentation would (a wrong one spends a try and
 * is `ERR_PIN_WRONG`): platform verification seals only PINs the applets accept.
 */
export function verifyPins(context: WalletContext, approval: Approval): Promise<void> {
  const names = Object.keys(approval).filter((name) => approval[name as keyof Approval] !== undefined);
  return context.log.record({ kind: 'platform-verification', items: names }, async () => {
    if (names.length === 0) throw new WalletError('ERR_APPROVAL_INCOMPLETE', 'there is no PIN to check');
    await context.secureArea.withCard(async (card) => {
      if (approval.kenhojoPin !== undefined) {
        await card.kenhojo.select();
        await verifyKenhojoPin(card.kenhojo, approval.kenhojoPin);
      }
      await card.jpki.select();
      if (approval.authenticationPin !== undefined)
        await verifyJpkiPin(card.jpki, 'authentication', approval.authenticationPin, 'authenticationPin');
      if (approval.signingPassword !== undefined)
        await verifyJpkiPin(card.jpki, 'signing', approval.signingPassword, 'signingPassword');
    });
  });
}

/** What {@link resetPins} needs: the holder's card and its signing password, and the new values. */
export interface PinResetOptions {
  readonly card: CardTransport;
  readonly cardSigningPassword: string;
  /** New values by secret; each named PIN is reset. */
  readonly pins: Partial<Record<PhoneSecret, string>>;
}

/**
 * Resets blocked (or forgotten) phone PINs with the stronger factor, the holder's card: the issuer
 * opens a challenge, the card's signing key (behind the card's signing password) signs the
 * `pinResetStatement` naming the PINs, this phone and the phone's own single-use nonce, and the issuer
 * answers with an authorization the phone verifies against the key it pinned at provisioning before
 * its counters are reset to the new values. The card's password goes to the card only.
 */
export function resetPins(context: WalletContext, options: PinResetOptions): Promise<void> {
  const chosen = Object.entries(options.pins).filter((entry): entry is [PhoneSecret, string] => entry[1] !== undefined);
  return context.log.record(
    { kind: 'pin-reset', items: chosen.map(([secret]) => secret) },
    async () => {
      if (chosen.length === 0) throw new WalletError('ERR_PIN_FORMAT', 'name at least one PIN to reset');
      for (const [secret, value] of chosen)
        if (!phonePinAccepts(PIN_REFERENCES[secret], value))
          throw new WalletError('ERR_PIN_FORMAT', `the new ${secret} does not have the form its application requires`);
      const phoneId = await installedPhoneIdOf(context);
      const pins = chosen.map(([secret]) => PIN_REFERENCES[secret]);
      const { authorization, phoneNonce } = await authorizePinReset(context, options, phoneId, pins);
      await context.secureArea.resetPins({
        authorization,
        phoneNonce,
        now: context.clock(),
        pins: Object.fromEntries(chosen.map(([secret, value]) => [PIN_REFERENCES[secret], value])),
      });
      await writeSealedPins(context.options.storage, undefined);
      // A shared PIN stays shared only when both of its applets got the same new value.
      const { authenticationPin, kenhojoPin } = options.pins;
      if ((authenticationPin ?? kenhojoPin) !== undefined && authenticationPin !== kenhojoPin)
        await writePinSettings(context.options.storage, { sharedPin: false });
    },
    // An authorization the phone's check refuses is the issuer's answer refused; other errors keep their code.
    {
      mapError: (error) =>
        error instanceof CardError && error.code === 'ERR_PIN_RESET_AUTHORIZATION'
          ? new WalletError('ERR_ISSUER_REFUSED', error.message, { cause: error })
          : error,
    },
  );
}

/** The issuer's challenge, signed by the card (its signing password), traded for the issuer's authorization. */
async function authorizePinReset(
  context: WalletContext,
  options: PinResetOptions,
  phoneId: string,
  pins: readonly string[],
): Promise<{ authorization: string; phoneNonce: string }> {
  const issuer = issuerOf(context);
  const challenge = await issuer.openChallenge(phoneId, 'pin-reset');
  const phoneNonce = base64UrlEncode(crypto.getRandomValues(new Uint8Array(24)));
  const statement = pinResetStatement({ phoneId, pins: [...pins], phoneNonce, nonce: challenge.nonce });
  const proof = await readCard(async () => {
    const jpki = new JpkiReader(options.card);
    await jpki.select();
    await verifyJpkiPin(jpki, 'signing', options.cardSigningPassword, 'cardSigningPassword');
    const signature = await jpki.sign('signing', encodeDigestInfo('SHA-256', sha256(statement)));
    return { certificate: await jpki.readCertificate('signing'), signature };
  });
  const { authorization } = await issuer.authorizePinReset(phoneId, {
    challengeId: challenge.challengeId,
    pins: [...pins],
    phoneNonce,
    cardSigningCertificate: bytesToBase64(proof.certificate),
    signature: bytesToBase64(proof.signature),
  });
  return { authorization, phoneNonce };
}
