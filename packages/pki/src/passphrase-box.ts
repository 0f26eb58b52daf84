import { base64Decode } from '@openmyna/core';

import { bufferSource } from './bytes.js';
import { bytesToBase64 } from './der.js';
import { PkiError } from './errors.js';

/** Default PBKDF2 work (OWASP 2023 for PBKDF2-HMAC-SHA256). */
export const DEFAULT_KEY_ITERATIONS = 600_000;
const MIN_KEY_ITERATIONS = 10_000;

/** Data sealed under a passphrase: PBKDF2-SHA-256 → AES-256-GCM (base64 fields). */
export interface PassphraseBox {
  readonly kdf: {
    readonly name: 'PBKDF2';
    readonly hash: 'SHA-256';
    readonly iterations: number;
    readonly salt: string;
  };
  readonly cipher: { readonly name: 'AES-GCM'; readonly iv: string };
  readonly ciphertext: string;
}

/**
 * Encrypts `plaintext` under a key derived from `passphrase`; `associatedData` is authenticated but
 * not encrypted (e.g. the public key the secret belongs to).
 */
export async function sealWithPassphrase(
  plaintext: Uint8Array,
  passphrase: string,
  options: { iterations?: number; associatedData?: Uint8Array } = {},
): Promise<PassphraseBox> {
  const iterations = options.iterations ?? DEFAULT_KEY_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < MIN_KEY_ITERATIONS) {
    throw new PkiError('ERR_KEY_ENCRYPTION', `PBKDF2 needs at least ${MIN_KEY_ITERATIONS} iterations`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await deriveKey(passphrase, salt, iterations);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: bufferSource(options.associatedData ?? new Uint8Array()) },
      key,
      bufferSource(plaintext),
    ),
  );
  return {
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: bytesToBase64(salt) },
    cipher: { name: 'AES-GCM', iv: bytesToBase64(iv) },
    ciphertext: bytesToBase64(ciphertext),
  };
}

/** Decrypts a {@link PassphraseBox}; a wrong passphrase or altered data gives `ERR_KEY_PASSPHRASE`. */
export async function openWithPassphrase(
  box: PassphraseBox,
  passphrase: string,
  associatedData: Uint8Array = new Uint8Array(),
): Promise<Uint8Array> {
  if (box.kdf?.name !== 'PBKDF2' || box.cipher?.name !== 'AES-GCM')
    throw new PkiError('ERR_KEY_ENCRYPTION', 'not a PBKDF2/AES-GCM box');
  const key = await deriveKey(passphrase, base64ToBytes(box.kdf.salt), box.kdf.iterations);
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: bufferSource(base64ToBytes(box.cipher.iv)),
          additionalData: bufferSource(associatedData),
        },
        key,
        bufferSource(base64ToBytes(box.ciphertext)),
      ),
    );
  } catch (error) {
    throw new PkiError('ERR_KEY_PASSPHRASE', 'the passphrase does not open this data (or it was altered)', {
      cause: error,
    });
  }
}

async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  if (passphrase.length === 0) throw new PkiError('ERR_KEY_PASSPHRASE', 'an empty passphrase protects nothing');
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, [
    'deriveKey',
  ]);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: bufferSource(salt), iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/**
 * Bytes of standard base64 text (RFC 4648 §4, padded), strictly: `@openmyna/core`'s
 * `base64Decode`, which throws CoreError `ERR_BASE64` for any other spelling.
 *
 * @example
 * ```ts
 * const salt = base64ToBytes(box.kdf.salt);
 * ```
 */
export function base64ToBytes(text: string): Uint8Array {
  return base64Decode(text);
}
