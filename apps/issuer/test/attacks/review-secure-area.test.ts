/**
 * A second independent review of the remote secure area (service level, sqlite). Each `it` was a
 * finding (it failed) and now states the behaviour that fixed it.
 */
import { generateKeyPairSync } from 'node:crypto';

import { encodeDigestInfo } from '@openmyna/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { issuerTestContext } from '../../../../test-support/issuer-fixtures.js';
import { secureAreaDeviceKey, signedSecureAreaMessage } from '../../../../test-support/secure-area-fixtures.js';
import type { TestDatabase } from '../../../../test-support/databases.js';
import { SECURE_AREA_LIMITS, SecureAreaService, type IssuerContext, type IssuerSchema } from '../../src/index.js';

const sha256DigestInfo = Buffer.from(encodeDigestInfo('SHA-256', new Uint8Array(32).fill(7))).toString('base64');

describe('review: the remote secure area service', () => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  let now = new Date('2027-03-01T00:00:00Z');
  const authority = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });

  beforeAll(async () => {
    ({ database, context } = await issuerTestContext('sqlite', () => now));
  }, 60_000);
  afterAll(async () => {
    await database.dispose();
  });

  it('R3 1,000 session openings on one anonymous device end no other phone’s session before its first message', async () => {
    const service = new SecureAreaService(context, { pinResetAuthority: authority });
    const victim = secureAreaDeviceKey();
    const { deviceId: victimId } = await service.enroll(victim.jwk);
    const attacker = secureAreaDeviceKey();
    const { deviceId: attackerId } = await service.enroll(attacker.jwk);
    // The phone opens its session; before its first signed message arrives (one round trip later) …
    const session = await service.openSession(victimId);
    // … the attacker opens sessions on its own device: no signature needed, a row read each.
    for (let i = 0; i < SECURE_AREA_LIMITS.unproven; i++) await service.openSession(attackerId);
    const first = signedSecureAreaMessage(victim.privateKey, session, 0, {
      op: 'pending-sign',
      key: 'authentication',
      digestInfo: sha256DigestInfo,
    });
    const outcome = await service.message(session.sessionId, first.message, first.signature, victimId).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    expect(outcome).toBe('answered');
  }, 60_000);

  it('R4 a pending device nobody opens again is destroyed after its hour (swept when devices are made)', async () => {
    const service = new SecureAreaService(context, { pinResetAuthority: authority });
    const { deviceId } = await service.enroll(secureAreaDeviceKey().jwk);
    now = new Date(now.getTime() + 400 * 86_400_000);
    // Other traffic goes on: another device enrolls and opens sessions.
    const other = await service.enroll(secureAreaDeviceKey().jwk);
    await service.openSession(other.deviceId);
    const row = await context.db
      .selectFrom('secure_area_devices')
      .select(['status', 'sealed_keys'])
      .where('id', '=', deviceId)
      .executeTakeFirstOrThrow();
    expect({ status: row.status, keys: row.sealed_keys !== null }).toEqual({ status: 'wiped', keys: false });
  });

  it('R5 one source address’s enrollment burst makes at most 4 enrollments’ key generations at once: the rest are refused at once', async () => {
    const service = new SecureAreaService(context, { pinResetAuthority: authority });
    const burst = await Promise.allSettled(Array.from({ length: 60 }, () => service.enroll(secureAreaDeviceKey().jwk)));
    const made = burst.filter((outcome) => outcome.status === 'fulfilled');
    const refused = burst.flatMap((outcome) =>
      outcome.status === 'rejected' ? [(outcome.reason as { code?: string }).code] : [],
    );
    expect(made).toHaveLength(SECURE_AREA_LIMITS.enrollments);
    expect(new Set(refused)).toEqual(new Set(['ERR_SECURE_AREA_BUSY']));
    // Once they are made, the next phone enrolls.
    await expect(service.enroll(secureAreaDeviceKey().jwk)).resolves.toHaveProperty('deviceId');
  }, 300_000);
});
