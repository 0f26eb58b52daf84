import { PkiError } from './errors.js';
import { bufferSource } from './bytes.js';
import { bytesToBase64 } from './der.js';
import {
  base64ToBytes,
  DEFAULT_KEY_ITERATIONS,
  openWithPassphrase,
  sealWithPassphrase,
  type PassphraseBox,
} from './passphrase-box.js';

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
  readonly kdf: PassphraseBox['kdf'];
  readonly cipher: PassphraseBox['cipher'];
  /** The PKCS#8 private key encrypted with AES-256-GCM under the PBKDF2-derived key, base64. */
  readonly encryptedPrivateKey: string;
  /**
   * What the key was sealed for (e.g. `jpki-signing-ca`), authenticated with the public key: a file
   * copied to another key's place no longer opens there. Absent in files sealed before it existed.
   */
  readonly purpose?: string;
}

/** The associated data a key file is sealed with: its public key, then its purpose when it has one. */
function keyFileAssociatedData(publicKeyInfo: Uint8Array, purpose: string | undefined): Uint8Array {
  if (purpose === undefined) return publicKeyInfo;
  const label = new TextEncoder().encode(`\0openmyna key purpose\0${purpose}`);
  const data = new Uint8Array(publicKeyInfo.length + label.length);
  data.set(publicKeyInfo);
  data.set(label, publicKeyInfo.length);
  return data;
}

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

  /**
   * Decrypts a key file; a wrong passphrase (or altered data) gives `ERR_KEY_PASSPHRASE`. With
   * `purpose`, a file sealed for another purpose is refused (`ERR_KEY_PURPOSE`); a file sealed before
   * purposes existed (none recorded) is accepted.
   */
  static async importEncrypted(
    file: EncryptedKeyFile,
    passphrase: string,
    extractable = false,
    purpose?: string,
  ): Promise<SoftwareSigner> {
    if (file.format !== 'openmyna-key/1') throw new PkiError('ERR_KEY_ENCRYPTION', 'not an openmyna-key/1 file');
    if (file.purpose !== undefined && typeof file.purpose !== 'string')
      throw new PkiError('ERR_KEY_ENCRYPTION', "the key file's purpose is not a string");
    if (purpose !== undefined && file.purpose !== undefined && file.purpose !== purpose)
      throw new PkiError('ERR_KEY_PURPOSE', `this key was sealed for "${file.purpose}", not "${purpose}"`);
    const box = { kdf: file.kdf, cipher: file.cipher, ciphertext: file.encryptedPrivateKey };
    const associatedData = keyFileAssociatedData(base64ToBytes(file.publicKeyInfo), file.purpose);
    const pkcs8 = await openWithPassphrase(box, passphrase, associatedData);
    const signer = await SoftwareSigner.fromPkcs8(pkcs8, extractable);
    pkcs8.fill(0);
    return signer;
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', this.#privateKey, bufferSource(data)));
  }

  /**
   * The private key encrypted under `passphrase` (PBKDF2-SHA-256 → AES-256-GCM), the public key and
   * the `purpose`, if given, authenticated as associated data.
   */
  async exportEncrypted(
    passphrase: string,
    iterations = DEFAULT_KEY_ITERATIONS,
    purpose?: string,
  ): Promise<EncryptedKeyFile> {
    if (!this.#privateKey.extractable) {
      throw new PkiError('ERR_KEY_ENCRYPTION', 'this key was imported as non-extractable and cannot be exported');
    }
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', this.#privateKey));
    const associatedData = keyFileAssociatedData(this.publicKeyInfo, purpose);
    const box = await sealWithPassphrase(pkcs8, passphrase, { iterations, associatedData });
    pkcs8.fill(0);
    return {
      format: 'openmyna-key/1',
      algorithm: this.algorithm,
      publicKeyInfo: bytesToBase64(this.publicKeyInfo),
      kdf: box.kdf,
      cipher: box.cipher,
      encryptedPrivateKey: box.ciphertext,
      ...(purpose === undefined ? {} : { purpose }),
    };
  }
}
