import { ecPublicKeyFromJwk, type EcPrivateKey, type EcPublicKey } from '@openmyna/mdoc';

import { WalletError } from './errors.js';
import { generateWrappingKey, type WalletStorage } from './storage.js';
import type { TransactionLogEntry } from './transaction-log.js';

const RECORDS = 'records';
const LOG = 'log';
const KEYS = 'keys';
const WRAPPING = 'wrapping';

interface HeldDeviceKey {
  readonly publicJwk: JsonWebKey;
  readonly signingKey: CryptoKey;
}

/**
 * The mdoc device key as a non-extractable Web Crypto ECDSA key: made inside Web Crypto, so its private
 * half never exists in script memory. It signs (the signature mode of ISO/IEC 18013-5 §9.1.3.6); the
 * MAC mode, which would need key agreement with it, is not offered.
 */
class HeldSigningKey implements EcPrivateKey {
  constructor(
    readonly publicKey: EcPublicKey,
    private readonly signingKey: CryptoKey,
  ) {}

  async signEs256(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.signingKey, data as Uint8Array<ArrayBuffer>),
    );
  }

  deriveSharedSecret(): Promise<Uint8Array> {
    return Promise.reject(new WalletError('ERR_SESSION', 'the device key signs; MAC mode is not offered'));
  }
}

const request = <T>(operation: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error ?? new Error('IndexedDB request failed'));
  });

/**
 * The browser wallet's storage: IndexedDB. Writes are committed with `durability: "strict"` before
 * their promise resolves; the wrapping key and the device key are non-extractable `CryptoKey`s that
 * IndexedDB keeps as they are (structured clone), so no script can read their material.
 */
export async function openIndexedDbWalletStorage(name = 'openmyna-wallet'): Promise<WalletStorage> {
  const transact = transactionRunner(await openDatabase(name));
  const wrapping = wrappingKeyOnce(transact);
  const held = new Map<string, EcPrivateKey>();

  return {
    read: (key) => transact([RECORDS], 'readonly', (t) => request(t.objectStore(RECORDS).get(key))),
    write: (key, value) =>
      transact([RECORDS], 'readwrite', async (t) => {
        await request(t.objectStore(RECORDS).put(value, key));
      }),
    remove: (key) =>
      transact([RECORDS], 'readwrite', async (t) => {
        await request(t.objectStore(RECORDS).delete(key));
      }),
    appendLog: (entry) =>
      transact([LOG], 'readwrite', async (t) => {
        await request(t.objectStore(LOG).add(entry));
      }),
    readLog: () =>
      transact([LOG], 'readonly', (t) => request(t.objectStore(LOG).getAll() as IDBRequest<TransactionLogEntry[]>)),
    wrappingKey: () => wrapping.get(),
    async generateDeviceKey(id) {
      const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
      const publicJwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
      const value: HeldDeviceKey = { publicJwk, signingKey: pair.privateKey };
      await transact([KEYS], 'readwrite', async (t) => {
        await request(t.objectStore(KEYS).put(value, `device:${id}`));
      });
      return ecPublicKeyFromJwk(publicJwk);
    },
    async deviceKey(id) {
      const cached = held.get(id);
      if (cached) return cached;
      const value = (await transact([KEYS], 'readonly', (t) => request(t.objectStore(KEYS).get(`device:${id}`)))) as
        HeldDeviceKey | undefined;
      if (!value) return undefined;
      const key = new HeldSigningKey(ecPublicKeyFromJwk(value.publicJwk), value.signingKey);
      held.set(id, key);
      return key;
    },
    async removeDeviceKeys(ids) {
      for (const id of ids) held.delete(id);
      await transact([KEYS], 'readwrite', async (t) => {
        await Promise.all(ids.map((id) => request(t.objectStore(KEYS).delete(`device:${id}`))));
      });
    },
    async wipe() {
      held.clear();
      wrapping.forget();
      await transact([RECORDS, KEYS], 'readwrite', async (t) => {
        await Promise.all([RECORDS, KEYS].map((store) => request(t.objectStore(store).clear())));
      });
    },
  };
}

/** Runs `work` in one transaction and resolves once it has committed durably. */
type Transact = <T>(
  stores: string[],
  mode: IDBTransactionMode,
  work: (transaction: IDBTransaction) => Promise<T>,
) => Promise<T>;

function openDatabase(name: string): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const opening = indexedDB.open(name, 1);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      db.createObjectStore(RECORDS);
      db.createObjectStore(LOG, { autoIncrement: true });
      db.createObjectStore(KEYS);
    };
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () =>
      reject(new WalletError('ERR_WALLET_STORAGE', 'IndexedDB cannot be opened', { cause: opening.error }));
  });
}

function transactionRunner(database: IDBDatabase): Transact {
  return async (stores, mode, work) => {
    const transaction = database.transaction(stores, mode, { durability: 'strict' });
    const done = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onabort = transaction.onerror = () =>
        reject(new WalletError('ERR_WALLET_STORAGE', 'an IndexedDB transaction failed', { cause: transaction.error }));
    });
    const result = await work(transaction);
    await done;
    return result;
  };
}

/** The wrapping key: the stored one, or a new one stored once (another tab's, if it stored first). */
function wrappingKeyOnce(transact: Transact): { get(): Promise<CryptoKey>; forget(): void } {
  let wrapping: Promise<CryptoKey> | undefined;
  const stored = () =>
    transact([KEYS], 'readonly', (t) => request(t.objectStore(KEYS).get(WRAPPING) as IDBRequest<CryptoKey>));
  const storeNew = async () => {
    const existing = await stored();
    if (existing) return existing;
    const key = await generateWrappingKey();
    try {
      // `add` refuses to overwrite: if another tab stored a key first, that one is the key.
      await transact([KEYS], 'readwrite', async (t) => {
        await request(t.objectStore(KEYS).add(key, WRAPPING));
      });
      return key;
    } catch (error) {
      const winner = await stored();
      if (!winner) throw error;
      return winner;
    }
  };
  return {
    get() {
      wrapping ??= storeNew().catch((error: unknown) => {
        wrapping = undefined;
        throw error;
      });
      return wrapping;
    },
    forget() {
      wrapping = undefined;
    },
  };
}
