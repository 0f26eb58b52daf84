import { sha256 } from '@noble/hashes/sha2.js';
import {
  jpkiRevocation,
  lifecycleStatement,
  type CardTransport,
  type HolderAction,
  type PhonePins,
} from '@openmyna/card';
import { base64ToBytes, bytesToBase64, encodeDigestInfo, parseCertificate, readJpkiIdentity } from '@openmyna/pki';

import { WalletError } from './errors.js';
import { holderSummary, type HolderSummary } from './holder.js';
import { assertSharedPin, writePinSettings } from './pin-settings.js';
import { provisionPhone, type ProvisioningStep } from './provisioning.js';
import { issuerOffersSecureArea } from './remote-secure-area.js';
import { verifyJpkiPin } from './pin-outcomes.js';
import { SecureArea } from './secure-area.js';
import { batchSizeOf, installedPhoneIdOf, issuerOf, type WalletContext, type WalletOptions } from './wallet-context.js';

/** What {@link provision} needs: the holder's card, its PINs, and the PINs chosen for the phone. */
export interface ProvisionRequest {
  readonly card: CardTransport;
  readonly cardPins: { readonly authentication: string; readonly signing: string };
  readonly phonePins: PhonePins;
  /**
   * One 4-digit PIN for the 利用者証明用 and 入力補助 applets (`phonePins.authentication` and `.kenhojo`
   * equal): refused (`ERR_PIN_WEAK`) when it is a form of the birth date on the card's signing
   * certificate, or the card's セキュリティコード when given. Remembered for the consent screen.
   */
  readonly sharedPin?: { readonly securityCode?: string };
  readonly onProgress?: (step: ProvisioningStep) => void;
}

/** The phone's secure area, local or at `remote` (the issuer's). */
export function openSecureArea(options: WalletOptions, fetch: typeof globalThis.fetch, remote?: string): SecureArea {
  return new SecureArea(options.storage, {
    ...(options.cardKey ? { cardKey: options.cardKey } : {}),
    ...(remote ? { remote } : {}),
    fetch,
  });
}

/** Where provisioning makes the keys: the issuer's remote secure area, or the phone. */
async function provisioningSecureArea(context: WalletContext): Promise<SecureArea> {
  const choice = context.options.secureArea ?? 'local';
  if (choice === 'local') return context.secureArea;
  const issuer = issuerOf(context);
  if (choice === 'auto' && !(await issuerOffersSecureArea(issuer.baseUrl, context.fetch))) return context.secureArea;
  return openSecureArea(context.options, context.fetch, issuer.baseUrl);
}

/** Adds the holder's My Number Card to this phone (DESIGN.md flow 2). */
export async function provision(context: WalletContext, request: ProvisionRequest): Promise<HolderSummary> {
  if (await context.secureArea.installedPhoneId())
    throw new WalletError('ERR_WALLET_STATE', 'this phone already holds a card; reset the wallet first');
  const { sharedPin } = request;
  if (sharedPin && request.phonePins.authentication !== request.phonePins.kenhojo)
    throw new WalletError('ERR_PIN_FORMAT', 'a shared PIN is the same for the 利用者証明用 and 入力補助 applets');
  const checkSigningCertificate = (certificate: Uint8Array) => {
    if (!sharedPin) return;
    const { birthDate } = readJpkiIdentity(parseCertificate(certificate)).basicFourInfo;
    assertSharedPin(request.phonePins.authentication, {
      birthDate,
      ...(sharedPin.securityCode ? { securityCode: sharedPin.securityCode } : {}),
    });
  };
  await context.log.record(
    { kind: 'provisioning', items: ['jpki', 'kenhojo', 'kenkaku', 'juki', 'mdoc'] },
    async () =>
      provisionPhone({
        secureArea: await provisioningSecureArea(context),
        issuer: issuerOf(context),
        card: request.card,
        cardPins: request.cardPins,
        phonePins: request.phonePins,
        now: context.clock,
        mdocBatchSize: batchSizeOf(context),
        checkSigningCertificate,
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      }),
    // Nothing was installed.
    { failure: { items: [] } },
  );
  await writePinSettings(context.options.storage, { sharedPin: sharedPin !== undefined });
  return holderSummary(await context.secureArea.bundle());
}

/**
 * Suspends or revokes this phone's certificates at the issuer, proven by the phone's authentication
 * key (利用者証明用暗証番号) over the issuer's challenge. A revoked phone then wipes its credentials.
 */
export async function changeLifecycle(
  context: WalletContext,
  action: Extract<HolderAction, 'suspend' | 'revoke'>,
  authenticationPin: string,
): Promise<void> {
  const phoneId = await installedPhoneIdOf(context);
  const issuer = issuerOf(context);
  await context.log.record({ kind: 'lifecycle', items: [action] }, async () => {
    const challenge = await issuer.openChallenge(phoneId, 'lifecycle');
    const signature = await context.secureArea.withCard(async (card) => {
      await card.jpki.select();
      await verifyJpkiPin(card.jpki, 'authentication', authenticationPin, 'authenticationPin');
      const statement = lifecycleStatement({ phoneId, action, nonce: challenge.nonce });
      return card.jpki.sign('authentication', encodeDigestInfo('SHA-256', sha256(statement)));
    });
    await issuer.changeLifecycle(phoneId, {
      challengeId: challenge.challengeId,
      action,
      proof: { kind: 'phone-authentication', signature: bytesToBase64(signature) },
    });
  });
  if (action === 'revoke') await wipe(context, 'revoked');
}

/**
 * Asks the issuer's OCSP responder (CRL as fallback) about this phone's authentication certificate;
 * a revoked phone wipes its credentials. Returns the status. With an issuer URL configured the phone
 * asks that issuer — the one that issued the certificate — where the wallet reaches it, rather than
 * the certificate's AIA URL: behind the sandbox's `--lan` proxy only the former is reachable.
 */
export async function checkStatus(context: WalletContext): Promise<'good' | 'suspended' | 'revoked' | 'unknown'> {
  const bundle = await context.secureArea.bundle();
  const issuerUrl = context.options.issuerUrl ? issuerOf(context).baseUrl : undefined;
  const revocation = jpkiRevocation({
    fetch: context.fetch,
    clock: context.clock,
    cacheSeconds: 0,
    ...(issuerUrl ? { ocspUrl: `${issuerUrl}/ocsp/authentication` } : {}),
  });
  const status = await revocation.check(
    parseCertificate(base64ToBytes(bundle.jpki.authenticationCertificate)),
    parseCertificate(base64ToBytes(bundle.jpki.authenticationCaCertificate)),
  );
  if (status.status === 'revoked') {
    await wipe(context, 'revoked');
    return 'revoked';
  }
  return status.status === 'on-hold' ? 'suspended' : status.status;
}

/**
 * Forgets the card, its keys and counters. The transaction log is not cleared: it keeps every earlier
 * entry and gains one for the wipe, with `reason` saying why (`revoked`, `reset`) or, when a remote
 * secure area could not destroy its keys, the error's code.
 */
export async function wipe(context: WalletContext, reason: 'revoked' | 'reset'): Promise<void> {
  await context.log.record({ kind: 'wipe', items: [], reason }, () => context.secureArea.wipe(), {
    failure: { result: 'failed' },
  });
}
