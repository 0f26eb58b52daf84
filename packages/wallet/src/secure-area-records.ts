import type { EncodedStoredPins, PhoneKeys } from '@openmyna/card';
import { bytesToBase64 } from '@openmyna/pki';

import type { PhoneBundle } from './bundle.js';
import { WalletError } from './errors.js';
import type { RemoteSecureAreaBinding } from './remote-secure-area.js';
import { seal, unseal, type SealedBox, type WalletStorage } from './storage.js';

/** The public halves of the keys the phone generated for provisioning (the card package's `PhoneKeys`). */
export type PhonePublicKeys = PhoneKeys;

/** The phone's three RSA keys, as JWKs (sealed whenever they are stored). */
export interface RsaKeyJwks {
  readonly authentication: JsonWebKey;
  readonly signing: JsonWebKey;
  readonly cardFace: JsonWebKey;
}

/** The storage record of keys made for a provisioning that has not installed its bundle yet. */
export interface PendingRecord {
  readonly format: 'openmyna-wallet-pending/1';
  readonly deviceKeyId: string;
  /** The other device keys of the batch, in the order of `publicKeys.batchDeviceKeys`. */
  readonly batchDeviceKeyIds?: readonly string[];
  readonly publicKeys: PhonePublicKeys;
  /** The RSA keys, sealed (a local secure area). */
  readonly keys?: SealedBox;
  /** Where the RSA keys are (a remote secure area). */
  readonly remote?: RemoteSecureAreaBinding;
}

/** What the credential record seals. */
export interface CredentialSecrets {
  readonly bundle: PhoneBundle;
  /** Local only: a remote secure area keeps the keys and the reference data. */
  readonly keys?: RsaKeyJwks;
  readonly pins?: EncodedStoredPins;
}

/** The storage record of the installed card. */
export interface CredentialRecord {
  readonly format: 'openmyna-wallet-credential/1';
  readonly phoneId: string;
  readonly deviceKeyId: string;
  readonly tokenSerial: string;
  readonly installedAt: string;
  readonly sealed: SealedBox;
  /** Where the keys, the reference data and the counters are, when the secure area is remote. */
  readonly remote?: RemoteSecureAreaBinding;
}

export const PENDING = 'pending-keys';
export const CREDENTIAL = 'credential';

/** A fresh storage id for a device key. */
export const newDeviceKeyId = () =>
  `device-${bytesToBase64(crypto.getRandomValues(new Uint8Array(9))).replace(/[+/]/g, '_')}`;

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The pending keys' record; `ERR_WALLET_STATE` when no keys were generated. */
export async function readPending(storage: WalletStorage): Promise<PendingRecord> {
  const pending = (await storage.read(PENDING)) as PendingRecord | undefined;
  if (pending?.format !== 'openmyna-wallet-pending/1')
    throw new WalletError('ERR_WALLET_STATE', 'no keys were generated for provisioning');
  return pending;
}

/** The local pending keys, unsealed. */
export async function readPendingKeys(storage: WalletStorage, pending: PendingRecord): Promise<RsaKeyJwks> {
  if (!pending.keys) throw new WalletError('ERR_WALLET_STORAGE', 'the pending keys are missing');
  return unsealJson<RsaKeyJwks>(storage, pending.keys, 'pending keys');
}

/** Seals `keys` for the pending record. */
export async function sealPendingKeys(storage: WalletStorage, keys: RsaKeyJwks): Promise<SealedBox> {
  return seal(await storage.wrappingKey(), utf8(JSON.stringify(keys)), 'pending keys');
}

/** The installed card's record and its secrets; `ERR_WALLET_STATE` when there is none. */
export async function readCredential(
  storage: WalletStorage,
): Promise<{ record: CredentialRecord; secrets: CredentialSecrets }> {
  const record = (await storage.read(CREDENTIAL)) as CredentialRecord | undefined;
  if (!record) throw new WalletError('ERR_WALLET_STATE', 'this phone holds no card yet');
  if (record.format !== 'openmyna-wallet-credential/1')
    throw new WalletError('ERR_WALLET_STORAGE', 'the stored credential has an unknown format');
  return {
    record,
    secrets: await unsealJson<CredentialSecrets>(storage, record.sealed, `credential ${record.phoneId}`),
  };
}

/** Seals `secrets` for the credential record of `phoneId`. */
export async function sealCredential(
  storage: WalletStorage,
  secrets: CredentialSecrets,
  phoneId: string,
): Promise<SealedBox> {
  return seal(await storage.wrappingKey(), utf8(JSON.stringify(secrets)), `credential ${phoneId}`);
}

/** Writes `record` again with `secrets` sealed in it. */
export async function rewriteCredential(
  storage: WalletStorage,
  record: CredentialRecord,
  secrets: CredentialSecrets,
): Promise<void> {
  await storage.write(CREDENTIAL, {
    ...record,
    sealed: await sealCredential(storage, secrets, record.phoneId),
  } satisfies CredentialRecord);
}

async function unsealJson<T>(storage: WalletStorage, box: SealedBox, context: string): Promise<T> {
  const bytes = await unseal(await storage.wrappingKey(), box, context);
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}
