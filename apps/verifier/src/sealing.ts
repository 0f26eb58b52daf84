import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { VerifierServiceError } from './errors.js';

/**
 * AES-256-GCM under the service's sealing key, for what it must keep but not show: relying parties'
 * request-signing keys, response-decryption keys, and disclosed values until their relying party
 * fetches them. `purpose` is authenticated, so a sealed value cannot be moved to another use.
 * Layout: 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 */
export function seal(key: Uint8Array, purpose: string, plaintext: Uint8Array): Uint8Array {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/** Opens what {@link seal} sealed for `purpose`; throws `ERR_SEALED` for anything else. */
export function unseal(key: Uint8Array, purpose: string, sealed: Uint8Array): Uint8Array {
  try {
    if (sealed.length < 28) throw new Error('too short');
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]));
  } catch (error) {
    throw new VerifierServiceError('ERR_SEALED', `a sealed ${purpose} cannot be opened with this key`, {
      cause: error,
    });
  }
}

export const sealJson = (key: Uint8Array, purpose: string, value: unknown): Uint8Array =>
  seal(key, purpose, new TextEncoder().encode(JSON.stringify(value)));
export const unsealJson = <T>(key: Uint8Array, purpose: string, sealed: Uint8Array): T =>
  JSON.parse(new TextDecoder().decode(unseal(key, purpose, sealed))) as T;
