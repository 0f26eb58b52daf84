import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

import type { EncodedStoredPins, PhoneCardContents, RetryCounterStore } from '@openmyna/card';
import { base64Encode } from '@openmyna/core';
import { inTransaction } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { isoTime, newId, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import { sealUnderRegistryKey, unsealUnderRegistryKey } from './my-number-seal.js';
import type { IssuerSchema, SecureAreaDeviceStatus } from './storage/schema.js';

/**
 * Sessions: alive 5 minutes after their last accepted message and 30 at most; one whose first message
 * has not come yet (unproven) lives 1 minute, at most 4 per device. Past 1,000 unproven or 10,000 in
 * all in one instance, the least recently used is ended (its phone opens another) — but an unproven
 * session younger than 10 s is never ended for room: the new opening is refused instead
 * (`ERR_SECURE_AREA_BUSY`). A pending device (keys made, provisioning not finished) is destroyed after
 * an hour, a certified one whose card never came after a day.
 */
export const SECURE_AREA_LIMITS = {
  idleMs: 5 * 60_000,
  lifetimeMs: 30 * 60_000,
  unprovenMs: 60_000,
  unproven: 1_000,
  /** Unproven sessions of one device; a further opening ends that device's oldest. */
  unprovenPerDevice: 4,
  /** An unproven session this young is never ended to make room: the opening is refused instead. */
  unprovenGraceMs: 10_000,
  sessions: 10_000,
  pendingMs: 60 * 60_000,
  /** A certified device whose card was never installed is destroyed after this long. */
  certifiedMs: 24 * 60 * 60_000,
  /** Enrollments (three RSA key generations each) at once in one instance; more are refused. */
  enrollments: 4,
} as const;

/** What a device's keys and credential are sealed under (HKDF info, with the device id). */
export const KEYS_INFO = 'openmyna/secure-area/keys/v1';
export const CREDENTIAL_INFO = 'openmyna/secure-area/credential/v1';

const generateRsa = promisify(generateKeyPair);
const utf8 = new TextEncoder();

/** A device's three RSA-2048 private keys (JWK), sealed in its row. */
export interface RsaKeys {
  readonly authentication: JsonWebKey;
  readonly signing: JsonWebKey;
  readonly cardFace: JsonWebKey;
}

/** The public halves the phone names in its provisioning application (SubjectPublicKeyInfo, base64). */
export interface SecureAreaPublicKeys {
  readonly authenticationKey: string;
  readonly signingKey: string;
  readonly cardFaceKey: string;
}

/** What an installed device holds besides its keys: its phone's contents and PIN reference data. */
export interface Credential {
  readonly contents: PhoneCardContents;
  readonly phoneId: string;
  readonly tokenSerial: string;
  readonly pins: EncodedStoredPins;
}

/** A device's row, with the status of the phone it was certified for. */
export interface DeviceRow {
  readonly id: string;
  readonly device_key: string;
  readonly status: SecureAreaDeviceStatus;
  readonly phone_id: string | null;
  readonly public_keys: string;
  readonly sealed_keys: Uint8Array | null;
  readonly sealed_credential: Uint8Array | null;
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
  /** The status of the phone it was certified for (null before). */
  readonly phone_status: string | null;
}

/** Seals `value` (JSON) for `deviceId` under a key derived from the registry key and `info`. */
export function sealForDevice(context: IssuerContext, info: string, deviceId: string, value: unknown): Uint8Array {
  return sealUnderRegistryKey(
    context.registryKey,
    info,
    deviceId,
    utf8.encode(JSON.stringify(value)),
    context.randomBytes(12),
  );
}

/** What {@link sealForDevice} sealed. */
export function unsealForDevice<T>(context: IssuerContext, info: string, deviceId: string, sealed: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(unsealUnderRegistryKey(context.registryKey, info, deviceId, sealed))) as T;
}

/** The device's three private keys. */
export function deviceKeys(context: IssuerContext, device: DeviceRow): RsaKeys {
  return unsealForDevice<RsaKeys>(context, KEYS_INFO, device.id, device.sealed_keys!);
}

/** The device's installed credential. */
export function deviceCredential(context: IssuerContext, device: DeviceRow): Credential {
  return unsealForDevice<Credential>(context, CREDENTIAL_INFO, device.id, device.sealed_credential!);
}

/** Reads a device with its phone's status in one query (every message checks both). */
export async function readDevice(context: IssuerContext, deviceId: string): Promise<DeviceRow> {
  const device = await context.db
    .selectFrom('secure_area_devices')
    .leftJoin('phones', 'phones.id', 'secure_area_devices.phone_id')
    .select([
      'secure_area_devices.id',
      'secure_area_devices.device_key',
      'secure_area_devices.status',
      'secure_area_devices.phone_id',
      'secure_area_devices.public_keys',
      'secure_area_devices.sealed_keys',
      'secure_area_devices.sealed_credential',
      'secure_area_devices.version',
      'secure_area_devices.created_at',
      'secure_area_devices.updated_at',
      'phones.status as phone_status',
    ])
    .where('secure_area_devices.id', '=', deviceId)
    .executeTakeFirst();
  if (!device) throw new IssuerError('ERR_SECURE_AREA_UNKNOWN', 'no such secure-area device');
  return { ...device, version: Number(device.version) };
}

/** Makes a pending device for the device key `jwk`: three RSA-2048 keys, sealed; returns their public halves. */
export async function createPendingDevice(
  context: IssuerContext,
  jwk: { kty: string; crv: string; x: string; y: string },
): Promise<{ deviceId: string; publicKeys: SecureAreaPublicKeys }> {
  const id = newId(context, 'sa_');
  const pairs = await Promise.all([0, 1, 2].map(() => generateRsa('rsa', { modulusLength: 2048 })));
  const [authentication, signing, cardFace] = pairs.map((pair) => pair.privateKey.export({ format: 'jwk' }));
  const spki = (index: number) => base64Encode(pairs[index]!.publicKey.export({ format: 'der', type: 'spki' }));
  const publicKeys: SecureAreaPublicKeys = { authenticationKey: spki(0), signingKey: spki(1), cardFaceKey: spki(2) };
  const keys: RsaKeys = {
    authentication: authentication as JsonWebKey,
    signing: signing as JsonWebKey,
    cardFace: cardFace as JsonWebKey,
  };
  const now = isoTime(context.clock());
  await context.db
    .insertInto('secure_area_devices')
    .values({
      id,
      device_key: JSON.stringify(jwk),
      status: 'pending',
      phone_id: null,
      authentication_key: publicKeys.authenticationKey,
      public_keys: JSON.stringify(publicKeys),
      sealed_keys: sealForDevice(context, KEYS_INFO, id, keys),
      sealed_credential: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { deviceId: id, publicKeys };
}

/**
 * Destroys the keys of devices that will never be used — pending past an hour, certified past a day
 * with no card installed — a bounded batch at a time (run before each enrollment).
 */
export async function sweepUnusedDevices(context: IssuerContext, now: number): Promise<void> {
  const stale = await context.db
    .selectFrom('secure_area_devices')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([
          eb('status', '=', 'pending'),
          eb('created_at', '<', new Date(now - SECURE_AREA_LIMITS.pendingMs).toISOString()),
        ]),
        eb.and([
          eb('status', '=', 'certified'),
          eb('updated_at', '<', new Date(now - SECURE_AREA_LIMITS.certifiedMs).toISOString()),
        ]),
      ]),
    )
    .limit(100)
    .execute();
  await destroySecureAreaKeys(context.db, context, { deviceIds: stale.map((row) => row.id) });
}

/** Writes the sealed credential if it is still at `version` (a change elsewhere in between is refused). */
export async function writeCredential(
  context: IssuerContext,
  db: Kysely<IssuerSchema>,
  deviceId: string,
  version: number,
  credential: Credential,
): Promise<void> {
  const updated = await db
    .updateTable('secure_area_devices')
    .set({
      sealed_credential: sealForDevice(context, CREDENTIAL_INFO, deviceId, credential),
      version: version + 1,
      updated_at: isoTime(context.clock()),
    })
    .where('id', '=', deviceId)
    .where('status', '=', 'active')
    .where('version', '=', version)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1)
    throw new IssuerError('ERR_SECURE_AREA_STATE', "the phone's PIN data changed meanwhile; try again");
}

/**
 * Destroys the keys, reference data and counters of secure-area devices — named, or those of phones
 * (a revoked phone's) — in one transaction (the caller's, or its own). The rows stay, `wiped`.
 */
export async function destroySecureAreaKeys(
  db: Kysely<IssuerSchema>,
  context: IssuerContext,
  which: { readonly deviceIds: readonly string[] } | { readonly phoneIds: readonly string[] },
): Promise<void> {
  const work = async (trx: Kysely<IssuerSchema>) => {
    const ids =
      'deviceIds' in which
        ? [...which.deviceIds]
        : which.phoneIds.length === 0
          ? []
          : (
              await trx.selectFrom('secure_area_devices').select('id').where('phone_id', 'in', which.phoneIds).execute()
            ).map((row) => row.id);
    if (ids.length === 0) return;
    await trx.deleteFrom('secure_area_counters').where('device_id', 'in', ids).execute();
    await trx
      .updateTable('secure_area_devices')
      .set({ status: 'wiped', sealed_keys: null, sealed_credential: null, updated_at: isoTime(context.clock()) })
      .where('id', 'in', ids)
      .execute();
  };
  // Inside the caller's transaction, or in one of its own.
  await (db.isTransaction ? work(db) : inTransaction(db, work));
}

/**
 * Links the pending device whose authentication key a provisioning application names to its phone
 * and ends its proofs of possession (`certified`): from then on its keys sign only through the
 * applets, behind their PINs. Runs in provisioning's transaction.
 */
export async function certifySecureAreaDevice(
  trx: Kysely<IssuerSchema>,
  context: IssuerContext,
  authenticationKey: Uint8Array,
  phoneId: string,
): Promise<void> {
  await trx
    .updateTable('secure_area_devices')
    .set({ status: 'certified', phone_id: phoneId, updated_at: isoTime(context.clock()) })
    .where('authentication_key', '=', base64Encode(authenticationKey))
    .where('status', '=', 'pending')
    .execute();
}

/**
 * A device's retry counters in the database: a try is taken by one atomic update (`tries_left - 1
 * where tries_left > 0`), committed before the applet compares, so concurrent guesses from two
 * sessions or two instances each pay.
 */
export function databaseCounters(context: IssuerContext, deviceId: string): RetryCounterStore {
  const row = (reference: string) =>
    context.db
      .selectFrom('secure_area_counters')
      .select('tries_left')
      .where('device_id', '=', deviceId)
      .where('reference', '=', reference)
      .executeTakeFirst();
  const missing = (reference: string) =>
    new IssuerError('ERR_SECURE_AREA_STATE', `the device has no retry counter for ${reference}`);
  return {
    async read(reference) {
      const found = await row(reference);
      if (!found) throw missing(reference);
      return Number(found.tries_left);
    },
    async write(reference, triesLeft) {
      const updated = await context.db
        .updateTable('secure_area_counters')
        .set({ tries_left: triesLeft })
        .where('device_id', '=', deviceId)
        .where('reference', '=', reference)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw missing(reference);
    },
    async consume(reference) {
      const taken = await context.db
        .updateTable('secure_area_counters')
        .set((eb) => ({ tries_left: eb('tries_left', '-', 1) }))
        .where('device_id', '=', deviceId)
        .where('reference', '=', reference)
        .where('tries_left', '>', 0)
        .returning('tries_left')
        .executeTakeFirst();
      if (taken) return Number(taken.tries_left) + 1;
      if (!(await row(reference))) throw missing(reference);
      return 0;
    },
  };
}
