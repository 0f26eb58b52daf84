import { base64Decode, base64Encode } from '@openmyna/core';

import { WalletError } from './errors.js';
import type { Approval } from './presentations.js';
import type { WalletStorage } from './storage.js';

/**
 * The phone's PINs sealed under a key that only a platform authenticator's user verification releases:
 * the WebAuthn PRF extension's output for `prfSalt`, through HKDF-SHA-256, is an AES-256-GCM key. Stored
 * as is (nothing in it opens without the authenticator); `credentialId` names the WebAuthn credential.
 */
export interface SealedPins {
  readonly version: 1;
  /** base64url, as WebAuthn gives `rawId`. */
  readonly credentialId: string;
  /** The PRF input (base64, 32 bytes): what the authenticator evaluates on each use. */
  readonly prfSalt: string;
  readonly iv: string;
  readonly ciphertext: string;
}

const RECORD = 'platform-verification';
const CONTEXT = new TextEncoder().encode('openmyna platform verification v1');
const SECRETS = ['signingPassword', 'authenticationPin', 'kenhojoPin'] as const;

const view = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

/** A fresh PRF input for a new registration (the authenticator's output for it is the key material). */
export function newPrfSalt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** The non-extractable AES-256-GCM key of a PRF output: HKDF-SHA-256 (RFC 5869), info names its use. */
export async function keyFromPrfOutput(prfOutput: Uint8Array): Promise<CryptoKey> {
  if (prfOutput.length < 32)
    throw new WalletError('ERR_PLATFORM_VERIFICATION', 'the authenticator’s PRF output is shorter than 32 bytes');
  const material = await crypto.subtle.importKey('raw', view(prfOutput), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: CONTEXT },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/**
 * Seals the holder's PINs under `key` (from {@link keyFromPrfOutput}); the credential id and PRF input
 * are authenticated with them, so a blob moved to another credential does not open.
 *
 * @example
 * ```ts
 * const sealed = await sealPins(await keyFromPrfOutput(prf), pins, { credentialId, prfSalt });
 * ```
 */
export async function sealPins(
  key: CryptoKey,
  pins: Approval,
  binding: { readonly credentialId: string; readonly prfSalt: Uint8Array },
): Promise<SealedPins> {
  const values = Object.fromEntries(SECRETS.filter((name) => pins[name] !== undefined).map((n) => [n, pins[n]]));
  if (Object.keys(values).length === 0) throw new WalletError('ERR_APPROVAL_INCOMPLETE', 'there is no PIN to seal');
  const prfSalt = base64Encode(binding.prfSalt);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: associatedData(binding.credentialId, prfSalt) },
    key,
    new TextEncoder().encode(JSON.stringify(values)),
  );
  return {
    version: 1,
    credentialId: binding.credentialId,
    prfSalt,
    iv: base64Encode(iv),
    ciphertext: base64Encode(new Uint8Array(ciphertext)),
  };
}

/**
 * Opens {@link SealedPins} with the key the authenticator's PRF released. A malformed blob, another
 * authenticator's key, or a blob altered in any byte is `ERR_PLATFORM_VERIFICATION`.
 */
export async function unsealPins(key: CryptoKey, sealed: unknown): Promise<Approval> {
  const box = assertSealedPins(sealed);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: view(base64Decode(box.iv)),
        additionalData: associatedData(box.credentialId, box.prfSalt),
      },
      key,
      view(base64Decode(box.ciphertext)),
    );
  } catch (error) {
    throw new WalletError('ERR_PLATFORM_VERIFICATION', 'the sealed PINs do not open with this authenticator', {
      cause: error,
    });
  }
  const values = JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
  const pins: Approval = {};
  for (const name of SECRETS) if (typeof values[name] === 'string') pins[name] = values[name];
  return pins;
}

/** Checks the form of a stored blob; its bytes are checked by AES-GCM when it is opened. */
export function assertSealedPins(value: unknown): SealedPins {
  const box = value as Partial<SealedPins> | undefined;
  const text = (field: unknown) => typeof field === 'string' && field.length > 0;
  if (box?.version !== 1 || ![box.credentialId, box.prfSalt, box.iv, box.ciphertext].every(text))
    throw new WalletError('ERR_PLATFORM_VERIFICATION', 'the sealed PINs are not in the expected form');
  try {
    if (base64Decode(box.prfSalt!).length !== 32 || base64Decode(box.iv!).length !== 12) throw new Error('length');
  } catch (error) {
    throw new WalletError('ERR_PLATFORM_VERIFICATION', 'the sealed PINs are not in the expected form', {
      cause: error,
    });
  }
  return box as SealedPins;
}

/** The stored registration, or undefined when platform verification is not set up. */
export async function readSealedPins(storage: WalletStorage): Promise<SealedPins | undefined> {
  const value = await storage.read(RECORD);
  return value === undefined ? undefined : assertSealedPins(value);
}

export function writeSealedPins(storage: WalletStorage, sealed: SealedPins | undefined): Promise<void> {
  return sealed === undefined ? storage.remove(RECORD) : storage.write(RECORD, assertSealedPins(sealed));
}

function associatedData(credentialId: string, prfSalt: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`openmyna platform verification v1|${credentialId}|${prfSalt}`);
}
