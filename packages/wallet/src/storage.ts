import { base64 } from '@scure/base';
import type { RetryCounterStore } from '@openmyna/card';
import type { EcPrivateKey, EcPublicKey } from '@openmyna/mdoc';

import { WalletError } from './errors.js';
import type { TransactionLogEntry } from './transaction-log.js';

/**
 * Where the phone keeps what it holds. Two implementations: IndexedDB in the browser
 * (`openIndexedDbWalletStorage`) and an encrypted file in Node (`openEncryptedFileWalletStorage` in
 * `@openmyna/wallet/node`). Every write is durable when its promise resolves: a retry counter is
 * decremented through `write` before a PIN is compared.
 *
 * Keys never leave it: the wrapping key and the mdoc device key are non-extractable `CryptoKey`s
 * (the RSA keys, which the applets use for raw RSA that Web Crypto does not offer, are sealed under
 * the wrapping key and opened only inside the secure area).
 */
export interface WalletStorage {
  /** A JSON value written by {@link write}, or undefined. */
  read(name: string): Promise<unknown>;
  write(name: string, value: unknown): Promise<void>;
  remove(name: string): Promise<void>;
  appendLog(entry: TransactionLogEntry): Promise<void>;
  readLog(): Promise<TransactionLogEntry[]>;
  /** The non-extractable AES-256-GCM key that seals the wallet's secrets; made on first use. */
  wrappingKey(): Promise<CryptoKey>;
  /** Makes a P-256 device key inside the storage; only its public half comes out. */
  generateDeviceKey(id: string): Promise<EcPublicKey>;
  /** The device key `id` as a signer, or undefined when there is none. */
  deviceKey(id: string): Promise<EcPrivateKey | undefined>;
  /** Forgets device keys (an MSO batch retired); ids it does not hold are ignored. */
  removeDeviceKeys(ids: readonly string[]): Promise<void>;
  /**
   * Forgets the credentials, keys and counters, and makes a new wrapping key, so nothing sealed before
   * opens again. The transaction log stays: it is the user's record of what the phone did.
   */
  wipe(): Promise<void>;
}

/** The retry counters of the phone's applets, one record each, through the storage's durable writes. */
export function storageRetryCounters(storage: WalletStorage): RetryCounterStore {
  return {
    async read(reference) {
      const value = await storage.read(`counter:${reference}`);
      if (value === undefined) return undefined;
      if (typeof value !== 'number')
        throw new WalletError('ERR_WALLET_STORAGE', `the retry counter of ${reference} is not a number`);
      return value;
    },
    write: (reference, triesLeft) => storage.write(`counter:${reference}`, triesLeft),
  };
}

const view = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;
const encode = (bytes: Uint8Array) => base64.encode(bytes);
const decode = (text: string) => base64.decode(text);

/** Bytes sealed under the wrapping key: AES-256-GCM, 96-bit random IV, authenticated context. */
export interface SealedBox {
  readonly iv: string;
  readonly ciphertext: string;
}

export async function seal(key: CryptoKey, plaintext: Uint8Array, context: string): Promise<SealedBox> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) },
    key,
    view(plaintext),
  );
  return { iv: encode(iv), ciphertext: encode(new Uint8Array(ciphertext)) };
}

export async function unseal(key: CryptoKey, box: unknown, context: string): Promise<Uint8Array> {
  const sealed = box as SealedBox | undefined;
  try {
    if (typeof sealed?.iv !== 'string' || typeof sealed.ciphertext !== 'string') throw new Error('not a sealed box');
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: view(decode(sealed.iv)), additionalData: new TextEncoder().encode(context) },
        key,
        view(decode(sealed.ciphertext)),
      ),
    );
  } catch (error) {
    throw new WalletError('ERR_WALLET_STORAGE', `the sealed ${context} does not open (altered or another wallet's)`, {
      cause: error,
    });
  }
}

/** A new non-extractable AES-256-GCM key. */
export function generateWrappingKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}
