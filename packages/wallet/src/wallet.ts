import { sha256 } from '@noble/hashes/sha2.js';
import {
  CardError,
  encodeJpkiAuthPresentation,
  encodeKenhojoPresentation,
  jpkiRevocation,
  JpkiReader,
  loginStatement,
  requestBindingAttribute,
  lifecycleStatement,
  MDOC_BATCH_DEFAULT,
  phonePinAccepts,
  pinResetStatement,
  type CardPrivateKey,
  type CardTransport,
  type HolderAction,
  type PhonePins,
} from '@openmyna/card';
import {
  base64UrlEncode,
  createAuthorizationResponse,
  createDeviceResponse,
  decodeIssuedMdoc,
  parseAuthorizationRequestUri,
  sessionTranscriptForRequest,
  verifyRequestObject,
  webMdocCrypto,
  type AuthorizationRequest,
  type CborValue,
  type MdocCrypto,
  type MdocTrustAnchor,
  type ValidatedLeaf,
  type WebSocketLike,
} from '@openmyna/mdoc';
import { base64ToBytes, bytesToBase64, encodeDigestInfo, parseCertificate, signCms, type Signer } from '@openmyna/pki';

import type { PhoneBundle } from './bundle.js';
import {
  consentForRequest,
  consentLogEntry,
  mdocRelease,
  type AvailableElements,
  type ConsentSecret,
  type ConsentView,
} from './consent.js';
import { errorCodeOf, WalletError } from './errors.js';
import { fetchJson } from './http.js';
import { InPersonPresentation } from './in-person.js';
import { IssuerClient } from './issuer-client.js';
import type { MdocPoolSummary, MdocUsePolicy, TakenMdoc } from './mdoc-pool.js';
import { refillMdocBatch } from './mdoc-refill.js';
import { provisionPhone, readCard, type ProvisioningStep } from './provisioning.js';
import { issuerOffersSecureArea } from './remote-secure-area.js';
import { expectVerified, SecureArea, type OpenedCard } from './secure-area.js';
import type { WalletStorage } from './storage.js';
import {
  exportTransactionLog,
  newEntryId,
  type TransactionLogEntry,
  type TransactionResult,
} from './transaction-log.js';

/** Options of {@link Wallet}. */
export interface WalletOptions {
  readonly storage: WalletStorage;
  /** The reader CAs whose relying parties' certificates this wallet trusts. */
  readonly readerAnchors: readonly MdocTrustAnchor[];
  /** The issuer's base URL (provisioning, the phone's lifecycle). */
  readonly issuerUrl?: string;
  readonly fetch?: typeof fetch;
  readonly clock: () => Date;
  /** Default Web Crypto; Node may pass `nodeMdocCrypto`. */
  readonly crypto?: MdocCrypto;
  /** Default `SoftwareCardKey`; Node may pass `nodeCardKey`. */
  readonly cardKey?: (jwk: JsonWebKey) => CardPrivateKey;
  /** How to open a WebSocket to an in-person relay (default the global WebSocket; Node 20 passes `ws`). */
  readonly createSocket?: (url: string) => WebSocketLike;
  /** The phone's batch of single-use MSOs (see {@link MdocBatchOptions}). */
  readonly mdocs?: MdocBatchOptions;
  /**
   * Where provisioning puts the JPKI and 券面 keys, the reference data and the retry counters: on the
   * phone (`local`, the default), in the issuer's remote secure area (`remote`), or there when the
   * issuer offers one (`auto`, the web wallet's default). An installed card keeps where it was put.
   */
  readonly secureArea?: 'local' | 'remote' | 'auto';
}

/**
 * How many MSOs the phone asks the issuer for, how it spends them, and when it refills. Defaults: a
 * batch of MDOC_BATCH_DEFAULT (10), `single-use`, refill once fewer than 3 unused remain.
 */
export interface MdocBatchOptions {
  /** MSOs per batch, 1 to MDOC_BATCH_MAX (50). */
  readonly batchSize?: number;
  readonly policy?: MdocUsePolicy;
  /** Refill after a presentation once fewer than this many unused MSOs remain (0: only on demand). */
  readonly refillBelow?: number;
}

/** The secrets a user enters to approve, by {@link ConsentSecret}. */
export type Approval = Partial<Record<ConsentSecret, string>>;

/** What the home screen shows: the holder as the card face gives them. */
export interface HolderSummary {
  readonly phoneId: string;
  readonly name: string;
  readonly address: string;
  /** 和暦, as printed. */
  readonly birthDate: string;
  readonly sex: string;
  /** JPEG. */
  readonly portrait: Uint8Array;
  readonly cardExpiry: string;
  readonly hasSigningCertificate: boolean;
}

/** An OpenID4VP request the wallet verified, waiting for the user's decision. */
export class PendingPresentation {
  #done = false;

  constructor(
    readonly view: ConsentView,
    readonly request: AuthorizationRequest,
    readonly reader: ValidatedLeaf,
  ) {}

  get done(): boolean {
    return this.#done;
  }

  /** Marks the request answered; a second answer is refused. */
  finish(): void {
    if (this.#done) throw new WalletError('ERR_REQUEST_DONE', 'this request was already answered');
    this.#done = true;
  }
}

/**
 * The phone: provisioning from the card, consent and presentment (OpenID4VP online, ISO 18013-5 in
 * person), JPKI signing and login, the phone's lifecycle and PINs, and the transaction log. Every
 * disclosure passes its applet's PIN check; nothing a requester may not receive is ever sent.
 */
export class Wallet {
  readonly secureArea: SecureArea;
  readonly #storage: WalletStorage;
  readonly #options: WalletOptions;
  readonly #fetch: typeof fetch;
  readonly #clock: () => Date;
  readonly #crypto: MdocCrypto;

  constructor(options: WalletOptions) {
    this.#options = options;
    this.#storage = options.storage;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#clock = options.clock;
    this.#crypto = options.crypto ?? webMdocCrypto;
    this.secureArea = this.#secureArea(undefined);
  }

  #secureArea(remote: string | undefined): SecureArea {
    return new SecureArea(this.#options.storage, {
      ...(this.#options.cardKey ? { cardKey: this.#options.cardKey } : {}),
      ...(remote ? { remote } : {}),
      fetch: this.#fetch,
    });
  }

  /** Where provisioning makes the keys: the issuer's remote secure area, or the phone. */
  async #provisioningSecureArea(): Promise<SecureArea> {
    const choice = this.#options.secureArea ?? 'local';
    if (choice === 'local') return this.secureArea;
    const issuer = this.#issuer();
    if (choice === 'auto' && !(await issuerOffersSecureArea(issuer.baseUrl, this.#fetch))) return this.secureArea;
    return this.#secureArea(issuer.baseUrl);
  }

  #issuer(): IssuerClient {
    if (!this.#options.issuerUrl) throw new WalletError('ERR_WALLET_STATE', 'no issuer URL is configured');
    return new IssuerClient(this.#options.issuerUrl, this.#fetch);
  }

  /** Adds the holder's My Number Card to this phone (DESIGN.md flow 2). */
  async provision(options: {
    readonly card: CardTransport;
    readonly cardPins: { readonly authentication: string; readonly signing: string };
    readonly phonePins: PhonePins;
    readonly onProgress?: (step: ProvisioningStep) => void;
  }): Promise<HolderSummary> {
    if (await this.secureArea.installedPhoneId())
      throw new WalletError('ERR_WALLET_STATE', 'this phone already holds a card; reset the wallet first');
    try {
      await provisionPhone({
        secureArea: await this.#provisioningSecureArea(),
        issuer: this.#issuer(),
        card: options.card,
        cardPins: options.cardPins,
        phonePins: options.phonePins,
        now: this.#clock,
        mdocBatchSize: this.#batchSize(),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } catch (error) {
      await this.#log({ kind: 'provisioning', items: [], result: resultOf(error), reason: errorCodeOf(error) });
      throw error;
    }
    await this.#log({
      kind: 'provisioning',
      items: ['jpki', 'kenhojo', 'kenkaku', 'juki', 'mdoc'],
      result: 'completed',
    });
    return this.holder();
  }

  /** Whether the phone holds a card. */
  async provisioned(): Promise<boolean> {
    return (await this.secureArea.installedPhoneId()) !== undefined;
  }

  /** The holder as the phone's card face shows them (the home screen; the holder's own phone). */
  async holder(): Promise<HolderSummary> {
    const bundle = await this.secureArea.bundle();
    const elements = mdocElements(bundle);
    const text = (name: string) => {
      const value = elements.get(`org.iso.23220.1.jp:${name}`);
      return typeof value === 'string' ? value : '';
    };
    const portrait = elements.get('org.iso.23220.1.jp:portrait');
    return {
      phoneId: bundle.phoneId,
      name: text('full_name_unicode'),
      address: text('resident_address_unicode'),
      birthDate: text('birth_date_unicode'),
      sex: text('sex_unicode'),
      portrait: portrait instanceof Uint8Array ? portrait : new Uint8Array(),
      cardExpiry: bundle.cardExpiry,
      hasSigningCertificate: bundle.jpki.signingCertificate !== undefined,
    };
  }

  /**
   * Opens an OpenID4VP request from a same-device link or a scanned QR (`openid4vp://…` or any URL
   * with `client_id` and `request_uri`): fetches the signed request object and checks it — signature,
   * the requester's certificate up to a trusted reader CA, client id, parameters, validity. A request
   * that fails is refused (`ERR_REQUEST_INVALID`, with the checks) and nothing is sent anywhere.
   */
  async openRequest(link: string): Promise<PendingPresentation> {
    let clientId: string;
    let requestUri: string;
    try {
      ({ clientId, requestUri } = parseAuthorizationRequestUri(link.trim()));
    } catch (error) {
      await this.#log({ kind: 'presentation', items: [], result: 'refused', reason: 'ERR_REQUEST_INVALID' });
      throw new WalletError('ERR_REQUEST_INVALID', 'this is not an OpenID4VP request link', { cause: error });
    }
    let jwt: string;
    try {
      const response = await this.#fetch(requestUri, { headers: { accept: 'application/oauth-authz-req+jwt' } });
      if (!response.ok)
        throw new WalletError(
          'ERR_REQUEST_INVALID',
          response.status === 410
            ? 'the request has expired or was answered'
            : `the request cannot be fetched (HTTP ${response.status})`,
        );
      jwt = (await response.text()).trim();
    } catch (error) {
      await this.#log({
        kind: 'presentation',
        items: [],
        result: 'failed',
        reason: errorCodeOf(error) ?? 'ERR_NETWORK',
      });
      if (error instanceof WalletError) throw error;
      throw new WalletError('ERR_NETWORK', 'the request cannot be fetched', { cause: error });
    }
    const { checks, verified } = await verifyRequestObject({
      jwt,
      readerAnchors: this.#options.readerAnchors,
      time: this.#clock(),
      crypto: this.#crypto,
      expectedClientId: clientId,
    });
    if (!verified) {
      const failed = checks.find((check) => check.status === 'fail');
      await this.#log({ kind: 'presentation', items: [], result: 'refused', reason: 'ERR_REQUEST_INVALID' });
      throw new WalletError(
        'ERR_REQUEST_INVALID',
        `the request was refused: ${failed ? `${failed.check}${failed.reason ? ` (${failed.reason})` : ''}` : 'unverified'}`,
        { checks },
      );
    }
    const bundle = await this.secureArea.bundle();
    let view: ConsentView;
    try {
      view = consentForRequest({
        request: verified.request,
        reader: verified.reader,
        available: availableElements(bundle),
        hasSigningCertificate: bundle.jpki.signingCertificate !== undefined,
      });
    } catch (error) {
      await this.#log({ kind: 'presentation', items: [], result: 'refused', reason: errorCodeOf(error) });
      if (error instanceof WalletError) throw error;
      throw new WalletError('ERR_REQUEST_INVALID', `the request was refused: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new PendingPresentation(view, verified.request, verified.reader);
  }

  /**
   * The user approved: checks each PIN or password in its applet (a wrong one costs a try and sends
   * nothing), builds the presentations of the items that may be released — the CMS signature over the
   * document, the 入力補助 records, the login signature, the mdoc — and posts them to the relying
   * party. Returns where the relying party wants the browser to go next, if anywhere.
   */
  async approve(pending: PendingPresentation, approval: Approval): Promise<{ redirectUri?: string }> {
    if (pending.done) throw new WalletError('ERR_REQUEST_DONE', 'this request was already answered');
    const { view, request } = pending;
    const missing = view.secrets.filter((secret) => !approval[secret]);
    if (missing.length > 0)
      throw new WalletError('ERR_APPROVAL_INCOMPLETE', `the approval needs ${missing.join(', ')}`);
    const entry = consentLogEntry('presentation', view);
    let form: Record<string, string>;
    try {
      const presentations = await this.secureArea.withCard((card) => this.#present(card, pending, approval));
      form = await createAuthorizationResponse({ request, presentations });
    } catch (error) {
      await this.#log({ ...entry, result: resultOf(error), reason: errorCodeOf(error) });
      throw error;
    }
    pending.finish();
    let answer: { redirect_uri?: unknown };
    try {
      answer = await this.#postForm<{ redirect_uri?: unknown }>(request, form, 'sending the answer');
      await this.#log({ ...entry, result: 'completed' });
    } catch (error) {
      await this.#log({ ...entry, result: 'failed', reason: errorCodeOf(error) });
      throw error;
    }
    if (view.items.some((item) => item.release && item.format === 'mso_mdoc')) await this.#refillIfLow();
    return typeof answer.redirect_uri === 'string' ? { redirectUri: answer.redirect_uri } : {};
  }

  /** The user declined: the relying party hears `access_denied` (OpenID4VP §8.5), and nothing else. */
  async decline(pending: PendingPresentation): Promise<void> {
    pending.finish();
    const { request, view } = pending;
    const form: Record<string, string> = { error: 'access_denied' };
    if (request.state) form['state'] = request.state;
    try {
      await this.#postForm(request, form, 'sending the refusal');
    } finally {
      await this.#log({ ...consentLogEntry('presentation', view), result: 'declined' });
    }
  }

  /** The wallet's `direct_post` to the request's `response_uri` (a form, as OpenID4VP §8.2 has it). */
  #postForm<T>(request: AuthorizationRequest, form: Record<string, string>, what: string): Promise<T> {
    return fetchJson<T>(
      this.#fetch,
      request.response_uri,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      },
      'ERR_RESPONSE_REJECTED',
      what,
    );
  }

  async #present(
    card: OpenedCard,
    pending: PendingPresentation,
    approval: Approval,
  ): Promise<Record<string, Uint8Array[]>> {
    const { view, request } = pending;
    const presentations: Record<string, Uint8Array[]> = {};
    let kenhojoOpen = false;
    const openKenhojo = async () => {
      if (kenhojoOpen) return;
      await card.kenhojo.select();
      expectVerified(await card.kenhojo.verify('pin', approval.kenhojoPin!), 'the 券面事項入力補助用暗証番号');
      kenhojoOpen = true;
    };
    const released = view.items.filter((item) => item.release);
    // The 入力補助 records before the signature: the signature's request binding covers them.
    const order = ['jp_kenhojo', 'jpki_sign', 'jpki_auth', 'mso_mdoc'];
    const formatOf = (id: string) => released.find((item) => item.credentialId === id)!.format;
    const credentialIds = [...new Set(released.map((item) => item.credentialId))].sort(
      (a, b) => order.indexOf(formatOf(a)) - order.indexOf(formatOf(b)),
    );
    for (const id of credentialIds) {
      const items = released.filter((item) => item.credentialId === id);
      const format = items[0]!.format;
      if (format === 'jpki_sign') {
        const kenhojoSent = credentialIds
          .filter((other) => formatOf(other) === 'jp_kenhojo')
          .map((other) => presentations[other]![0]!)[0];
        await card.jpki.select();
        expectVerified(await card.jpki.verifyPin('signing', approval.signingPassword!), 'the 署名用パスワード');
        presentations[id] = [
          await signCms({
            content: view.document!.bytes,
            signer: appletSigner(card, 'signing', card.bundle.jpki.signingCertificate!),
            certificate: base64ToBytes(card.bundle.jpki.signingCertificate!),
            signingTime: this.#clock(),
            extraAttributes: [
              requestBindingAttribute({
                clientId: request.client_id,
                nonce: request.nonce,
                ...(kenhojoSent ? { kenhojoPresentation: kenhojoSent } : {}),
              }),
            ],
          }),
        ];
      } else if (format === 'jp_kenhojo') {
        await openKenhojo();
        const records = new Set(items.map((item) => item.record));
        presentations[id] = [
          encodeKenhojoPresentation({
            integrityRecord: await card.kenhojo.readIntegrityRecord(),
            cvCertificate: await card.kenhojo.readCvCertificate(),
            ...(records.has('my_number') ? { myNumberFile: await card.kenhojo.readMyNumberFile() } : {}),
            ...(records.has('basic_four_info')
              ? { basicFourInfoFile: await card.kenhojo.readBasicFourInfoFile() }
              : {}),
          }),
        ];
      } else if (format === 'jpki_auth') {
        await card.jpki.select();
        expectVerified(
          await card.jpki.verifyPin('authentication', approval.authenticationPin!),
          'the 利用者証明用暗証番号',
        );
        const statement = loginStatement({ value: request.nonce, clientId: request.client_id });
        presentations[id] = [
          encodeJpkiAuthPresentation({
            certificate: base64ToBytes(card.bundle.jpki.authenticationCertificate),
            signature: await card.jpki.sign('authentication', encodeDigestInfo('SHA-256', sha256(statement))),
          }),
        ];
      } else {
        await openKenhojo();
        // Checked out (and marked used, durably) only after the PIN, before anything is sent.
        const taken = await this.#takeMdoc(request.client_id);
        presentations[id] = [
          await createDeviceResponse({
            issued: taken.issued,
            release: mdocRelease(items),
            sessionTranscript: await sessionTranscriptForRequest(request, this.#crypto),
            deviceKey: taken.deviceKey,
            mode: { type: 'signature' },
            crypto: this.#crypto,
          }),
        ];
      }
    }
    return presentations;
  }

  /**
   * Starts an in-person presentation (ISO/IEC 18013-5 over the verifier's relay): the returned session
   * shows the engagement QR, then waits for the reader's request.
   */
  async startInPerson(relay: { readonly url: string; readonly session: string }): Promise<InPersonPresentation> {
    const bundle = await this.secureArea.bundle();
    return InPersonPresentation.start({
      relay,
      crypto: this.#crypto,
      readerAnchors: this.#options.readerAnchors,
      clock: this.#clock,
      available: availableElements(bundle),
      ...(this.#options.createSocket ? { createSocket: this.#options.createSocket } : {}),
      respond: async (kenhojoPin, relyingParty, build) =>
        this.secureArea.withCard(async (card) => {
          await card.kenhojo.select();
          expectVerified(await card.kenhojo.verify('pin', kenhojoPin), 'the 券面事項入力補助用暗証番号');
          const taken = await this.#takeMdoc(relyingParty);
          return build(taken.issued, taken.deviceKey);
        }),
      log: async (entry) => {
        await this.#log(entry);
        if (entry.result === 'completed') await this.#refillIfLow();
      },
    });
  }

  /**
   * Gets a fresh batch of single-use MSOs from the issuer — no PIN: one of the phone's device keys with
   * a valid MSO proves the phone — and retires the earlier batch. `ERR_MDOC_EXHAUSTED` when every MSO
   * has expired (nothing can prove the phone; add the card again), `ERR_ISSUER_REFUSED` with the
   * issuer's code (a suspended or revoked phone, the daily bound), `ERR_NETWORK`.
   */
  async refillMdocs(): Promise<MdocPoolSummary> {
    try {
      const phoneId = await this.secureArea.installedPhoneId();
      if (!phoneId) throw new WalletError('ERR_WALLET_STATE', 'this phone holds no card');
      await refillMdocBatch({
        secureArea: this.secureArea,
        issuer: this.#issuer(),
        phoneId,
        size: this.#batchSize(),
        now: this.#clock(),
      });
    } catch (error) {
      await this.#log({ kind: 'mdoc-refill', items: ['mdoc'], result: resultOf(error), reason: errorCodeOf(error) });
      throw error;
    }
    await this.#log({ kind: 'mdoc-refill', items: ['mdoc'], result: 'completed' });
    return this.mdocStatus();
  }

  /** How many MSOs the phone holds: unused, used, expired. */
  mdocStatus(): Promise<MdocPoolSummary> {
    return this.secureArea.mdocs.summary(this.#clock());
  }

  #batchSize(): number {
    return this.#options.mdocs?.batchSize ?? MDOC_BATCH_DEFAULT;
  }

  /**
   * An MSO for a presentation to `relyingParty`, under the configured policy. None left: one refill is
   * tried first (when an issuer is configured); if that fails too, `ERR_MDOC_EXHAUSTED` — an MSO is
   * never shown twice against the policy.
   */
  async #takeMdoc(relyingParty: string | undefined): Promise<TakenMdoc> {
    const take = () =>
      this.secureArea.mdocs.take({
        relyingParty,
        policy: this.#options.mdocs?.policy ?? 'single-use',
        now: this.#clock(),
      });
    try {
      return await take();
    } catch (error) {
      if (errorCodeOf(error) !== 'ERR_MDOC_EXHAUSTED' || !this.#options.issuerUrl) throw error;
    }
    try {
      await this.refillMdocs();
    } catch (error) {
      throw new WalletError(
        'ERR_MDOC_EXHAUSTED',
        `no unused mdoc is left on this phone, and the refill failed (${errorCodeOf(error) ?? 'error'})`,
        { cause: error },
      );
    }
    return take();
  }

  /** After a presentation: refills once fewer than `refillBelow` unused MSOs remain; a failure is logged only. */
  async #refillIfLow(): Promise<void> {
    const threshold = this.#options.mdocs?.refillBelow ?? 3;
    if (!this.#options.issuerUrl || threshold <= 0) return;
    if ((await this.mdocStatus()).unused >= threshold) return;
    await this.refillMdocs().catch(() => undefined);
  }

  /** A detached CMS signature over `content` with the phone's JPKI signing key (署名用パスワード). */
  async signDocument(content: Uint8Array, signingPassword: string, title = 'document'): Promise<Uint8Array> {
    try {
      const signature = await this.secureArea.withCard(async (card) => {
        const certificate = card.bundle.jpki.signingCertificate;
        if (!certificate) throw new WalletError('ERR_REQUEST_UNSUPPORTED', 'this phone has no signing certificate');
        await card.jpki.select();
        expectVerified(await card.jpki.verifyPin('signing', signingPassword), 'the 署名用パスワード');
        return signCms({
          content,
          signer: appletSigner(card, 'signing', certificate),
          certificate: base64ToBytes(certificate),
          signingTime: this.#clock(),
        });
      });
      await this.#log({ kind: 'signature', items: ['jpki_sign'], documentTitle: title, result: 'completed' });
      return signature;
    } catch (error) {
      await this.#log({
        kind: 'signature',
        items: ['jpki_sign'],
        documentTitle: title,
        result: resultOf(error),
        reason: errorCodeOf(error),
      });
      throw error;
    }
  }

  /**
   * Signs a relying party's login challenge (the verifier's `/v1/jpki/login/challenges`) with the
   * phone's authentication key (利用者証明用暗証番号): the `loginStatement` binds it to that relying party.
   */
  async signLogin(
    challenge: { readonly value: string; readonly clientId: string },
    authenticationPin: string,
  ): Promise<{ certificate: string; signature: string }> {
    try {
      const answer = await this.secureArea.withCard(async (card) => {
        await card.jpki.select();
        expectVerified(await card.jpki.verifyPin('authentication', authenticationPin), 'the 利用者証明用暗証番号');
        const signature = await card.jpki.sign(
          'authentication',
          encodeDigestInfo('SHA-256', sha256(loginStatement(challenge))),
        );
        return { certificate: card.bundle.jpki.authenticationCertificate, signature: bytesToBase64(signature) };
      });
      await this.#log({
        kind: 'login',
        counterparty: { verified: false, clientId: challenge.clientId },
        items: ['jpki_auth'],
        result: 'completed',
      });
      return answer;
    } catch (error) {
      await this.#log({
        kind: 'login',
        counterparty: { verified: false, clientId: challenge.clientId },
        items: ['jpki_auth'],
        result: resultOf(error),
        reason: errorCodeOf(error),
      });
      throw error;
    }
  }

  /**
   * Changes one of the phone's PINs: the current value is verified by its applet (a try is spent if
   * wrong), then CHANGE REFERENCE DATA sets the new one, which the applet checks for form.
   */
  async changePin(which: ConsentSecret | 'jukiPin', current: string, next: string): Promise<void> {
    try {
      await this.secureArea.withCard(async (card) => {
        if (which === 'signingPassword' || which === 'authenticationPin') {
          const secret = which === 'signingPassword' ? 'signing' : 'authentication';
          await card.jpki.select();
          expectVerified(await card.jpki.verifyPin(secret, current), 'the current PIN');
          await card.jpki.changePin(secret, next);
        } else if (which === 'kenhojoPin') {
          await card.kenhojo.select();
          expectVerified(await card.kenhojo.verify('pin', current), 'the current PIN');
          await card.kenhojo.changePin(next);
        } else {
          throw new WalletError('ERR_REQUEST_UNSUPPORTED', 'the 住基 PIN is changed at the municipality counter');
        }
      });
    } catch (error) {
      await this.#log({ kind: 'pin-change', items: [which], result: resultOf(error), reason: errorCodeOf(error) });
      // The applet refuses a malformed new value (6A80); anything else keeps its own error.
      if (!(error instanceof CardError)) throw error;
      throw new WalletError('ERR_PIN_FORMAT', 'the new PIN does not have the form its application requires', {
        cause: error,
      });
    }
    await this.#log({ kind: 'pin-change', items: [which], result: 'completed' });
  }

  /**
   * Resets blocked (or forgotten) phone PINs with the stronger factor, the holder's card: the issuer
   * opens a challenge, the card's signing key (behind the card's signing password) signs the
   * `pinResetStatement` naming the PINs, this phone and the phone's own single-use nonce, and the issuer
   * answers with an authorization the phone verifies against the key it pinned at provisioning before
   * its counters are reset to the new values. The card's password goes to the card only.
   */
  async resetPins(options: {
    readonly card: CardTransport;
    readonly cardSigningPassword: string;
    /** New values by secret; each named PIN is reset. */
    readonly pins: Partial<Record<ConsentSecret | 'jukiPin', string>>;
  }): Promise<void> {
    const references: Record<ConsentSecret | 'jukiPin', string> = {
      authenticationPin: 'jpki/0018',
      signingPassword: 'jpki/001B',
      kenhojoPin: 'kenhojo/0011',
      jukiPin: 'juki/001C',
    };
    const chosen = Object.entries(options.pins).filter(([, value]) => value !== undefined) as [
      ConsentSecret | 'jukiPin',
      string,
    ][];
    const items = chosen.map(([secret]) => secret);
    try {
      if (chosen.length === 0) throw new WalletError('ERR_PIN_FORMAT', 'name at least one PIN to reset');
      for (const [secret, value] of chosen)
        if (!phonePinAccepts(references[secret], value))
          throw new WalletError('ERR_PIN_FORMAT', `the new ${secret} does not have the form its application requires`);
      const phoneId = await this.secureArea.installedPhoneId();
      if (!phoneId) throw new WalletError('ERR_WALLET_STATE', 'this phone holds no card');
      const issuer = this.#issuer();
      const pins = chosen.map(([secret]) => references[secret]);
      const challenge = await issuer.openChallenge(phoneId, 'pin-reset');
      const phoneNonce = base64UrlEncode(crypto.getRandomValues(new Uint8Array(24)));
      const statement = pinResetStatement({ phoneId, pins, phoneNonce, nonce: challenge.nonce });
      const proof = await readCard(async () => {
        const jpki = new JpkiReader(options.card);
        await jpki.select();
        expectVerified(await jpki.verifyPin('signing', options.cardSigningPassword), "the card's 署名用パスワード");
        const signature = await jpki.sign('signing', encodeDigestInfo('SHA-256', sha256(statement)));
        return { certificate: await jpki.readCertificate('signing'), signature };
      });
      const { authorization } = await issuer.authorizePinReset(phoneId, {
        challengeId: challenge.challengeId,
        pins,
        phoneNonce,
        cardSigningCertificate: bytesToBase64(proof.certificate),
        signature: bytesToBase64(proof.signature),
      });
      await this.secureArea.resetPins({
        authorization,
        phoneNonce,
        now: this.#clock(),
        pins: Object.fromEntries(chosen.map(([secret, value]) => [references[secret], value])),
      });
    } catch (error) {
      await this.#log({ kind: 'pin-reset', items, result: resultOf(error), reason: errorCodeOf(error) });
      if (error instanceof CardError) throw new WalletError('ERR_ISSUER_REFUSED', error.message, { cause: error });
      throw error;
    }
    await this.#log({ kind: 'pin-reset', items, result: 'completed' });
  }

  /**
   * Suspends or revokes this phone's certificates at the issuer, proven by the phone's authentication
   * key (利用者証明用暗証番号) over the issuer's challenge. A revoked phone then wipes its credentials.
   */
  async changeLifecycle(action: Extract<HolderAction, 'suspend' | 'revoke'>, authenticationPin: string): Promise<void> {
    const phoneId = await this.secureArea.installedPhoneId();
    if (!phoneId) throw new WalletError('ERR_WALLET_STATE', 'this phone holds no card');
    const issuer = this.#issuer();
    try {
      const challenge = await issuer.openChallenge(phoneId, 'lifecycle');
      const signature = await this.secureArea.withCard(async (card) => {
        await card.jpki.select();
        expectVerified(await card.jpki.verifyPin('authentication', authenticationPin), 'the 利用者証明用暗証番号');
        const statement = lifecycleStatement({ phoneId, action, nonce: challenge.nonce });
        return card.jpki.sign('authentication', encodeDigestInfo('SHA-256', sha256(statement)));
      });
      await issuer.changeLifecycle(phoneId, {
        challengeId: challenge.challengeId,
        action,
        proof: { kind: 'phone-authentication', signature: bytesToBase64(signature) },
      });
    } catch (error) {
      await this.#log({ kind: 'lifecycle', items: [action], result: resultOf(error), reason: errorCodeOf(error) });
      throw error;
    }
    await this.#log({ kind: 'lifecycle', items: [action], result: 'completed' });
    if (action === 'revoke') await this.wipe('revoked');
  }

  /**
   * Asks the issuer's OCSP responder (CRL as fallback) about this phone's authentication certificate;
   * a revoked phone wipes its credentials. Returns the status.
   */
  async checkStatus(): Promise<'good' | 'suspended' | 'revoked' | 'unknown'> {
    const bundle = await this.secureArea.bundle();
    const revocation = jpkiRevocation({ fetch: this.#fetch, clock: this.#clock, cacheSeconds: 0 });
    const status = await revocation.check(
      parseCertificate(base64ToBytes(bundle.jpki.authenticationCertificate)),
      parseCertificate(base64ToBytes(bundle.jpki.authenticationCaCertificate)),
    );
    if (status.status === 'revoked') {
      await this.wipe('revoked');
      return 'revoked';
    }
    return status.status === 'on-hold' ? 'suspended' : status.status;
  }

  /** Forgets the card, its keys and counters; the log stays, with one entry saying so (or why a remote part failed). */
  async wipe(reason: 'revoked' | 'reset' = 'reset'): Promise<void> {
    try {
      await this.secureArea.wipe();
    } catch (error) {
      await this.#log({ kind: 'wipe', items: [], result: 'failed', reason: errorCodeOf(error) ?? reason });
      throw error;
    }
    await this.#log({ kind: 'wipe', items: [], result: 'completed', reason });
  }

  /** The transaction log, oldest first. */
  history(): Promise<TransactionLogEntry[]> {
    return this.#storage.readLog();
  }

  /** The log as a JSON document (`openmyna-wallet-log/1`). */
  async exportHistory(): Promise<string> {
    return exportTransactionLog(await this.history(), this.#clock());
  }

  async #log(entry: Omit<TransactionLogEntry, 'id' | 'time' | 'reason'> & { reason?: string | undefined }) {
    const now = this.#clock();
    const { reason, ...rest } = entry;
    await this.#storage.appendLog({
      id: newEntryId(now),
      time: now.toISOString(),
      ...rest,
      ...(reason ? { reason } : {}),
    });
  }
}

/** A JPKI key behind the applet as a pki `Signer` (its PIN verified in this session). */
function appletSigner(card: OpenedCard, secret: 'signing' | 'authentication', certificate: string): Signer {
  return {
    algorithm: 'sha256WithRSAEncryption',
    publicKeyInfo: parseCertificate(base64ToBytes(certificate)).subjectPublicKeyInfo,
    sign: (data) => card.jpki.sign(secret, encodeDigestInfo('SHA-256', sha256(data))),
  };
}

function resultOf(error: unknown): TransactionResult {
  if (
    error instanceof WalletError &&
    ['ERR_NETWORK', 'ERR_RESPONSE_REJECTED', 'ERR_ISSUER_REFUSED'].includes(error.code)
  )
    return 'failed';
  return 'refused';
}

function mdocElements(bundle: PhoneBundle): Map<string, CborValue> {
  const { issuerSigned } = decodeIssuedMdoc(base64ToBytes(bundle.mdoc));
  const values = new Map<string, CborValue>();
  for (const [nameSpace, items] of issuerSigned.nameSpaces)
    for (const item of items) values.set(`${nameSpace}:${item.elementIdentifier}`, item.elementValue);
  return values;
}

/** The elements the phone's mdoc holds, by namespace. */
export function availableElements(bundle: PhoneBundle): AvailableElements {
  const { issuerSigned } = decodeIssuedMdoc(base64ToBytes(bundle.mdoc));
  return new Map(
    [...issuerSigned.nameSpaces].map(([nameSpace, items]) => [
      nameSpace,
      new Set(items.map((item) => item.elementIdentifier)),
    ]),
  );
}
