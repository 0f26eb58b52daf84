import { sha256 } from '@noble/hashes/sha2.js';
import { SoftwareCardKey, type CardPrivateKey } from '@openmyna/card';
import { ecPublicJwk, type EcPrivateKey } from '@openmyna/mdoc';
import { base64ToBytes, bytesToBase64, encodeDigestInfo, type Signer } from '@openmyna/pki';

import { WalletError } from './errors.js';
import { enrollRemoteSecureArea } from './remote-secure-area.js';
import {
  newDeviceKeyId,
  PENDING,
  sealPendingKeys,
  type PendingRecord,
  type PhonePublicKeys,
  type RsaKeyJwks,
} from './secure-area-records.js';
import type { WalletStorage } from './storage.js';

/** A device key made for an MSO: its storage id, its public half, the key. */
export interface NewDeviceKey {
  readonly id: string;
  readonly publicJwk: JsonWebKey;
  readonly key: EcPrivateKey;
}

/** Makes `count` new P-256 device keys in the storage (for a batch of MSOs); only public halves leave. */
export async function generateDeviceKeys(storage: WalletStorage, count: number): Promise<NewDeviceKey[]> {
  const keys = [];
  for (let i = 0; i < count; i++) {
    const id = newDeviceKeyId();
    const publicJwk = ecPublicJwk(await storage.generateDeviceKey(id));
    const key = await storage.deviceKey(id);
    if (!key) throw new WalletError('ERR_WALLET_STORAGE', 'a new device key is missing');
    keys.push({ id, publicJwk, key });
  }
  return keys;
}

/**
 * On the phone: three RSA-2048 keys, sealed in the pending record, and `batchSize` P-256 device keys
 * (one per single-use MSO of the batch).
 */
export async function generateLocalKeys(storage: WalletStorage, batchSize: number): Promise<PhonePublicKeys> {
  const [authentication, signing, cardFace] = await Promise.all([
    SoftwareCardKey.generate(),
    SoftwareCardKey.generate(),
    SoftwareCardKey.generate(),
  ]);
  const keys: RsaKeyJwks = { authentication: authentication.jwk, signing: signing.jwk, cardFace: cardFace.jwk };
  return writePending(
    storage,
    {
      authenticationKey: bytesToBase64(authentication.publicKeyInfo),
      signingKey: bytesToBase64(signing.publicKeyInfo),
      cardFaceKey: bytesToBase64(cardFace.publicKeyInfo),
    },
    batchSize,
    { keys: await sealPendingKeys(storage, keys) },
  );
}

/**
 * Remote: a device-bound key in the storage (non-extractable), the RSA keys made by the secure area
 * for it; the mdoc device keys stay on the phone.
 */
export async function generateRemoteKeys(
  storage: WalletStorage,
  url: string,
  batchSize: number,
  fetch: typeof globalThis.fetch,
): Promise<PhonePublicKeys> {
  const keyId = newDeviceKeyId();
  const bound = ecPublicJwk(await storage.generateDeviceKey(keyId));
  const enrolled = await enrollRemoteSecureArea(url, bound, fetch);
  const { authenticationKey, signingKey, cardFaceKey } = enrolled.publicKeys;
  return writePending(storage, { authenticationKey, signingKey, cardFaceKey }, batchSize, {
    remote: { url, deviceId: enrolled.deviceId, keyId },
  });
}

/** Makes the mdoc device keys and writes the pending record with `rsaKeys` and where they are. */
async function writePending(
  storage: WalletStorage,
  rsaKeys: Pick<PhonePublicKeys, 'authenticationKey' | 'signingKey' | 'cardFaceKey'>,
  batchSize: number,
  where: Pick<PendingRecord, 'keys' | 'remote'>,
): Promise<PhonePublicKeys> {
  const deviceKeyId = newDeviceKeyId();
  const device = await storage.generateDeviceKey(deviceKeyId);
  const batch = await generateDeviceKeys(storage, batchSize - 1);
  const publicKeys: PhonePublicKeys = {
    ...rsaKeys,
    deviceKey: ecPublicJwk(device),
    ...(batch.length > 0 ? { batchDeviceKeys: batch.map((key) => key.publicJwk) } : {}),
  };
  await storage.write(PENDING, {
    format: 'openmyna-wallet-pending/1',
    deviceKeyId,
    ...(batch.length > 0 ? { batchDeviceKeyIds: batch.map((key) => key.id) } : {}),
    publicKeys,
    ...where,
  } satisfies PendingRecord);
  return publicKeys;
}

/** A phone RSA key as a `Signer` (RSASSA-PKCS1-v1_5 with SHA-256: the DigestInfo is built here). */
export function cardKeySigner(key: Pick<CardPrivateKey, 'signPkcs1'>, publicKeyInfo: string): Signer {
  return {
    algorithm: 'sha256WithRSAEncryption',
    publicKeyInfo: base64ToBytes(publicKeyInfo),
    sign: (data) => key.signPkcs1(encodeDigestInfo('SHA-256', sha256(data))),
  };
}
