import { PkiError } from './errors.js';
import { bufferSource } from './bytes.js';
import { bytesToBase64 } from './der.js';

/** The signature algorithm every openmyna JPKI key uses (card-spec §3.6). */
export type SignatureAlgorithmName = 'sha256WithRSAEncryption';

/**
 * A private key that signs without ever handing out its material: a software key today, an HSM or
 * the phone's secure area behind the same interface.
 */
export interface Signer {
  readonly algorithm: SignatureAlgorithmName;
  /** The key's SubjectPublicKeyInfo (DER). */
  readonly publicKeyInfo: Uint8Array;
  /** RSASSA-PKCS1-v1_5 with SHA-256 over `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

const RSA_PARAMETERS: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

/** An encrypted private key as stored at rest (`format: openmyna-key/1`). */
export interface EncryptedKeyFile {
  readonly format: 'openmyna-key/1';
  readonly algorithm: SignatureAlgorithmName;
  /** SubjectPublicKeyInfo, base64. */
  readonly publicKeyInfo: string;
  readonly kdf: {
    readonly name: 'PBKDF2';
    readonly hash: 'SHA-256';
    readonly iterations: number;
    readonly salt: string;
  };
  readonly cipher: { readonly name: 'AES-GCM'; readonly iv: string };
  /** The PKCS#8 private key encrypted with AES-256-GCM under the PBKDF2-derived key, base64. */
  readonly encryptedPrivateKey: string;
}

/** Default PBKDF2 work (OWASP 2023 for PBKDF2-HMAC-SHA256). */
export const DEFAULT_KEY_ITERATIONS = 600_000;
const MIN_KEY_ITERATIONS = 10_000;

/**
 * An RSA-2048 key held by Web Crypto. Its private half can leave only encrypted under a passphrase.
 *
 * @example
 * ```ts
 * const signer = await SoftwareSigner.generate();
 * const file = await signer.exportEncrypted('correct horse battery staple');
 * const again = await SoftwareSigner.importEncrypted(file, 'correct horse battery staple');
 * ```
 */
export class SoftwareSigner implements Signer {
  readonly algorithm = 'sha256WithRSAEncryption' as const;
  readonly publicKeyInfo: Uint8Array;
  readonly #privateKey: CryptoKey;

  private constructor(privateKey: CryptoKey, publicKeyInfo: Uint8Array) {
    this.#privateKey = privateKey;
    this.publicKeyInfo = publicKeyInfo;
  }

  /** A new RSA-2048 key (e = 65537). */
  static async generate(): Promise<SoftwareSigner> {
    const pair = await crypto.subtle.generateKey(RSA_PARAMETERS, true, ['sign', 'verify']);
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    return new SoftwareSigner(pair.privateKey, spki);
  }

  /** Imports an unencrypted PKCS#8 RSA private key (for keys made elsewhere, e.g. by OpenSSL). */
  static async fromPkcs8(pkcs8: Uint8Array, extractable = false): Promise<SoftwareSigner> {
    let privateKey: CryptoKey;
    try {
      privateKey = await crypto.subtle.importKey('pkcs8', bufferSource(pkcs8), RSA_PARAMETERS, true, ['sign']);
    } catch (error) {
      throw new PkiError('ERR_RSA_KEY', 'the PKCS#8 data is not an RSA private key', { cause: error });
    }
    const jwk = await crypto.subtle.exportKey('jwk', privateKey);
    const publicKey = await crypto.subtle.importKey(
      'jwk',
      { kty: 'RSA', n: jwk.n ?? '', e: jwk.e ?? '' },
      RSA_PARAMETERS,
      true,
      ['verify'],
    );
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
    const kept = extractable
      ? privateKey
      : await crypto.subtle.importKey('pkcs8', bufferSource(pkcs8), RSA_PARAMETERS, false, ['sign']);
    return new SoftwareSigner(kept, spki);
  }

  /** Decrypts a key file; a wrong passphrase gives `ERR_KEY_PASSPHRASE`. */
  static async importEncrypted(
    file: EncryptedKeyFile,
    passphrase: string,
    extractable = false,
  ): Promise<SoftwareSigner> {
    if (file.format !== 'openmyna-key/1' || file.kdf.name !== 'PBKDF2' || file.cipher.name !== 'AES-GCM') {
      throw new PkiError('ERR_KEY_ENCRYPTION', 'not an openmyna-key/1 file');
    }
    const wrappingKey = await deriveWrappingKey(passphrase, base64ToBytes(file.kdf.salt), file.kdf.iterations);
    let pkcs8: Uint8Array;
    try {
      pkcs8 = new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv: bufferSource(base64ToBytes(file.cipher.iv)),
            additionalData: bufferSource(base64ToBytes(file.publicKeyInfo)),
          },
          wrappingKey,
          bufferSource(base64ToBytes(file.encryptedPrivateKey)),
        ),
      );
    } catch (error) {
      throw new PkiError('ERR_KEY_PASSPHRASE', 'the passphrase does not open this key (or the file was altered)', {
        cause: error,
      });
    }
    const signer = await SoftwareSigner.fromPkcs8(pkcs8, extractable);
    pkcs8.fill(0);
    return signer;
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', this.#privateKey, bufferSource(data)));
  }

  /** The private key encrypted under `passphrase` (PBKDF2-SHA-256 → AES-256-GCM, public key as AAD). */
  async exportEncrypted(passphrase: string, iterations = DEFAULT_KEY_ITERATIONS): Promise<EncryptedKeyFile> {
    if (!this.#privateKey.extractable) {
      throw new PkiError('ERR_KEY_ENCRYPTION', 'this key was imported as non-extractable and cannot be exported');
    }
    if (!Number.isInteger(iterations) || iterations < MIN_KEY_ITERATIONS) {
      throw new PkiError('ERR_KEY_ENCRYPTION', `PBKDF2 needs at least ${MIN_KEY_ITERATIONS} iterations`);
    }
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const wrappingKey = await deriveWrappingKey(passphrase, salt, iterations);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', this.#privateKey));
    const encrypted = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: bufferSource(this.publicKeyInfo) },
        wrappingKey,
        pkcs8,
      ),
    );
    pkcs8.fill(0);
    return {
      format: 'openmyna-key/1',
      algorithm: this.algorithm,
      publicKeyInfo: bytesToBase64(this.publicKeyInfo),
      kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: bytesToBase64(salt) },
      cipher: { name: 'AES-GCM', iv: bytesToBase64(iv) },
      encryptedPrivateKey: bytesToBase64(encrypted),
    };
  }
}

async function deriveWrappingKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
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

/** Bytes of standard base64 text. */
export function base64ToBytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
