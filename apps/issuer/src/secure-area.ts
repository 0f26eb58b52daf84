import { createPublicKey, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';

import { decodeStoredPins, encodeStoredPins, openPhoneCard, type SecureAreaMessage } from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import { base64Decode, base64Encode, base64UrlEncode } from '@openmyna/core';
import { decodeDigestInfo } from '@openmyna/pki';
import { sql } from '@openmyna/storage';
import type { z } from '@hono/zod-openapi';

import { newId, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import {
  createPendingDevice,
  databaseCounters,
  destroySecureAreaKeys,
  deviceCredential,
  deviceKeys,
  readDevice,
  SECURE_AREA_LIMITS,
  sweepUnusedDevices,
  writeCredential,
  type Credential,
  type DeviceRow,
  type RsaKeys,
  type SecureAreaPublicKeys,
} from './secure-area-devices.js';
import { installCredential } from './secure-area-install.js';
import { readSignedMessage, type SecureAreaDeviceKey, type SecureAreaResult } from './secure-area-messages.js';
import { resetDevicePins } from './secure-area-pin-reset.js';
import { SecureAreaSessions, type Session } from './secure-area-sessions.js';
import type { SecureAreaDeviceStatus } from './storage/schema.js';

const PROOF_BITS = { authentication: 1, signing: 2, cardFace: 4 } as const;

const wiped = () =>
  new IssuerError('ERR_SECURE_AREA_WIPED', "this device's keys were destroyed (the phone was wiped or revoked)");

/**
 * The remote secure area (issue 23; docs/wallet.md): for phones without a secure element, the phone's
 * JPKI and 券面 private keys, its reference data and its retry counters live here, under the
 * authority's key custody (sealed under a key derived from the registry key; counters in the
 * database, taken by an atomic update before every comparison). The phone keeps one device-bound P-256
 * key and talks to its applet set over sessions bound to that key (`openmyna-secure-area/1` in
 * `@openmyna/card`): nothing the phone deletes or restores gives back a try.
 *
 * Sessions live in this instance's memory: a deployment with several instances routes each device's
 * requests (`/secure-area/devices/{id}/…`) to one instance, by the device id; the counters are shared
 * through the database, so a second instance changes nothing about what a guess costs.
 */
export class SecureAreaService {
  readonly #context: IssuerContext;
  readonly #pinResetAuthority: JsonWebKey;
  readonly #sessions: SecureAreaSessions;
  readonly #now: () => number;
  #enrolling = 0;

  constructor(context: IssuerContext, options: { readonly pinResetAuthority: JsonWebKey }) {
    this.#context = context;
    this.#pinResetAuthority = options.pinResetAuthority;
    this.#now = () => context.clock().getTime();
    this.#sessions = new SecureAreaSessions(this.#now);
  }

  /** Makes a device's pending keys (three RSA-2048) for `deviceKey`; returns their public halves. */
  async enroll(
    deviceKey: z.infer<typeof SecureAreaDeviceKey>,
  ): Promise<{ deviceId: string; publicKeys: SecureAreaPublicKeys }> {
    const jwk = { kty: 'EC', crv: 'P-256', x: deviceKey.x, y: deviceKey.y };
    try {
      // OpenSSL refuses a point that is not on the curve.
      createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new IssuerError('ERR_SECURE_AREA_FORMAT', 'the device key is not a P-256 public key');
    }
    if (this.#enrolling >= SECURE_AREA_LIMITS.enrollments)
      throw new IssuerError(
        'ERR_SECURE_AREA_BUSY',
        'the secure area is making keys for other phones; try again shortly',
      );
    this.#enrolling += 1;
    try {
      await sweepUnusedDevices(this.#context, this.#now());
      return await createPendingDevice(this.#context, jwk);
    } finally {
      this.#enrolling -= 1;
    }
  }

  /**
   * Opens a session for `deviceId`: its first message, signed by the device key, must answer
   * `challenge`. Opening needs no proof, so it ends nothing: the device's earlier session ends only
   * when this one's first signed message comes.
   */
  async openSession(deviceId: string): Promise<{ sessionId: string; challenge: string; expiresAt: string }> {
    const device = await this.#expectUnexpired(await readDevice(this.#context, deviceId));
    if (device.status === 'wiped') throw wiped();
    this.#sessions.makeRoom(deviceId);
    const now = this.#now();
    const session: Session = {
      id: newId(this.#context, 'sas_'),
      deviceId,
      challenge: base64UrlEncode(this.#context.randomBytes(32)),
      deviceKey: JSON.parse(device.device_key) as NodeJsonWebKey,
      openedAt: now,
      lastUsed: now,
      next: 0,
      proven: false,
      queue: Promise.resolve(),
    };
    this.#sessions.add(session);
    return {
      sessionId: session.id,
      challenge: session.challenge,
      expiresAt: new Date(now + SECURE_AREA_LIMITS.unprovenMs).toISOString(),
    };
  }

  /**
   * Runs one signed message of a session: checked named steps — the session is known and alive, the
   * signature is the device key's over this session's challenge and the message bytes, the sequence is
   * the next one (a replayed or reordered message is refused) — then the operation.
   */
  async message(
    sessionId: string,
    message: string,
    signature: string,
    /** The device the request's path names, when it names one: the session must be that device's. */
    deviceId?: string,
  ): Promise<SecureAreaResult> {
    const session = this.#sessions.live(sessionId, deviceId);
    const parsed = readSignedMessage(session, message, signature);
    if (parsed.sequence !== session.next)
      throw new IssuerError(
        'ERR_SECURE_AREA_REPLAYED',
        `message ${parsed.sequence} is out of order (the session expects ${session.next})`,
      );
    session.next += 1;
    if (!session.proven) {
      // The device proved itself in this session: its earlier sessions here end now.
      session.proven = true;
      this.#sessions.endDevice(session.deviceId, session.id);
    }
    const run = session.queue.then(async () => {
      try {
        const result = await this.#run(session, parsed);
        session.lastUsed = this.#now();
        return result;
      } catch (error) {
        // Whatever failed inside the applets leaves their state unknown: the next APDU opens them anew.
        delete session.card;
        throw error;
      }
    });
    session.queue = run.catch(() => undefined);
    return run;
  }

  /** Ends every session of `deviceId` in this instance. */
  endSessions(deviceId: string): void {
    this.#sessions.endDevice(deviceId);
  }

  async #run(session: Session, message: SecureAreaMessage): Promise<SecureAreaResult> {
    const device = await this.#expectUnexpired(await readDevice(this.#context, session.deviceId)).catch(
      (error: unknown) => {
        this.#sessions.end(session.id);
        throw error;
      },
    );
    const expect = (status: SecureAreaDeviceStatus, what: string) => this.#expectStatus(session, device, status, what);
    switch (message.op) {
      case 'apdu':
        expect('active', 'an APDU');
        return { response: base64Encode(await this.#transmit(session, device, base64Decode(message.apdu))) };
      case 'reset':
        expect('active', 'a reset');
        session.card?.reset();
        return {};
      case 'end':
        this.#sessions.end(session.id);
        return {};
      case 'pending-sign':
        expect('pending', 'a proof of possession');
        return this.#prove(device, message.key, base64Decode(message.digestInfo));
      case 'install':
        expect('certified', 'installing a card');
        return installCredential(this.#context, device, message.bundle, message.pins);
      case 'reset-pins':
        expect('active', 'a PIN reset');
        this.#expectPhoneInUse(device);
        delete session.card;
        return resetDevicePins(this.#context, this.#pinResetAuthority, device, message);
      case 'wipe':
        await destroySecureAreaKeys(this.#context.db, this.#context, { deviceIds: [device.id] });
        this.endSessions(device.id);
        return {};
    }
  }

  /** A session's operation needs the device in `status`; otherwise the session ends. */
  #expectStatus(session: Session, device: DeviceRow, status: SecureAreaDeviceStatus, what: string): void {
    if (device.status === 'wiped') {
      this.#sessions.end(session.id);
      throw wiped();
    }
    if (device.status !== status) {
      this.#sessions.end(session.id);
      throw new IssuerError('ERR_SECURE_AREA_STATE', `${what} needs a ${status} device; this one is ${device.status}`);
    }
  }

  /** Sends an APDU to the session's applets, opened anew when the credential moved on since. */
  async #transmit(session: Session, device: DeviceRow, apdu: Uint8Array): Promise<Uint8Array> {
    this.#expectPhoneInUse(device);
    if (!session.card || session.cardVersion?.value !== device.version) {
      const version = { value: device.version };
      session.card = this.#openApplets(device, deviceCredential(this.#context, device), version).card;
      session.cardVersion = version;
    }
    return session.card.transmit(apdu);
  }

  /** A pending key's one proof of possession: a signature over a SHA-256 DigestInfo, once per key. */
  async #prove(device: DeviceRow, key: keyof typeof PROOF_BITS, digestInfo: Uint8Array) {
    let algorithm: string;
    try {
      algorithm = decodeDigestInfo(digestInfo).algorithm;
    } catch {
      algorithm = 'none';
    }
    if (algorithm !== 'SHA-256')
      throw new IssuerError('ERR_SECURE_AREA_FORMAT', 'a pending key signs a SHA-256 DigestInfo only');
    const bit = PROOF_BITS[key];
    const taken = await this.#context.db
      .updateTable('secure_area_devices')
      .set({ proofs: sql<number>`proofs | ${bit}` })
      .where('id', '=', device.id)
      .where('status', '=', 'pending')
      .where(sql<boolean>`(proofs & ${bit}) = 0`)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1)
      throw new IssuerError('ERR_SECURE_AREA_STATE', `the ${key} key made its proof of possession already`);
    const keys: RsaKeys = deviceKeys(this.#context, device);
    return { signature: base64Encode(await nodeCardKey(keys[key]).signPkcs1(digestInfo)) };
  }

  /** The applets over a device's keys and credential; a PIN change is written back against `version`. */
  #openApplets(device: DeviceRow, credential: Credential, version: { value: number }) {
    const keys = deviceKeys(this.#context, device);
    return openPhoneCard({
      contents: credential.contents,
      keys: {
        authentication: nodeCardKey(keys.authentication),
        ...(credential.contents.jpki.signingCertificate ? { signing: nodeCardKey(keys.signing) } : {}),
        cardFace: nodeCardKey(keys.cardFace),
      },
      pins: decodeStoredPins(credential.pins),
      store: databaseCounters(this.#context, device.id),
      tokenSerial: credential.tokenSerial,
      onPinsChanged: async (pins) => {
        await writeCredential(this.#context, this.#context.db, device.id, version.value, {
          ...credential,
          pins: encodeStoredPins(pins),
        });
        version.value += 1;
      },
    });
  }

  /** A suspended or revoked phone's keys and PIN-protected records are not used. */
  #expectPhoneInUse(device: DeviceRow): void {
    if (device.phone_status !== 'active')
      throw new IssuerError(
        'ERR_SECURE_AREA_SUSPENDED',
        `the phone is ${device.phone_status ?? 'unknown'} at the issuer`,
      );
  }

  /** A pending device past its hour, or a certified one past its day, is destroyed now. */
  async #expectUnexpired(device: DeviceRow): Promise<DeviceRow> {
    const age = this.#now() - Date.parse(device.status === 'certified' ? device.updated_at : device.created_at);
    const limit =
      device.status === 'pending'
        ? SECURE_AREA_LIMITS.pendingMs
        : device.status === 'certified'
          ? SECURE_AREA_LIMITS.certifiedMs
          : Infinity;
    if (age <= limit) return device;
    await destroySecureAreaKeys(this.#context.db, this.#context, { deviceIds: [device.id] });
    throw wiped();
  }
}
