import {
  createPublicKey,
  generateKeyPair,
  verify as verifySignature,
  type JsonWebKey as NodeJsonWebKey,
} from 'node:crypto';
import { promisify } from 'node:util';

import {
  CardError,
  decodeMyNumberFile,
  decodeStoredPins,
  encodeStoredPins,
  openPhoneCard,
  phoneContentsMismatch,
  phonePinAccepts,
  phonePinsProblem,
  PhoneCardContentsSchema,
  PhoneIdSchema,
  phoneReferenceData,
  protectPin,
  secureAreaSigningInput,
  verifyPinResetAuthorization,
  PHONE_PIN_REFERENCES,
  type EncodedStoredPins,
  type PhoneCardContents,
  type PhonePins,
  type RetryCounterStore,
  type SecureAreaMessage,
  type SmartCard,
  type StoredPin,
} from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import { constantTimeEqual } from '@openmyna/core';
import { decodeDigestInfo } from '@openmyna/pki';
import { inTransaction, isUniqueViolation, sql } from '@openmyna/storage';
import { z } from '@hono/zod-openapi';

import type { Kysely } from 'kysely';

import { isoTime, newId, type IssuerContext } from './context.js';
import type { IssuerSchema, SecureAreaDeviceStatus } from './storage/schema.js';
import { IssuerError } from './errors.js';
import { myNumberIndex, sealUnderRegistryKey, unsealUnderRegistryKey } from './my-number-seal.js';

const KEYS_INFO = 'openmyna/secure-area/keys/v1';
const CREDENTIAL_INFO = 'openmyna/secure-area/credential/v1';
const generateRsa = promisify(generateKeyPair);
const utf8 = new TextEncoder();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

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

const PROOF_BITS = { authentication: 1, signing: 2, cardFace: 4 } as const;

interface RsaKeys {
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

interface Credential {
  readonly contents: PhoneCardContents;
  readonly phoneId: string;
  readonly tokenSerial: string;
  readonly pins: EncodedStoredPins;
}

interface Session {
  readonly id: string;
  readonly deviceId: string;
  readonly challenge: string;
  readonly deviceKey: NodeJsonWebKey;
  readonly openedAt: number;
  lastUsed: number;
  next: number;
  /** Whether a message signed by the device key came: only then does the session count as the device's. */
  proven: boolean;
  card?: SmartCard;
  /** The credential version the card was opened at (its own PIN changes move it): another moves it, the card reopens. */
  cardVersion?: { value: number };
  /** Messages run one at a time, in order. */
  queue: Promise<unknown>;
}

const Base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);
/** The bundle fields the applets serve (the issuer's `PhoneBundle`, as the phone received it). */
const Contents = PhoneCardContentsSchema.extend({ phoneId: PhoneIdSchema });
const PinValues = z.record(z.string().max(32), z.string().max(16));
const Message = z.discriminatedUnion('op', [
  z.object({ op: z.literal('apdu'), sequence: z.number().int().min(0), apdu: Base64.max(70_000) }),
  z.object({ op: z.literal('reset'), sequence: z.number().int().min(0) }),
  z.object({
    op: z.literal('pending-sign'),
    sequence: z.number().int().min(0),
    key: z.enum(['authentication', 'signing', 'cardFace']),
    digestInfo: Base64.max(200),
  }),
  z.object({
    op: z.literal('install'),
    sequence: z.number().int().min(0),
    bundle: Contents.passthrough(),
    pins: PinValues,
  }),
  z.object({
    op: z.literal('reset-pins'),
    sequence: z.number().int().min(0),
    authorization: z.string().min(1).max(4_000),
    phoneNonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
    pins: PinValues,
  }),
  z.object({ op: z.literal('wipe'), sequence: z.number().int().min(0) }),
  z.object({ op: z.literal('end'), sequence: z.number().int().min(0) }),
]);

/**
 * What an operation of a session answers, by `op`: `apdu` the response APDU, `pending-sign` the
 * signature (both base64), `install` the phone and its token serial, `reset-pins` the references
 * reset; `reset`, `end` and `wipe` nothing.
 */
export interface SecureAreaResult {
  readonly response?: string;
  readonly signature?: string;
  readonly phoneId?: string;
  readonly tokenSerial?: string;
  readonly reset?: string[];
}

/** A P-256 public JWK as the phone sends its device-bound key. */
export const SecureAreaDeviceKey = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/**
 * The remote secure area (issue 23; docs/wallet.md): for phones without a secure element, the phone's
 * JPKI and 券面 private keys, its reference data and its retry counters live here, under the
 * authority's key custody (sealed under a key derived from the registry key; counters in the
 * database, taken by an atomic update before every comparison). The phone keeps one device-bound P-256
 * key and talks to its applet set over sessions bound to that key (`openmyna-secure-area/1` in
 * `@openmyna/card`): nothing the phone deletes or restores gives back a try.
 *
 * Sessions live in this instance's memory: a deployment with several instances routes each device's
 * requests (`/secure-area/devices/{id}/…`) to one instance, by the device id; the counters are shared through the database, so a
 * second instance changes nothing about what a guess costs.
 */
export class SecureAreaService {
  readonly #context: IssuerContext;
  readonly #pinResetAuthority: JsonWebKey;
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  #enrolling = 0;

  constructor(context: IssuerContext, options: { readonly pinResetAuthority: JsonWebKey }) {
    this.#context = context;
    this.#pinResetAuthority = options.pinResetAuthority;
    this.#now = () => context.clock().getTime();
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
      await this.#sweep();
      return await this.#enroll(jwk);
    } finally {
      this.#enrolling -= 1;
    }
  }

  /**
   * Destroys the keys of devices that will never be used — pending past an hour, certified past a day
   * with no card installed — a bounded batch at a time (run before each enrollment).
   */
  async #sweep(): Promise<void> {
    const now = this.#now();
    const stale = await this.#context.db
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
    await destroySecureAreaKeys(this.#context.db, this.#context, { deviceIds: stale.map((row) => row.id) });
  }

  async #enroll(jwk: { kty: string; crv: string; x: string; y: string }) {
    const id = newId(this.#context, 'sa_');
    const pairs = await Promise.all([0, 1, 2].map(() => generateRsa('rsa', { modulusLength: 2048 })));
    const [authentication, signing, cardFace] = pairs.map((pair) => pair.privateKey.export({ format: 'jwk' }));
    const spki = (index: number) => b64(pairs[index]!.publicKey.export({ format: 'der', type: 'spki' }));
    const publicKeys: SecureAreaPublicKeys = { authenticationKey: spki(0), signingKey: spki(1), cardFaceKey: spki(2) };
    const keys: RsaKeys = {
      authentication: authentication as JsonWebKey,
      signing: signing as JsonWebKey,
      cardFace: cardFace as JsonWebKey,
    };
    const now = isoTime(this.#context.clock());
    await this.#context.db
      .insertInto('secure_area_devices')
      .values({
        id,
        device_key: JSON.stringify(jwk),
        status: 'pending',
        phone_id: null,
        authentication_key: publicKeys.authenticationKey,
        public_keys: JSON.stringify(publicKeys),
        sealed_keys: this.#seal(KEYS_INFO, id, keys),
        sealed_credential: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return { deviceId: id, publicKeys };
  }

  /**
   * Opens a session for `deviceId`: its first message, signed by the device key, must answer
   * `challenge`. Opening needs no proof, so it ends nothing: the device's earlier session ends only
   * when this one's first signed message comes.
   */
  async openSession(deviceId: string): Promise<{ sessionId: string; challenge: string; expiresAt: string }> {
    const device = await this.#expectUnexpired(await this.#device(deviceId));
    if (device.status === 'wiped') throw wiped();
    this.#makeRoom(deviceId);
    const now = this.#now();
    const session: Session = {
      id: newId(this.#context, 'sas_'),
      deviceId,
      challenge: b64url(this.#context.randomBytes(32)),
      deviceKey: JSON.parse(device.device_key) as NodeJsonWebKey,
      openedAt: now,
      lastUsed: now,
      next: 0,
      proven: false,
      queue: Promise.resolve(),
    };
    this.#sessions.set(session.id, session);
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
    const found = this.#sessions.get(sessionId);
    const session = deviceId === undefined || found?.deviceId === deviceId ? found : undefined;
    const now = this.#now();
    if (!session || expired(session, now)) {
      if (session) this.#sessions.delete(sessionId);
      throw new IssuerError(
        'ERR_SECURE_AREA_SESSION_UNKNOWN',
        'no such session (expired, ended or opened elsewhere); open another',
      );
    }
    const bytes = new Uint8Array(Buffer.from(message, 'base64url'));
    let signed = false;
    try {
      signed = verifySignature(
        'sha256',
        secureAreaSigningInput(session.id, session.challenge, bytes),
        { key: createPublicKey({ key: session.deviceKey, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
        Buffer.from(signature, 'base64url'),
      );
    } catch {
      signed = false;
    }
    if (!signed)
      throw new IssuerError('ERR_SECURE_AREA_PROOF_INVALID', "the message is not signed by this session's device key");
    let parsed: SecureAreaMessage;
    try {
      parsed = Message.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
    } catch {
      throw new IssuerError('ERR_SECURE_AREA_FORMAT', 'the message is not a secure-area operation');
    }
    if (parsed.sequence !== session.next)
      throw new IssuerError(
        'ERR_SECURE_AREA_REPLAYED',
        `message ${parsed.sequence} is out of order (the session expects ${session.next})`,
      );
    session.next += 1;
    if (!session.proven) {
      // The device proved itself in this session: its earlier sessions here end now.
      session.proven = true;
      for (const [id, other] of this.#sessions)
        if (other.deviceId === session.deviceId && id !== session.id) this.#sessions.delete(id);
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
    for (const [id, session] of this.#sessions) if (session.deviceId === deviceId) this.#sessions.delete(id);
  }

  async #run(session: Session, message: SecureAreaMessage): Promise<SecureAreaResult> {
    const device = await this.#expectUnexpired(await this.#device(session.deviceId)).catch((error: unknown) => {
      this.#sessions.delete(session.id);
      throw error;
    });
    const expect = (status: SecureAreaDeviceStatus, what: string) => {
      if (device.status === 'wiped') {
        this.#sessions.delete(session.id);
        throw wiped();
      }
      if (device.status !== status) {
        this.#sessions.delete(session.id);
        throw new IssuerError(
          'ERR_SECURE_AREA_STATE',
          `${what} needs a ${status} device; this one is ${device.status}`,
        );
      }
    };
    switch (message.op) {
      case 'apdu': {
        expect('active', 'an APDU');
        this.#expectPhoneInUse(device);
        if (!session.card || session.cardVersion?.value !== device.version) {
          const version = { value: device.version };
          session.card = this.#openApplets(device, this.#credential(device), version).card;
          session.cardVersion = version;
        }
        const response = await session.card.transmit(fromB64(message.apdu));
        return { response: b64(response) };
      }
      case 'reset':
        expect('active', 'a reset');
        session.card?.reset();
        return {};
      case 'end':
        this.#sessions.delete(session.id);
        return {};
      case 'pending-sign':
        expect('pending', 'a proof of possession');
        return this.#prove(device, message.key, fromB64(message.digestInfo));
      case 'install':
        expect('certified', 'installing a card');
        return this.#install(device, message.bundle, message.pins);
      case 'reset-pins':
        expect('active', 'a PIN reset');
        this.#expectPhoneInUse(device);
        delete session.card;
        return this.#resetPins(device, message);
      case 'wipe':
        await destroySecureAreaKeys(this.#context.db, this.#context, { deviceIds: [device.id] });
        this.endSessions(device.id);
        return {};
    }
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
    const keys = this.#unseal<RsaKeys>(KEYS_INFO, device.id, device.sealed_keys!);
    return { signature: b64(await nodeCardKey(keys[key]).signPkcs1(digestInfo)) };
  }

  /**
   * Installs the phone's credential: the device must be the one provisioning certified for the phone
   * the bundle names, that phone active, both certificates the ones the issuer recorded for it and
   * holding this device's keys, the 入力補助 4 info those of the signing certificate, the 券面 records
   * over this device's 券面 key, and the 個人番号, 住民票コード, municipality and card expiry those of the
   * registry. Then the reference data and the counters are made, in one transaction that re-checks the
   * phone.
   */
  async #install(device: DeviceRow, bundle: unknown, values: Readonly<Record<string, string>>) {
    const contents = Contents.parse(bundle);
    const pins = assertPins(values);
    const refuse = (what: string) =>
      new IssuerError('ERR_SECURE_AREA_BUNDLE', `the bundle does not belong to this device: ${what}`);
    if (device.phone_id !== contents.phoneId) throw refuse('provisioning certified this device for another phone');
    let references: Record<string, StoredPin>;
    try {
      await this.#checkBundle(device, contents, refuse);
      references = phoneReferenceData(contents, pins, (length) => this.#context.randomBytes(length));
    } catch (error) {
      if (error instanceof IssuerError) throw error;
      throw refuse('a certificate or record does not decode');
    }
    const credential: Credential = {
      contents,
      phoneId: contents.phoneId,
      tokenSerial: Buffer.from(this.#context.randomBytes(8)).toString('hex').toUpperCase(),
      pins: encodeStoredPins(references),
    };
    await inTransaction(this.#context.db, async (trx) => {
      const phone = await trx
        .selectFrom('phones')
        .select('status')
        .where('id', '=', contents.phoneId)
        .executeTakeFirst();
      if (phone?.status !== 'active') throw refuse('the phone is no longer active');
      const updated = await trx
        .updateTable('secure_area_devices')
        .set({
          status: 'active',
          sealed_credential: this.#seal(CREDENTIAL_INFO, device.id, credential),
          version: device.version + 1,
          updated_at: isoTime(this.#context.clock()),
        })
        .where('id', '=', device.id)
        .where('status', '=', 'certified')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new IssuerError('ERR_SECURE_AREA_STATE', 'the device is no longer waiting for its card');
      await trx
        .insertInto('secure_area_counters')
        .values(
          Object.keys(references).map((reference) => ({
            device_id: device.id,
            reference,
            tries_left: PHONE_PIN_REFERENCES[reference as keyof typeof PHONE_PIN_REFERENCES],
          })),
        )
        .execute();
    });
    return { phoneId: contents.phoneId, tokenSerial: credential.tokenSerial };
  }

  async #checkBundle(
    device: DeviceRow,
    contents: PhoneCardContents & { phoneId: string },
    refuse: (what: string) => IssuerError,
  ) {
    const keys = JSON.parse(device.public_keys) as SecureAreaPublicKeys;
    const phone = await this.#context.db
      .selectFrom('phones')
      .innerJoin('persons', 'persons.id', 'phones.person_id')
      .innerJoin('cards', 'cards.id', 'phones.card_id')
      .select([
        'phones.status',
        'persons.my_number',
        'persons.resident_code',
        'persons.municipality_code',
        'cards.expires_on',
      ])
      .where('phones.id', '=', contents.phoneId)
      .executeTakeFirst();
    if (phone?.status !== 'active') throw refuse('no active phone of this issuer has that id');
    const recorded = await this.#context.db
      .selectFrom('certificates')
      .select(['hierarchy', 'der'])
      .where('phone_id', '=', contents.phoneId)
      .where('status', '=', 'issued')
      .execute();
    const recordedFor = (hierarchy: 'authentication' | 'signing', certificate: string | undefined) =>
      certificate === undefined
        ? hierarchy === 'signing'
        : recorded.some(
            (each) => each.hierarchy === hierarchy && each.der && constantTimeEqual(each.der, fromB64(certificate)),
          );
    if (!recordedFor('authentication', contents.jpki.authenticationCertificate))
      throw refuse('the authentication certificate is not one this issuer recorded for the phone');
    if (!recordedFor('signing', contents.jpki.signingCertificate))
      throw refuse('the signing certificate is not one this issuer recorded for the phone');
    const mismatch = phoneContentsMismatch(contents, keys);
    if (mismatch) throw refuse(mismatch);
    const { myNumber } = decodeMyNumberFile(fromB64(contents.kenhojo.myNumberFile));
    if (myNumberIndex(this.#context.registryKey, myNumber) !== phone.my_number)
      throw refuse('the 個人番号 is not the registry’s');
    if (
      contents.juki.residentCode !== phone.resident_code ||
      contents.municipalityCode !== phone.municipality_code ||
      contents.cardExpiry !== phone.expires_on
    )
      throw refuse('the 住民票コード, municipality or card expiry is not the registry’s');
  }

  /**
   * Resets the PINs the issuer's authorization names: the authorization is verified against the
   * issuer's own PIN-reset key and used once (its digest recorded); the new reference data and the
   * restored counters are written in one transaction, the data checked against the version read.
   */
  async #resetPins(device: DeviceRow, message: Extract<SecureAreaMessage, { op: 'reset-pins' }>) {
    const credential = this.#credential(device);
    let claims;
    try {
      claims = await verifyPinResetAuthorization(message.authorization, {
        authority: this.#pinResetAuthority,
        phoneId: credential.phoneId,
        nonce: message.phoneNonce,
        now: this.#context.clock(),
      });
    } catch (error) {
      if (error instanceof CardError)
        throw new IssuerError('ERR_SECURE_AREA_REFUSED', `the PIN reset was refused: ${error.message}`, {
          cause: error,
        });
      throw error;
    }
    const replaced: Record<string, StoredPin> = {};
    for (const reference of claims.pins) {
      const value = message.pins[reference];
      if (!Object.hasOwn(credential.pins, reference) || value === undefined || !phonePinAccepts(reference, value))
        throw new IssuerError('ERR_SECURE_AREA_FORMAT', `no new value of the right form for ${reference}`);
      replaced[reference] = protectPin(utf8.encode(value), this.#context.randomBytes(16));
    }
    // The issuer's own id of the authorization: a re-encoded token (another base64url spelling, a high-S
    // signature) is the same authorization and is refused with it.
    const digest = b64(
      new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(`${claims.iss}\n${claims.jti}`))),
    );
    await inTransaction(this.#context.db, async (trx) => {
      try {
        await trx
          .insertInto('secure_area_used_authorizations')
          .values({ digest, device_id: device.id, used_at: isoTime(this.#context.clock()) })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new IssuerError('ERR_SECURE_AREA_REFUSED', 'this PIN-reset authorization was used already');
        throw error;
      }
      await this.#writeCredential(trx, device.id, device.version, {
        ...credential,
        pins: { ...credential.pins, ...encodeStoredPins(replaced) },
      });
      for (const reference of claims.pins)
        await trx
          .updateTable('secure_area_counters')
          .set({ tries_left: PHONE_PIN_REFERENCES[reference as keyof typeof PHONE_PIN_REFERENCES] })
          .where('device_id', '=', device.id)
          .where('reference', '=', reference)
          .execute();
    });
    return { reset: [...claims.pins] };
  }

  /** The applets over a device's keys and credential; a PIN change is written back against `version`. */
  #openApplets(device: DeviceRow, credential: Credential, version: { value: number }) {
    const keys = this.#unseal<RsaKeys>(KEYS_INFO, device.id, device.sealed_keys!);
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
        await this.#writeCredential(this.#context.db, device.id, version.value, {
          ...credential,
          pins: encodeStoredPins(pins),
        });
        version.value += 1;
      },
    });
  }

  /** Writes the sealed credential if it is still at `version` (a change elsewhere in between is refused). */
  async #writeCredential(db: Kysely<IssuerSchema>, deviceId: string, version: number, credential: Credential) {
    const updated = await db
      .updateTable('secure_area_devices')
      .set({
        sealed_credential: this.#seal(CREDENTIAL_INFO, deviceId, credential),
        version: version + 1,
        updated_at: isoTime(this.#context.clock()),
      })
      .where('id', '=', deviceId)
      .where('status', '=', 'active')
      .where('version', '=', version)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw new IssuerError('ERR_SECURE_AREA_STATE', "the phone's PIN data changed meanwhile; try again");
  }

  /** A suspended or revoked phone's keys and PIN-protected records are not used. */
  #expectPhoneInUse(device: DeviceRow): void {
    if (device.phone_status !== 'active')
      throw new IssuerError(
        'ERR_SECURE_AREA_SUSPENDED',
        `the phone is ${device.phone_status ?? 'unknown'} at the issuer`,
      );
  }

  #credential(device: DeviceRow): Credential {
    return this.#unseal<Credential>(CREDENTIAL_INFO, device.id, device.sealed_credential!);
  }

  async #device(deviceId: string): Promise<DeviceRow> {
    // The phone's status comes in the same read: every message checks it.
    const device = await this.#context.db
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

  /**
   * Makes room for a new session of `deviceId`: ends expired sessions, the device's oldest unproven one
   * past its 4, then the least recently used past the limits — never an unproven session younger than
   * the grace period (the opening is refused instead, so openings alone cannot end a phone's session
   * before its first message).
   */
  #makeRoom(deviceId: string): void {
    const now = this.#now();
    for (const [id, session] of this.#sessions) if (expired(session, now)) this.#sessions.delete(id);
    const oldest = (sessions: Session[]) => sessions.sort((a, b) => a.lastUsed - b.lastUsed);
    const own = oldest([...this.#sessions.values()].filter((each) => !each.proven && each.deviceId === deviceId));
    while (own.length >= SECURE_AREA_LIMITS.unprovenPerDevice) this.#sessions.delete(own.shift()!.id);
    const endable = (session: Session) =>
      session.proven || now - session.openedAt >= SECURE_AREA_LIMITS.unprovenGraceMs;
    const unproven = oldest([...this.#sessions.values()].filter((session) => !session.proven));
    while (unproven.length >= SECURE_AREA_LIMITS.unproven) {
      const victim = unproven.shift()!;
      if (!endable(victim)) throw busy();
      this.#sessions.delete(victim.id);
    }
    if (this.#sessions.size >= SECURE_AREA_LIMITS.sessions) {
      const all = oldest([...this.#sessions.values()].filter(endable));
      while (this.#sessions.size >= SECURE_AREA_LIMITS.sessions) {
        const victim = all.shift();
        if (!victim) throw busy();
        this.#sessions.delete(victim.id);
      }
    }
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

  #seal(info: string, deviceId: string, value: unknown): Uint8Array {
    return sealUnderRegistryKey(
      this.#context.registryKey,
      info,
      deviceId,
      utf8.encode(JSON.stringify(value)),
      this.#context.randomBytes(12),
    );
  }

  #unseal<T>(info: string, deviceId: string, sealed: Uint8Array): T {
    return JSON.parse(
      new TextDecoder().decode(unsealUnderRegistryKey(this.#context.registryKey, info, deviceId, sealed)),
    ) as T;
  }
}

interface DeviceRow {
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

const expired = (session: Session, now: number) =>
  now - session.lastUsed > (session.proven ? SECURE_AREA_LIMITS.idleMs : SECURE_AREA_LIMITS.unprovenMs) ||
  now - session.openedAt > SECURE_AREA_LIMITS.lifetimeMs;

const busy = () =>
  new IssuerError('ERR_SECURE_AREA_BUSY', 'the secure area has too many new sessions; try again in a few seconds');

const wiped = () =>
  new IssuerError('ERR_SECURE_AREA_WIPED', "this device's keys were destroyed (the phone was wiped or revoked)");

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
    .where('authentication_key', '=', b64(authenticationKey))
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

function assertPins(values: Readonly<Record<string, string>>): PhonePins {
  const pins = {
    authentication: values['authentication'],
    signing: values['signing'],
    kenhojo: values['kenhojo'],
    juki: values['juki'],
  } as PhonePins;
  const problem = phonePinsProblem(pins);
  if (problem) throw new IssuerError('ERR_SECURE_AREA_FORMAT', problem);
  return pins;
}
