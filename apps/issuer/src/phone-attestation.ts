import { MDOC_BATCH_MAX, type PhoneKeys, type ProvisioningCompletion } from '@openmyna/card';
import { constantTimeEqual } from '@openmyna/core';
import { ecPublicKeyFromJwk, type EcPublicKey } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { verifyCertificationRequest, verifyPkcs1Signature } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';

import { base64Field, IssuerError } from './errors.js';

type PhoneAttestation = ProvisioningCompletion['phoneAttestation'];

/** The phone's keys, proven: its JPKI and 券面 keys (SubjectPublicKeyInfo) and the batch's device keys. */
export interface AttestedPhoneKeys {
  readonly authenticationKey: Uint8Array;
  readonly signingKey: Uint8Array;
  readonly cardFaceKey: Uint8Array;
  /** The batch's device keys: `deviceKey`, then `batchDeviceKeys`. */
  readonly deviceKeys: EcPublicKey[];
}

const b64 = (text: unknown, field: string): Uint8Array => base64Field(text, field, 'ERR_PROVISIONING_FORMAT');

const mismatch = (what: string) =>
  new IssuerError('ERR_PHONE_KEY_MISMATCH', `${what} does not prove possession of the key the application names`);

/**
 * Checks the phone's attestation of the keys the application names: PKCS#10 requests for the JPKI
 * keys, the 券面 key's PKCS#1 signature and each device key's ES256 signature over the nonce.
 */
export async function checkPhoneAttestation(
  keys: PhoneKeys,
  attestation: PhoneAttestation,
  nonce: Uint8Array,
): Promise<AttestedPhoneKeys> {
  if (typeof keys !== 'object' || keys === null || typeof attestation !== 'object' || attestation === null)
    throw new IssuerError('ERR_PROVISIONING_FORMAT', 'the phone keys and attestation are required');
  const named = {
    authenticationKey: b64(keys.authenticationKey, 'phone.authenticationKey'),
    signingKey: b64(keys.signingKey, 'phone.signingKey'),
    cardFaceKey: b64(keys.cardFaceKey, 'phone.cardFaceKey'),
  };
  for (const [field, request] of [
    ['authenticationKey', attestation.authenticationRequest],
    ['signingKey', attestation.signingRequest],
  ] as const) {
    let proven: Uint8Array;
    try {
      proven = (await verifyCertificationRequest(b64(request, field), nodeCryptoBackend)).subjectPublicKeyInfo;
    } catch {
      throw mismatch(`the ${field} request`);
    }
    if (!constantTimeEqual(proven, named[field])) throw mismatch(`the ${field} request`);
  }
  const cardFaceProven = await verifyPkcs1Signature({
    subjectPublicKeyInfo: named.cardFaceKey,
    data: nonce,
    signature: b64(attestation.cardFaceKeySignature, 'cardFaceKeySignature'),
    hash: 'SHA-256',
    backend: nodeCryptoBackend,
  }).catch(() => false);
  if (!cardFaceProven) throw mismatch('the 券面 key signature');
  return { ...named, deviceKeys: await checkDeviceKeys(keys, attestation, nonce) };
}

/** The batch's device keys, each proven by its signature over the nonce, all distinct. */
async function checkDeviceKeys(
  keys: PhoneKeys,
  attestation: PhoneAttestation,
  nonce: Uint8Array,
): Promise<EcPublicKey[]> {
  const batch: readonly JsonWebKey[] = keys.batchDeviceKeys ?? [];
  const batchSignatures: readonly unknown[] = attestation.batchDeviceKeySignatures ?? [];
  // The application is JSON the card signed: its shape is checked here, not by the HTTP schema.
  if (!Array.isArray(keys.batchDeviceKeys ?? []) || batch.length + 1 > MDOC_BATCH_MAX)
    throw new IssuerError(
      'ERR_PROVISIONING_FORMAT',
      `"batchDeviceKeys" is a list of at most ${MDOC_BATCH_MAX - 1} keys`,
    );
  if (batchSignatures.length !== batch.length)
    throw new IssuerError('ERR_PROVISIONING_FORMAT', '"batchDeviceKeySignatures" has one signature per batch key');
  const deviceKeys: EcPublicKey[] = [];
  const seen = new Set<string>();
  const entries: { jwk: JsonWebKey; signature: unknown }[] = [
    { jwk: keys.deviceKey, signature: attestation.deviceKeySignature },
    ...batch.map((jwk, i) => ({ jwk, signature: batchSignatures[i] })),
  ];
  for (const [position, { jwk, signature }] of entries.entries()) {
    const field = position === 0 ? 'deviceKeySignature' : `batchDeviceKeySignatures[${position - 1}]`;
    let deviceKey: EcPublicKey;
    try {
      deviceKey = ecPublicKeyFromJwk(jwk);
    } catch {
      throw mismatch(position === 0 ? 'the device key' : `batch device key ${position - 1}`);
    }
    if (!(await nodeMdocCrypto.verifySignature(deviceKey, 'SHA-256', nonce, b64(signature, field))))
      throw mismatch(`the ${field}`);
    const id = `${String(jwk.x)}.${String(jwk.y)}`;
    // A key used twice would make two MSOs of the batch linkable.
    if (seen.has(id)) throw new IssuerError('ERR_PROVISIONING_FORMAT', 'the batch names one device key twice');
    seen.add(id);
    deviceKeys.push(deviceKey);
  }
  return deviceKeys;
}
