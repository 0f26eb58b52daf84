import { encodeCbor } from './cbor.js';
import { encodeCoseKey } from './cose-key.js';
import type { EcPrivateKey, MdocCrypto } from './crypto.js';
import {
  decodeDeviceEngagement,
  deviceEngagementUri,
  encodeDeviceEngagement,
  parseDeviceEngagementUri,
  type DeviceEngagement,
  type RelayRetrieval,
} from './device-engagement.js';
import { decodeDeviceRequest, type DeviceRequest } from './device-request.js';
import { MdocError } from './errors.js';
import {
  decodeSessionData,
  decodeSessionEstablishment,
  encodeSessionData,
  encodeSessionEstablishment,
  SESSION_STATUS,
  SessionEncryption,
} from './session-encryption.js';
import { proximitySessionTranscript, type SessionTranscript } from './session-transcript.js';
import type { MessageTransport } from './transport.js';

/**
 * The holder's side of an ISO/IEC 18013-5 proximity session: show the engagement (QR), receive the
 * encrypted request, answer with the encrypted response, end the session (§9.1.1).
 *
 * @example
 * ```ts
 * const holder = await MdocHolderSession.create({ crypto, relay: { url, session } });
 * showQr(holder.uri);
 * const { deviceRequest, transcript } = await holder.receiveRequest(transport);
 * await holder.sendResponse(transport, await createDeviceResponse({ ..., sessionTranscript: transcript }));
 * ```
 */
export class MdocHolderSession {
  #session: SessionEncryption | undefined;

  private constructor(
    readonly engagement: Uint8Array,
    private readonly eDeviceKey: EcPrivateKey,
    private readonly crypto: MdocCrypto,
  ) {}

  static async create(options: {
    readonly crypto: MdocCrypto;
    readonly relay?: RelayRetrieval;
  }): Promise<MdocHolderSession> {
    const eDeviceKey = await options.crypto.generateEcKey();
    const engagement = encodeDeviceEngagement({
      eDeviceKey: eDeviceKey.publicKey,
      ...(options.relay ? { relay: options.relay } : {}),
    });
    return new MdocHolderSession(engagement, eDeviceKey, options.crypto);
  }

  /** The QR text: `mdoc:` + base64url(DeviceEngagement). */
  get uri(): string {
    return deviceEngagementUri(this.engagement);
  }

  /** Reads SessionEstablishment, derives the session keys and decrypts the DeviceRequest. */
  async receiveRequest(
    transport: MessageTransport,
  ): Promise<{ deviceRequest: DeviceRequest; deviceRequestBytes: Uint8Array; transcript: SessionTranscript }> {
    if (this.#session) throw new MdocError('ERR_SESSION_STATE', 'the session is already established');
    const establishment = decodeSessionEstablishment(await transport.receive());
    const transcript = proximitySessionTranscript(this.engagement, establishment.eReaderKeyBytes);
    this.#session = await SessionEncryption.establish({
      role: 'mdoc',
      privateKey: this.eDeviceKey,
      peerKey: establishment.eReaderKey,
      transcript,
      crypto: this.crypto,
    });
    let deviceRequestBytes: Uint8Array;
    try {
      deviceRequestBytes = await this.#session.decrypt(establishment.data);
    } catch (error) {
      // §9.1.1.4: a message that cannot be decrypted ends the session with status 10.
      await this.#fail(transport, SESSION_STATUS.encryptionError);
      throw error;
    }
    try {
      return { deviceRequest: decodeDeviceRequest(deviceRequestBytes), deviceRequestBytes, transcript };
    } catch (error) {
      await this.#fail(transport, SESSION_STATUS.decodingError);
      throw error;
    }
  }

  /** Encrypts and sends the DeviceResponse, and ends the session (status 20) when `terminate` is set. */
  async sendResponse(transport: MessageTransport, deviceResponse: Uint8Array, terminate = true): Promise<void> {
    const session = this.#established();
    const data = await session.encrypt(deviceResponse);
    await transport.send(encodeSessionData(terminate ? { data, status: SESSION_STATUS.terminated } : { data }));
    if (terminate) session.terminate();
  }

  /** Ends the session without a response (the user declined). */
  async terminate(transport: MessageTransport): Promise<void> {
    await transport.send(encodeSessionData({ status: SESSION_STATUS.terminated }));
    this.#session?.terminate();
  }

  #established(): SessionEncryption {
    if (!this.#session || this.#session.terminated)
      throw new MdocError('ERR_SESSION_STATE', 'no session is established');
    return this.#session;
  }

  async #fail(transport: MessageTransport, status: number): Promise<void> {
    await transport.send(encodeSessionData({ status })).catch(() => undefined);
    this.#session?.terminate();
  }
}

/**
 * The reader's side: read the engagement (QR), send the encrypted DeviceRequest, receive the
 * encrypted DeviceResponse. The transcript binds ReaderAuth and the device's authentication to this
 * session.
 */
export class MdocReaderSession {
  private constructor(
    readonly engagement: DeviceEngagement,
    readonly eReaderKey: EcPrivateKey,
    readonly eReaderKeyBytes: Uint8Array,
    readonly transcript: SessionTranscript,
    private readonly session: SessionEncryption,
  ) {}

  /** From the scanned `mdoc:` URI or the DeviceEngagement bytes. Throws `ERR_ENGAGEMENT`. */
  static async fromEngagement(options: {
    readonly engagement: string | Uint8Array;
    readonly crypto: MdocCrypto;
  }): Promise<MdocReaderSession> {
    const bytes =
      typeof options.engagement === 'string' ? parseDeviceEngagementUri(options.engagement) : options.engagement;
    const engagement = decodeDeviceEngagement(bytes);
    const eReaderKey = await options.crypto.generateEcKey();
    const eReaderKeyBytes = encodeCbor(encodeCoseKey(eReaderKey.publicKey));
    const transcript = proximitySessionTranscript(engagement.bytes, eReaderKeyBytes);
    const session = await SessionEncryption.establish({
      role: 'reader',
      privateKey: eReaderKey,
      peerKey: engagement.eDeviceKey,
      transcript,
      crypto: options.crypto,
    });
    return new MdocReaderSession(engagement, eReaderKey, eReaderKeyBytes, transcript, session);
  }

  /** Sends SessionEstablishment carrying the encrypted DeviceRequest. */
  async sendRequest(transport: MessageTransport, deviceRequest: Uint8Array): Promise<void> {
    await transport.send(encodeSessionEstablishment(this.eReaderKeyBytes, await this.session.encrypt(deviceRequest)));
  }

  /**
   * The decrypted DeviceResponse. Throws `ERR_SESSION_STATE` when the holder ended the session
   * without one (declined) or reported an error status.
   */
  async receiveResponse(transport: MessageTransport): Promise<Uint8Array> {
    const message = decodeSessionData(await transport.receive());
    if (!message.data) {
      this.session.terminate();
      const reason =
        message.status === SESSION_STATUS.terminated
          ? 'the holder ended the session without a response'
          : `the holder reported session status ${message.status}`;
      throw new MdocError('ERR_SESSION_STATE', reason);
    }
    const response = await this.session.decrypt(message.data);
    if (message.status === SESSION_STATUS.terminated) this.session.terminate();
    return response;
  }

  /** Ends the session (status 20). */
  async terminate(transport: MessageTransport): Promise<void> {
    if (!this.session.terminated)
      await transport.send(encodeSessionData({ status: SESSION_STATUS.terminated })).catch(() => undefined);
    this.session.terminate();
  }
}
