import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';

import { IssuerError } from './errors.js';

/**
 * How the registry keeps My Numbers (番号法: 特定個人情報 is kept safe): never in the clear. The column
 * `persons.my_number` holds a keyed digest — HMAC-SHA-256 under a key derived from the issuer's registry
 * key — so its unique index finds duplicates, and a database error or server log that quotes the row
 * (PostgreSQL's `Key (my_number)=(…) already exists`) shows only the digest, which cannot be reversed
 * without the key. `persons.my_number_sealed` holds the number itself, AES-256-GCM under another
 * derived key, bound to the person's id.
 */
const INDEX_INFO = 'openmyna/registry/my-number-index/v1';
const SEAL_INFO = 'openmyna/registry/my-number-seal/v1';
/** What marks a digest in `persons.my_number` (a registry written before sealing holds the number). */
export const MY_NUMBER_INDEX_PREFIX = 'hmac-sha256:';

const derive = (key: Uint8Array, info: string) => {
  if (key.length !== 32) throw new IssuerError('ERR_REGISTRY_KEY', 'the registry key is 32 bytes');
  return Buffer.from(hkdfSync('sha256', key, new Uint8Array(0), info, 32));
};

/** The keyed digest that stands for `myNumber` in the unique column. */
export function myNumberIndex(registryKey: Uint8Array, myNumber: string): string {
  return MY_NUMBER_INDEX_PREFIX + createHmac('sha256', derive(registryKey, INDEX_INFO)).update(myNumber).digest('hex');
}

/** `plaintext` sealed under a key derived from the registry key for `info`, bound to `aad`: IV ‖ ciphertext ‖ tag. */
export function sealUnderRegistryKey(
  registryKey: Uint8Array,
  info: string,
  aad: string,
  plaintext: Uint8Array,
  iv: Uint8Array,
): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', derive(registryKey, info), iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, sealed, cipher.getAuthTag()]));
}

/** What {@link sealUnderRegistryKey} sealed; a wrong key, `info`, `aad` or altered bytes are `ERR_REGISTRY_KEY`. */
export function unsealUnderRegistryKey(
  registryKey: Uint8Array,
  info: string,
  aad: string,
  sealed: Uint8Array,
): Uint8Array {
  try {
    const decipher = createDecipheriv('aes-256-gcm', derive(registryKey, info), sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]));
  } catch (error) {
    throw new IssuerError(
      'ERR_REGISTRY_KEY',
      `sealed data (${info}) cannot be opened with this issuer's registry key`,
      {
        cause: error,
      },
    );
  }
}

/** `myNumber` sealed for person `personId`: 12-byte IV ‖ ciphertext ‖ 16-byte tag. */
export function sealMyNumber(registryKey: Uint8Array, personId: string, myNumber: string, iv: Uint8Array): Uint8Array {
  return sealUnderRegistryKey(registryKey, SEAL_INFO, personId, new TextEncoder().encode(myNumber), iv);
}

/** The My Number sealed for `personId`; a wrong key or altered bytes are `ERR_REGISTRY_KEY`. */
export function unsealMyNumber(registryKey: Uint8Array, personId: string, sealed: Uint8Array): string {
  return new TextDecoder().decode(unsealUnderRegistryKey(registryKey, SEAL_INFO, personId, sealed));
}
