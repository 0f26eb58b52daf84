import { generateKeyPairSync, sign } from 'node:crypto';

import { secureAreaSigningInput, type SecureAreaOperation } from '@openmyna/card';
import { encodeDigestInfo } from '@openmyna/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, type TestDatabase } from '../../../test-support/databases.js';
import { issuerTestContext } from '../../../test-support/issuer-fixtures.js';
import { secureAreaDeviceKey, signedSecureAreaMessage } from '../../../test-support/secure-area-fixtures.js';
import {
  databaseCounters,
  SECURE_AREA_LIMITS,
  SecureAreaService,
  type IssuerContext,
  type IssuerSchema,
} from '../src/index.js';

const digestInfo = Buffer.from(encodeDigestInfo('SHA-256', new Uint8Array(32).fill(7))).toString('base64');

describe.each(ENGINES)('the remote secure area on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  let now = new Date('2027-03-01T00:00:00Z');
  let service: SecureAreaService;
  const authority = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });

  beforeAll(async () => {
    ({ database, context } = await issuerTestContext(engine, () => now));
    service = new SecureAreaService(context, { pinResetAuthority: authority });
  }, 60_000);
  afterAll(async () => {
    await database.dispose();
  });

  it('keeps the keys it makes sealed: the database holds no private key in the clear', async () => {
    const phone = secureAreaDeviceKey();
    const { deviceId, publicKeys } = await service.enroll(phone.jwk);
    expect(Object.keys(publicKeys).sort()).toEqual(['authenticationKey', 'cardFaceKey', 'signingKey']);
    const row = await context.db
      .selectFrom('secure_area_devices')
      .selectAll()
      .where('id', '=', deviceId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
    const stored = Buffer.from(row.sealed_keys!).toString('latin1');
    expect(stored).not.toMatch(/"d"|"kty"|RSA/);
  });

  it('runs a message once, in order, in the session it was signed for, by the device key only', async () => {
    const phone = secureAreaDeviceKey();
    const other = secureAreaDeviceKey();
    const { deviceId } = await service.enroll(phone.jwk);
    const session = await service.openSession(deviceId);
    const first = signedSecureAreaMessage(phone.privateKey, session, 0, {
      op: 'pending-sign',
      key: 'authentication',
      digestInfo,
    });
    const result = await service.message(session.sessionId, first.message, first.signature);
    expect(Buffer.from(result['signature'] as string, 'base64')).toHaveLength(256);

    // Replayed: the same signed message again.
    await expect(service.message(session.sessionId, first.message, first.signature)).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_REPLAYED',
    });
    // Skipping ahead.
    const skipped = signedSecureAreaMessage(phone.privateKey, session, 5, {
      op: 'pending-sign',
      key: 'signing',
      digestInfo,
    });
    await expect(service.message(session.sessionId, skipped.message, skipped.signature)).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_REPLAYED',
    });
    // Another key, and a message altered after signing.
    const stranger = signedSecureAreaMessage(other.privateKey, session, 1, {
      op: 'pending-sign',
      key: 'signing',
      digestInfo,
    });
    await expect(service.message(session.sessionId, stranger.message, stranger.signature)).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_PROOF_INVALID',
    });
    const genuine = signedSecureAreaMessage(phone.privateKey, session, 1, {
      op: 'pending-sign',
      key: 'signing',
      digestInfo,
    });
    const altered = Buffer.from(genuine.message, 'base64url').toString().replace('"signing"', '"cardFace"');
    await expect(
      service.message(session.sessionId, Buffer.from(altered).toString('base64url'), genuine.signature),
    ).rejects.toMatchObject({ code: 'ERR_SECURE_AREA_PROOF_INVALID' });
    // Signed for an earlier session of the same device: its challenge is not this one's.
    const next = await service.openSession(deviceId);
    const stale = signedSecureAreaMessage(phone.privateKey, session, 0, {
      op: 'pending-sign',
      key: 'signing',
      digestInfo,
    });
    await expect(service.message(next.sessionId, stale.message, stale.signature)).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_PROOF_INVALID',
    });
    // Opening a session needs no proof, so it ends nothing; the new one's first signed message does.
    const still = signedSecureAreaMessage(phone.privateKey, session, 1, { op: 'end' });
    const fine = signedSecureAreaMessage(phone.privateKey, next, 0, { op: 'pending-sign', key: 'signing', digestInfo });
    await expect(service.message(next.sessionId, fine.message, fine.signature)).resolves.toHaveProperty('signature');
    await expect(service.message(session.sessionId, still.message, still.signature)).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_SESSION_UNKNOWN',
    });
    // Each pending key proves possession once: a second signature by it is refused.
    const again = signedSecureAreaMessage(phone.privateKey, next, 1, {
      op: 'pending-sign',
      key: 'authentication',
      digestInfo,
    });
    await expect(service.message(next.sessionId, again.message, again.signature)).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_STATE',
    });
  });

  it('refuses what a state does not allow, malformed messages and anything but a SHA-256 DigestInfo', async () => {
    const phone = secureAreaDeviceKey();
    const { deviceId } = await service.enroll(phone.jwk);
    const session = await service.openSession(deviceId);
    let sequence = 0;
    const send = (operation: SecureAreaOperation) => {
      const body = signedSecureAreaMessage(phone.privateKey, session, sequence++, operation);
      return service.message(session.sessionId, body.message, body.signature);
    };
    const sha1 = Buffer.from(encodeDigestInfo('SHA-1', new Uint8Array(20))).toString('base64');
    await expect(send({ op: 'pending-sign', key: 'signing', digestInfo: sha1 })).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_FORMAT',
    });
    await expect(send({ op: 'apdu', apdu: 'AKQEDA==' })).rejects.toMatchObject({ code: 'ERR_SECURE_AREA_STATE' });
    // The session ended with the refusal; a new one, then a message that is no operation.
    const again = await service.openSession(deviceId);
    const junk = Buffer.from('{"op":"format-disk","sequence":0}');
    const junkSignature = sign('sha256', secureAreaSigningInput(again.sessionId, again.challenge, junk), {
      key: phone.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    await expect(
      service.message(again.sessionId, junk.toString('base64url'), junkSignature.toString('base64url')),
    ).rejects.toMatchObject({ code: 'ERR_SECURE_AREA_FORMAT' });
    await expect(service.message(again.sessionId, '', '')).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_PROOF_INVALID',
    });
    // Install checks the bundle against the issuer's records: an invented phone is refused.
    const third = await service.openSession(deviceId);
    const install = signedSecureAreaMessage(phone.privateKey, third, 0, {
      op: 'install',
      bundle: { phoneId: 'nope' },
      pins: { authentication: '1234', signing: 'ABC123', kenhojo: '1234', juki: '1234' },
    });
    await expect(service.message(third.sessionId, install.message, install.signature)).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_FORMAT',
    });
  });

  it('wipes a device: its keys are gone, and it opens no session', async () => {
    const phone = secureAreaDeviceKey();
    const { deviceId } = await service.enroll(phone.jwk);
    const session = await service.openSession(deviceId);
    const wipe = signedSecureAreaMessage(phone.privateKey, session, 0, { op: 'wipe' });
    await service.message(session.sessionId, wipe.message, wipe.signature);
    const row = await context.db
      .selectFrom('secure_area_devices')
      .selectAll()
      .where('id', '=', deviceId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'wiped', sealed_keys: null, sealed_credential: null });
    await expect(service.openSession(deviceId)).rejects.toMatchObject({ code: 'ERR_SECURE_AREA_WIPED' });
    await expect(service.openSession('sa_unknown')).rejects.toMatchObject({ code: 'ERR_SECURE_AREA_UNKNOWN' });
  });

  it('ends idle sessions (on the injected clock)', async () => {
    const phone = secureAreaDeviceKey();
    const { deviceId } = await service.enroll(phone.jwk);
    const session = await service.openSession(deviceId);
    now = new Date(now.getTime() + SECURE_AREA_LIMITS.idleMs + 1);
    const late = signedSecureAreaMessage(phone.privateKey, session, 0, {
      op: 'pending-sign',
      key: 'signing',
      digestInfo,
    });
    await expect(service.message(session.sessionId, late.message, late.signature)).rejects.toMatchObject({
      code: 'ERR_SECURE_AREA_SESSION_UNKNOWN',
    });
  });

  it('takes tries atomically: 40 concurrent guesses through two stores pay for 3 tries, no more', async () => {
    const phone = secureAreaDeviceKey();
    const { deviceId } = await service.enroll(phone.jwk);
    await context.db
      .insertInto('secure_area_counters')
      .values({ device_id: deviceId, reference: 'jpki/0018', tries_left: 3 })
      .execute();
    // Two stores stand for two instances of the service over one database.
    const stores = [databaseCounters(context, deviceId), databaseCounters(context, deviceId)];
    const before = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.consume!('jpki/0018', 3)));
    expect(before.filter((tries) => tries > 0).sort()).toEqual([1, 2, 3]);
    expect(await stores[0]!.read('jpki/0018')).toBe(0);
    await expect(stores[0]!.consume!('jpki/9999', 3)).rejects.toMatchObject({ code: 'ERR_SECURE_AREA_STATE' });
  });
});
