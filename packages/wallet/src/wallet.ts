import type { HolderAction } from '@openmyna/card';
import { webMdocCrypto } from '@openmyna/mdoc';

import { holderSummary, type HolderSummary } from './holder.js';
import type { InPersonPresentation } from './in-person.js';
import { signDocument, signLogin } from './jpki-operations.js';
import { changeLifecycle, checkStatus, openSecureArea, provision, wipe, type ProvisionRequest } from './lifecycle.js';
import type { MdocPoolSummary } from './mdoc-pool.js';
import { mdocStatus, refillMdocs } from './mdoc-supply.js';
import { changePin, resetPins, verifyPins, type PhoneSecret, type PinResetOptions } from './pins.js';
import { readPinSettings, type PinSettings } from './pin-settings.js';
import { readSealedPins, writeSealedPins, type SealedPins } from './platform-verification.js';
import type { Approval } from './presentations.js';
import { approve, decline, startInPerson } from './presentment.js';
import { openRequest, type PendingPresentation } from './request-opening.js';
import type { SecureArea } from './secure-area.js';
import { exportTransactionLog, type TransactionLogEntry } from './transaction-log.js';
import type { WalletContext, WalletOptions } from './wallet-context.js';
import { WalletLog } from './wallet-log.js';

/**
 * The phone: provisioning from the card, consent and presentment (OpenID4VP online, ISO 18013-5 in
 * person), JPKI signing and login, the phone's lifecycle and PINs, and the transaction log. Every
 * disclosure passes its applet's PIN check; nothing a requester may not receive is ever sent. Every
 * operation is logged, done or not, through one {@link WalletLog}.
 *
 * @example
 * ```ts
 * const wallet = new Wallet({ storage, readerAnchors, issuerUrl, clock: () => new Date() });
 * const pending = await wallet.openRequest(link);
 * await wallet.approve(pending, { signingPassword, kenhojoPin });
 * ```
 */
export class Wallet {
  readonly secureArea: SecureArea;
  readonly #context: WalletContext;

  constructor(options: WalletOptions) {
    const fetchWith = options.fetch ?? ((input, init) => fetch(input, init));
    this.secureArea = openSecureArea(options, fetchWith);
    this.#context = {
      options,
      secureArea: this.secureArea,
      fetch: fetchWith,
      clock: options.clock,
      crypto: options.crypto ?? webMdocCrypto,
      log: new WalletLog(options.storage, options.clock),
    };
  }

  /** Adds the holder's My Number Card to this phone (DESIGN.md flow 2). */
  provision(request: ProvisionRequest): Promise<HolderSummary> {
    return provision(this.#context, request);
  }

  /** Whether the phone holds a card. */
  async provisioned(): Promise<boolean> {
    return (await this.secureArea.installedPhoneId()) !== undefined;
  }

  /** The holder as the phone's card face shows them (the home screen; the holder's own phone). */
  async holder(): Promise<HolderSummary> {
    return holderSummary(await this.secureArea.bundle());
  }

  /**
   * Opens an OpenID4VP request from a same-device link or a scanned QR and checks it; a request that
   * fails is refused (`ERR_REQUEST_INVALID`, with the checks) and nothing is sent anywhere.
   */
  openRequest(link: string): Promise<PendingPresentation> {
    return openRequest(this.#context, link);
  }

  /**
   * The user approved: each PIN or password is checked in its applet, the released items are built and
   * posted to the relying party. Returns where the relying party wants the browser to go next, if anywhere.
   */
  approve(pending: PendingPresentation, approval: Approval): Promise<{ redirectUri?: string }> {
    return approve(this.#context, pending, approval);
  }

  /** The user declined: the relying party hears `access_denied` (OpenID4VP §8.5), and nothing else. */
  decline(pending: PendingPresentation): Promise<void> {
    return decline(this.#context, pending);
  }

  /** Starts an in-person presentation (ISO/IEC 18013-5 over the verifier's relay). */
  startInPerson(relay: { readonly url: string; readonly session: string }): Promise<InPersonPresentation> {
    return startInPerson(this.#context, relay);
  }

  /**
   * Gets a fresh batch of single-use MSOs from the issuer and retires the earlier batch.
   * `ERR_MDOC_EXHAUSTED` when every MSO has expired (nothing can prove the phone; add the card again),
   * `ERR_ISSUER_REFUSED` with the issuer's code (a suspended or revoked phone, the daily bound), `ERR_NETWORK`.
   */
  refillMdocs(): Promise<MdocPoolSummary> {
    return refillMdocs(this.#context);
  }

  /** How many MSOs the phone holds: unused, used, expired. */
  mdocStatus(): Promise<MdocPoolSummary> {
    return mdocStatus(this.#context);
  }

  /** A detached CMS signature over `content` with the phone's JPKI signing key (署名用パスワード). */
  signDocument(content: Uint8Array, signingPassword: string, title = 'document'): Promise<Uint8Array> {
    return signDocument(this.#context, content, signingPassword, title);
  }

  /**
   * Signs a relying party's login challenge (the verifier's `/v1/jpki/login/challenges`) with the
   * phone's authentication key (利用者証明用暗証番号): the `loginStatement` binds it to that relying party.
   */
  signLogin(
    challenge: { readonly value: string; readonly clientId: string },
    authenticationPin: string,
  ): Promise<{ certificate: string; signature: string }> {
    return signLogin(this.#context, challenge, authenticationPin);
  }

  /**
   * Changes one of the phone's PINs (the current one verified by its applet). A new value of the wrong
   * form is `ERR_PIN_FORMAT`; a card error of another kind keeps its own code.
   */
  changePin(which: PhoneSecret, current: string, next: string): Promise<void> {
    return changePin(this.#context, which, current, next);
  }

  /**
   * Resets blocked (or forgotten) phone PINs with the stronger factor, the holder's card, through the
   * issuer's authorization. An authorization the phone refuses is `ERR_ISSUER_REFUSED`.
   */
  resetPins(options: PinResetOptions): Promise<void> {
    return resetPins(this.#context, options);
  }

  /** How the holder chose the phone's PINs at provisioning (one shared 4-digit PIN, or one per applet). */
  pinSettings(): Promise<PinSettings> {
    return readPinSettings(this.#context.options.storage);
  }

  /** Verifies PINs in their applets (each wrong one spends a try): before they are sealed for platform verification. */
  verifyPins(approval: Approval): Promise<void> {
    return verifyPins(this.#context, approval);
  }

  /** The PINs sealed for platform verification (WebAuthn PRF), or undefined when it is not set up. */
  sealedPins(): Promise<SealedPins | undefined> {
    return readSealedPins(this.#context.options.storage);
  }

  /** Stores the sealed PINs of a new registration, or (undefined) forgets platform verification. */
  saveSealedPins(sealed: SealedPins | undefined): Promise<void> {
    return writeSealedPins(this.#context.options.storage, sealed);
  }

  /**
   * Suspends or revokes this phone's certificates at the issuer, proven by the phone's authentication
   * key (利用者証明用暗証番号) over the issuer's challenge. A revoked phone then wipes its credentials.
   */
  changeLifecycle(action: Extract<HolderAction, 'suspend' | 'revoke'>, authenticationPin: string): Promise<void> {
    return changeLifecycle(this.#context, action, authenticationPin);
  }

  /**
   * Asks the issuer's OCSP responder (CRL as fallback) about this phone's authentication certificate;
   * a revoked phone wipes its credentials. Returns the status.
   */
  checkStatus(): Promise<'good' | 'suspended' | 'revoked' | 'unknown'> {
    return checkStatus(this.#context);
  }

  /**
   * Forgets the card, its keys and counters. The transaction log is not cleared: earlier entries stay,
   * and one more records the wipe (or why a remote secure area could not destroy its keys).
   */
  wipe(reason: 'revoked' | 'reset' = 'reset'): Promise<void> {
    return wipe(this.#context, reason);
  }

  /** The transaction log, oldest first. */
  history(): Promise<TransactionLogEntry[]> {
    return this.#context.options.storage.readLog();
  }

  /** The log as a JSON document (`openmyna-wallet-log/1`). */
  async exportHistory(): Promise<string> {
    return exportTransactionLog(await this.history(), this.#context.clock());
  }
}
