import { decodeCbor, encodeCbor, encodedCbor } from './cbor.js';
import { asBytes, asInteger, asMap, decodeEmbedded, onlyKeys, required } from './cbor-structure.js';
import { utf8 } from './bytes.js';
import { decodeCoseKey } from './cose-key.js';
import type { EcPrivateKey, EcPublicKey, MdocCrypto } from './crypto.js';
import { MdocError } from './errors.js';
import type { SessionTranscript } from './session-transcript.js';

/** SessionData status codes (ISO/IEC 18013-5 §9.1.1.4). */
export const SESSION_STATUS = { encryptionError: 10, decodingError: 11, terminated: 20 } as const;

/** The two directions and their IV identifiers (§9.1.1.5): reader → mdoc uses 0, mdoc → reader uses 1. */
export type SessionRole = 'reader' | 'mdoc';

/** Session keys (§9.1.1.5): HKDF-SHA-256(ECDH, salt = SHA-256(SessionTranscriptBytes), info "SKReader"/"SKDevice"). */
export async function deriveSessionKeys(
  sharedSecret: Uint8Array,
  transcript: SessionTranscript,
  crypto: MdocCrypto,
): Promise<{ skReader: Uint8Array; skDevice: Uint8Array }> {
  const salt = await crypto.digest('SHA-256', transcript.taggedBytes);
  return {
    skReader: await crypto.hkdfSha256(sharedSecret, salt, utf8('SKReader'), 32),
    skDevice: await crypto.hkdfSha256(sharedSecret, salt, utf8('SKDevice'), 32),
  };
}

/**
 * One side of an encrypted session (§9.1.1.5): AES-256-GCM, IV = 8-byte identifier ‖ 4-byte message
 * counter starting at 1, a separate counter per direction. A message that arrives out of order,
 * twice, or altered fails to decrypt (`ERR_SESSION_DECRYPT`); after `terminate` nothing is accepted.
 *
 * @example
 * ```ts
 * const session = await SessionEncryption.establish({ role: 'mdoc', privateKey: eDeviceKey, peerKey: eReaderKey, transcript, crypto });
 * const requestBytes = await session.decrypt(sessionEstablishment.data);
 * ```
 */
export class SessionEncryption {
  #sendCounter = 1;
  #receiveCounter = 1;
  #terminated = false;

  private constructor(
    private readonly role: SessionRole,
    private readonly sendKey: Uint8Array,
    private readonly receiveKey: Uint8Array,
    private readonly crypto: MdocCrypto,
  ) {}

  static async establish(options: {
    readonly role: SessionRole;
    readonly privateKey: EcPrivateKey;
    readonly peerKey: EcPublicKey;
    readonly transcript: SessionTranscript;
    readonly crypto: MdocCrypto;
  }): Promise<SessionEncryption> {
    const secret = await options.privateKey.deriveSharedSecret(options.peerKey);
    return SessionEncryption.fromSharedSecret(options.role, secret, options.transcript, options.crypto);
  }

  static async fromSharedSecret(
    role: SessionRole,
    secret: Uint8Array,
    transcript: SessionTranscript,
    crypto: MdocCrypto,
  ): Promise<SessionEncryption> {
    const { skReader, skDevice } = await deriveSessionKeys(secret, transcript, crypto);
    return role === 'reader'
      ? new SessionEncryption(role, skReader, skDevice, crypto)
      : new SessionEncryption(role, skDevice, skReader, crypto);
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  async encrypt(plaintext: Uint8Array): Promise<Uint8Array> {
    this.#assertOpen();
    const iv = this.#iv(this.role === 'reader' ? 0 : 1, this.#sendCounter);
    this.#sendCounter++;
    return this.crypto.aesGcmEncrypt(this.sendKey, iv, plaintext);
  }

  async decrypt(ciphertext: Uint8Array): Promise<Uint8Array> {
    this.#assertOpen();
    const iv = this.#iv(this.role === 'reader' ? 1 : 0, this.#receiveCounter);
    const plaintext = await this.crypto.aesGcmDecrypt(this.receiveKey, iv, ciphertext);
    this.#receiveCounter++;
    return plaintext;
  }

  /** Ends the session: keys are no longer used (§9.1.1.4, status 20). */
  terminate(): void {
    this.#terminated = true;
    this.sendKey.fill(0);
    this.receiveKey.fill(0);
  }

  #assertOpen(): void {
    if (this.#terminated) throw new MdocError('ERR_SESSION_STATE', 'the session has been terminated');
  }

  #iv(identifier: 0 | 1, counter: number): Uint8Array {
    if (counter > 0xffffffff) throw new MdocError('ERR_SESSION_COUNTER', 'the message counter is exhausted');
    const iv = new Uint8Array(12);
    const view = new DataView(iv.buffer);
    view.setUint32(4, identifier);
    view.setUint32(8, counter);
    return iv;
  }
}

/** SessionEstablishment (§9.1.1.4): `{ "eReaderKey": EReaderKeyBytes, "data": bstr }`. */
export function encodeSessionEstablishment(eReaderKeyBytes: Uint8Array, data: Uint8Array): Uint8Array {
  return encodeCbor(
    new Map<string, unknown>([
      ['eReaderKey', encodedCbor(eReaderKeyBytes)],
      ['data', data],
    ]),
  );
}

export function decodeSessionEstablishment(bytes: Uint8Array): {
  eReaderKey: EcPublicKey;
  eReaderKeyBytes: Uint8Array;
  data: Uint8Array;
} {
  const map = asMap(decodeCbor(bytes, 'SessionEstablishment'), 'SessionEstablishment');
  onlyKeys(map, ['eReaderKey', 'data'], 'SessionEstablishment');
  const { bytes: eReaderKeyBytes, item } = decodeEmbedded(required(map, 'eReaderKey', 'eReaderKey'), 'EReaderKeyBytes');
  return {
    eReaderKey: decodeCoseKey(item, 'eReaderKey'),
    eReaderKeyBytes,
    data: asBytes(required(map, 'data', 'data'), 'data'),
  };
}

/** SessionData (§9.1.1.4): `{ ? "data": bstr, ? "status": uint }`. */
export function encodeSessionData(message: { readonly data?: Uint8Array; readonly status?: number }): Uint8Array {
  const map = new Map<string, unknown>();
  if (message.data) map.set('data', message.data);
  if (message.status !== undefined) map.set('status', message.status);
  return encodeCbor(map);
}

export function decodeSessionData(bytes: Uint8Array): { data?: Uint8Array; status?: number } {
  const map = asMap(decodeCbor(bytes, 'SessionData'), 'SessionData');
  onlyKeys(map, ['data', 'status'], 'SessionData');
  const data = map.get('data');
  const status = map.get('status');
  if (data === undefined && status === undefined) throw new MdocError('ERR_CBOR_STRUCTURE', 'SessionData is empty');
  return {
    ...(data === undefined ? {} : { data: asBytes(data, 'data') }),
    ...(status === undefined ? {} : { status: asInteger(status, 'status') }),
  };
}
