import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

import { webMdocCrypto, type EcPrivateKey, type EcPublicKey, type MdocCrypto } from '@openmyna/mdoc';
import { ecPublicKeyFromJwk } from '@openmyna/mdoc';
import { base64 } from '@scure/base';
import { base64ToBytes, bytesToBase64, DEFAULT_KEY_ITERATIONS } from '@openmyna/pki';

import { WalletError } from '../errors.js';
import type { WalletStorage } from '../storage.js';
import type { TransactionLogEntry } from '../transaction-log.js';

/** The phone file (`openmyna-phone/1`): everything the wallet holds, AES-256-GCM under a passphrase key. */
interface PhoneFile {
  readonly format: 'openmyna-phone/1';
  readonly kdf: {
    readonly name: 'PBKDF2';
    readonly hash: 'SHA-256';
    readonly iterations: number;
    readonly salt: string;
  };
  readonly iv: string;
  readonly ciphertext: string;
}

interface Contents {
  records: Record<string, unknown>;
  log: TransactionLogEntry[];
  /** Raw AES-256 wrapping key, imported non-extractable on open. */
  wrappingKey: string;
  deviceKeys: Record<string, JsonWebKey>;
}

const view = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;
const AAD = new TextEncoder().encode('openmyna-phone/1');

/** Options of {@link openEncryptedFileWalletStorage}. */
export interface EncryptedFileWalletStorageOptions {
  readonly path: string;
  /** Opens the file (PBKDF2-SHA-256); never stored, never logged. */
  readonly passphrase: string;
  /** PBKDF2 work for a new file (default 600 000; tests lower it). */
  readonly iterations?: number;
  /** How the device key is held in memory (default Web Crypto, non-extractable; Node may pass `nodeMdocCrypto`). */
  readonly crypto?: MdocCrypto;
}

/**
 * The Node wallet's storage: one file, encrypted as a whole (PBKDF2-SHA-256 → AES-256-GCM, a fresh IV
 * per write), written atomically (new file, fsync, rename, fsync of the directory) so a crash leaves
 * the old or the new state and never a torn one. A wrong passphrase or an altered file opens nothing
 * (`ERR_WALLET_STORAGE`). Restoring an older copy of the file cannot be detected by a file; a phone's
 * hardware-backed storage can.
 */
export async function openEncryptedFileWalletStorage(
  options: EncryptedFileWalletStorageOptions,
): Promise<WalletStorage> {
  if (options.passphrase.length === 0)
    throw new WalletError('ERR_WALLET_STORAGE', 'an empty passphrase protects nothing');
  const opened = await openPhoneFile(options);
  let contents = opened.contents;
  let wrappingKey = await importWrappingKey(contents.wrappingKey);
  const keyCrypto = options.crypto ?? webMdocCrypto;
  const heldKeys = new Map<string, EcPrivateKey>();
  const writes = writeQueue(options.path, opened.fileKey, opened.kdf);
  const persist = () => writes.write(JSON.stringify(contents));

  return {
    read: (name) => Promise.resolve(structuredClone(contents.records[name])),
    write(name, value) {
      contents.records[name] = structuredClone(value);
      return persist();
    },
    remove(name) {
      delete contents.records[name];
      return persist();
    },
    appendLog(entry) {
      contents.log.push(entry);
      return persist();
    },
    readLog: () => Promise.resolve(structuredClone(contents.log)),
    wrappingKey: () => Promise.resolve(wrappingKey),
    async generateDeviceKey(id): Promise<EcPublicKey> {
      const jwk = await newDeviceKeyJwk();
      contents.deviceKeys[id] = jwk;
      await persist();
      return ecPublicKeyFromJwk(jwk);
    },
    async deviceKey(id) {
      const held = heldKeys.get(id);
      if (held) return held;
      const jwk = contents.deviceKeys[id];
      if (!jwk) return undefined;
      const key = await keyCrypto.importEcPrivateKey(jwk);
      heldKeys.set(id, key);
      return key;
    },
    async removeDeviceKeys(ids) {
      for (const id of ids) {
        heldKeys.delete(id);
        delete contents.deviceKeys[id];
      }
      await persist();
    },
    async wipe() {
      await writes.drained();
      heldKeys.clear();
      const raw = bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
      contents = { records: {}, log: contents.log, wrappingKey: raw, deviceKeys: {} };
      wrappingKey = await importWrappingKey(raw);
      await persist();
    },
  };
}

/** A new P-256 device key as the file keeps it (the file is encrypted as a whole). */
async function newDeviceKeyJwk(): Promise<Contents['deviceKeys'][string]> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d! };
}

function importWrappingKey(raw: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', view(base64ToBytes(raw)), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Writes of the file, one at a time and in order; a failed write does not stop the next. */
function writeQueue(
  path: string,
  fileKey: CryptoKey,
  kdf: PhoneFile['kdf'],
): { write(snapshot: string): Promise<void>; drained(): Promise<void> } {
  let queue: Promise<void> = Promise.resolve();
  return {
    write(snapshot) {
      const run = queue.then(() => writeFileAtomically(path, fileKey, kdf, snapshot));
      queue = run.catch(() => undefined);
      return run;
    },
    drained: () => queue,
  };
}

/** The phone file's key and contents: read and decrypted, or new when there is no file yet. */
async function openPhoneFile(
  options: EncryptedFileWalletStorageOptions,
): Promise<{ kdf: PhoneFile['kdf']; contents: Contents; fileKey: CryptoKey }> {
  let text: string | undefined;
  try {
    text = await readFile(options.path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new WalletError('ERR_WALLET_STORAGE', 'the phone file cannot be read', { cause: error });
  }
  if (text !== undefined) return decryptPhoneFile(text, options.passphrase);
  const kdf: PhoneFile['kdf'] = {
    name: 'PBKDF2',
    hash: 'SHA-256',
    iterations: options.iterations ?? DEFAULT_KEY_ITERATIONS,
    salt: bytesToBase64(crypto.getRandomValues(new Uint8Array(16))),
  };
  return {
    kdf,
    fileKey: await deriveFileKey(options.passphrase, kdf),
    contents: {
      records: {},
      log: [],
      wrappingKey: bytesToBase64(crypto.getRandomValues(new Uint8Array(32))),
      deviceKeys: {},
    },
  };
}

async function decryptPhoneFile(
  text: string,
  passphrase: string,
): Promise<{ kdf: PhoneFile['kdf']; contents: Contents; fileKey: CryptoKey }> {
  let file: PhoneFile;
  try {
    file = JSON.parse(text) as PhoneFile;
    if (file.format !== 'openmyna-phone/1' || file.kdf?.name !== 'PBKDF2') throw new Error('not a phone file');
  } catch (error) {
    throw new WalletError('ERR_WALLET_STORAGE', 'not an openmyna-phone/1 file', { cause: error });
  }
  const fileKey = await deriveFileKey(passphrase, file.kdf);
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: view(base64.decode(file.iv)), additionalData: AAD },
      fileKey,
      view(base64.decode(file.ciphertext)),
    );
    return { kdf: file.kdf, fileKey, contents: JSON.parse(new TextDecoder().decode(plaintext)) as Contents };
  } catch (error) {
    throw new WalletError('ERR_WALLET_STORAGE', 'the passphrase does not open this phone file (or it was altered)', {
      cause: error,
    });
  }
}

async function deriveFileKey(passphrase: string, kdf: PhoneFile['kdf']): Promise<CryptoKey> {
  if (!Number.isInteger(kdf.iterations) || kdf.iterations < 10_000)
    throw new WalletError('ERR_WALLET_STORAGE', 'the phone file needs at least 10 000 PBKDF2 iterations');
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, [
    'deriveKey',
  ]);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: view(base64ToBytes(kdf.salt)), iterations: kdf.iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

async function writeFileAtomically(path: string, key: CryptoKey, kdf: PhoneFile['kdf'], plaintext: string) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: AAD },
    key,
    new TextEncoder().encode(plaintext),
  );
  const file: PhoneFile = {
    format: 'openmyna-phone/1',
    kdf,
    iv: bytesToBase64(iv),
    ciphertext: bytesToBase64(new Uint8Array(ciphertext)),
  };
  const temporary = `${path}.tmp`;
  try {
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(file));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    const directory = await open(dirname(path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch (error) {
    throw new WalletError('ERR_WALLET_STORAGE', 'the phone file cannot be written', { cause: error });
  }
}
