import {
  displayNameOf,
  createDeviceResponse,
  evaluateItemsRequest,
  MdocHolderSession,
  MNC_DOCTYPE,
  verifyReaderAuthentication,
  webSocketTransport,
  type DeviceRequest,
  type EcPrivateKey,
  type IssuerSigned,
  type MdocCrypto,
  type MdocTrustAnchor,
  type MessageTransport,
  type SessionTranscript,
  type WebSocketLike,
} from '@openmyna/mdoc';
import { bytesToBase64 } from '@openmyna/pki';

import {
  consentLogEntry,
  mayReceiveMyNumber,
  mdocConsentItems,
  mdocRelease,
  secretsFor,
  type AvailableElements,
  type ConsentView,
} from './consent.js';
import { errorCodeOf, WalletError } from './errors.js';
import type { TransactionLogEntry } from './transaction-log.js';
import { resultOf } from './wallet-log.js';

type LogEntry = Omit<TransactionLogEntry, 'id' | 'time' | 'reason'> & { reason?: string | undefined };

/** What the wallet gives an in-person session: its holdings, and a way to answer behind the PIN. */
export interface InPersonOptions {
  readonly relay: { readonly url: string; readonly session: string };
  readonly crypto: MdocCrypto;
  readonly readerAnchors: readonly MdocTrustAnchor[];
  readonly clock: () => Date;
  readonly available: AvailableElements;
  readonly createSocket?: (url: string) => WebSocketLike;
  /**
   * Verifies the 入力補助 PIN in the applet, then checks out an MSO for `relyingParty` (the reader's
   * certificate, base64; undefined for a reader that did not authenticate) and builds the response
   * with it and its device key.
   */
  readonly respond: (
    kenhojoPin: string,
    relyingParty: string | undefined,
    build: (issued: { docType: string; issuerSigned: IssuerSigned }, deviceKey: EcPrivateKey) => Promise<Uint8Array>,
  ) => Promise<Uint8Array>;
  readonly log: (entry: LogEntry) => Promise<void>;
}

/** The reader's request, as the wallet read it. */
interface ArrivedRequest {
  readonly deviceRequest: DeviceRequest;
  readonly transcript: SessionTranscript;
  readonly view: ConsentView;
  readonly reader: string | undefined;
}

/**
 * An in-person presentation (DESIGN.md flow 4, ISO/IEC 18013-5): the phone shows {@link qr} (device
 * engagement naming the relay session), the reader connects and sends its encrypted request, the user
 * sees who asks — the name from a verified reader certificate, or a warning — and each item; on
 * approval (入力補助 PIN) the phone sends the encrypted response, signed by its device key.
 */
export class InPersonPresentation {
  #transport: MessageTransport | undefined;
  #request: ArrivedRequest | undefined;
  #finished = false;
  #answering = false;

  private constructor(
    private readonly holder: MdocHolderSession,
    private readonly options: InPersonOptions,
  ) {}

  static async start(options: InPersonOptions): Promise<InPersonPresentation> {
    const holder = await MdocHolderSession.create({ crypto: options.crypto, relay: options.relay });
    return new InPersonPresentation(holder, options);
  }

  /** The QR text: `mdoc:` + the device engagement. */
  get qr(): string {
    return this.holder.uri;
  }

  /** Connects to the relay and waits for the reader's request; returns what the consent screen shows. */
  async waitForRequest(): Promise<ConsentView> {
    if (this.#transport) throw new WalletError('ERR_SESSION', 'this session is already waiting');
    const { url, session } = this.options.relay;
    try {
      this.#transport = await webSocketTransport(`${url}/${session}`, this.options.createSocket);
      const { deviceRequest, transcript } = await this.holder.receiveRequest(this.#transport);
      const [docRequest, ...others] = deviceRequest.docRequests;
      if (!docRequest || others.length > 0)
        throw new WalletError('ERR_REQUEST_UNSUPPORTED', 'the reader must ask for exactly one document');
      const authentication = await verifyReaderAuthentication({
        docRequest,
        sessionTranscript: transcript,
        readerAnchors: this.options.readerAnchors,
        time: this.options.clock(),
        crypto: this.options.crypto,
      });
      const reader = authentication.reader;
      const evaluation = evaluateItemsRequest({
        itemsRequest: docRequest.itemsRequest,
        reader,
        available: this.options.available,
        availableDocType: MNC_DOCTYPE,
      });
      const items = mdocConsentItems(docRequest.itemsRequest.docType, evaluation);
      const name = reader ? displayNameOf(reader.certificate.subject) : undefined;
      const view: ConsentView = {
        requester: reader
          ? { ...(name ? { name } : {}), verified: true }
          : {
              verified: false,
              warning:
                'この読み取り機は確認できません。相手を確かめてから提示してください。 (The reader could not be verified.)',
            },
        items,
        myNumber: { requested: items.some((item) => item.myNumber), allowed: mayReceiveMyNumber(reader) },
        secrets: secretsFor(items),
      };
      const readerId = reader ? bytesToBase64(reader.certificate.der) : undefined;
      this.#request = { deviceRequest, transcript, view, reader: readerId };
      return view;
    } catch (error) {
      await this.options.log({
        kind: 'in-person',
        items: [],
        result: 'failed',
        reason: errorCodeOf(error) ?? 'ERR_SESSION',
      });
      await this.close();
      if (error instanceof WalletError) throw error;
      throw new WalletError('ERR_SESSION', `the in-person session failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Sends the items that may be released, after the 入力補助 PIN is verified in its applet. */
  async approve(kenhojoPin: string): Promise<void> {
    const { request, transport } = this.#pending();
    // One answer at a time: a double tap must not spend two PIN tries.
    this.#answering = true;
    try {
      await this.#answer(kenhojoPin, request, transport);
    } finally {
      this.#answering = false;
    }
  }

  async #answer(kenhojoPin: string, request: ArrivedRequest, transport: MessageTransport): Promise<void> {
    const release = mdocRelease(request.view.items);
    let response: Uint8Array;
    try {
      response = await this.options.respond(kenhojoPin, request.reader, (issued, deviceKey) =>
        createDeviceResponse({
          issued,
          release,
          sessionTranscript: request.transcript,
          deviceKey,
          mode: { type: 'signature' },
          crypto: this.options.crypto,
        }),
      );
    } catch (error) {
      await this.options.log({ ...this.#entry(), result: resultOf(error), reason: errorCodeOf(error) });
      // A locked PIN cannot answer: the reader hears the session end (status 20) rather than waiting.
      if (errorCodeOf(error) === 'ERR_PIN_BLOCKED') {
        this.#finished = true;
        await this.holder
          .terminate(transport)
          .catch(() => undefined)
          .finally(() => this.close());
      }
      throw error;
    }
    this.#finished = true;
    try {
      await this.holder.sendResponse(transport, response);
      await this.options.log({ ...this.#entry(), result: 'completed' });
    } catch (error) {
      await this.options.log({ ...this.#entry(), result: 'failed', reason: 'ERR_SESSION' });
      throw new WalletError('ERR_SESSION', 'the response could not be sent', { cause: error });
    } finally {
      await this.close();
    }
  }

  /** Ends the session without a response. */
  async decline(): Promise<void> {
    const { transport } = this.#pending();
    this.#finished = true;
    try {
      await this.holder.terminate(transport);
    } finally {
      await this.options.log({ ...this.#entry(), result: 'declined' });
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.#transport?.close();
  }

  #pending() {
    if (!this.#request || !this.#transport) throw new WalletError('ERR_SESSION', 'no request has arrived');
    if (this.#finished) throw new WalletError('ERR_REQUEST_DONE', 'this request was already answered');
    if (this.#answering) throw new WalletError('ERR_REQUEST_DONE', 'this request is being answered');
    return { request: this.#request, transport: this.#transport };
  }

  #entry() {
    return consentLogEntry('in-person', this.#request!.view);
  }
}
