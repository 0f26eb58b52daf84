/**
 * Security review of the remote secure area: a hostile caller of the service with no phone (or with
 * only a device of its own enrolled anonymously), two instances on one database, the clock a year on.
 * Each test was a finding of the review (a failing test) and now states the behaviour that fixed it.
 */
import { generateKeyPairSync } from 'node:crypto';

import { encodeDigestInfo } from '@openmyna/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { issuerTestContext } from '../../../../test-support/issuer-fixtures.js';
import { secureAreaDeviceKey, signedSecureAreaMessage } from '../../../../test-support/secure-area-fixtures.js';
import type { TestDatabase } from '../../../../test-support/databases.js';
import { issuerWithCards } from '../../../../test-support/verifier-fixtures.js';
import { listenOnFreePort } from '../../../../test-support/verifier-service.js';
import { SECURE_AREA_LIMITS, SecureAreaService, type IssuerContext, type IssuerSchema } from '../../src/index.js';

const sha256DigestInfo = Buffer.from(encodeDigestInfo('SHA-256', new Uint8Array(32).fill(7))).toString('base64');
/** A well-signed message the service refuses after it has counted it (lastUsed moves): a free keep-alive. */
const sha1DigestInfo = Buffer.from(encodeDigestInfo('SHA-1', new Uint8Array(20))).toString('base64');

describe('the remote secure area against a caller with no phone (service, sqlite)', () => {
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

  it('S1 one anonymous caller with 10 000 devices cannot fill the session table: the victim still opens a session', async () => {
    const service = new SecureAreaService(context, { pinResetAuthority: authority });
    const victim = secureAreaDeviceKey();
    const { deviceId: victimId } = await service.enroll(victim.jwk);

    // The attacker's devices: what 10 000 POST /secure-area/devices (10/s from one address, ~17 min)
    // leave behind. Written directly here to spare the test 30 000 RSA key generations; nothing but
    // `device_key` and `status` is read by openSession.
    const attacker = secureAreaDeviceKey();
    const ids = Array.from({ length: SECURE_AREA_LIMITS.sessions }, (_, i) => `sa_attacker_${i}`);
    for (let i = 0; i < ids.length; i += 500)
      await context.db
        .insertInto('secure_area_devices')
        .values(
          ids.slice(i, i + 500).map((id) => ({
            id,
            device_key: JSON.stringify({ kty: 'EC', crv: 'P-256', x: attacker.jwk.x, y: attacker.jwk.y }),
            status: 'pending',
            phone_id: null,
            authentication_key: `attacker-key-${id}`,
            public_keys: '{}',
            sealed_keys: null,
            sealed_credential: null,
            created_at: now.toISOString(),
            updated_at: now.toISOString(),
          })),
        )
        .execute();
    const sessions = [];
    // Past 1,000 unproven sessions younger than 10 s, further openings are refused (not the victim's).
    let refused = 0;
    for (const id of ids) {
      const opened = await service.openSession(id).catch(() => undefined);
      if (opened) sessions.push(opened);
      else refused += 1;
    }
    expect(refused).toBe(ids.length - SECURE_AREA_LIMITS.unproven);
    // Four minutes later, one cheap signed message per session (not rate-limited) keeps each alive;
    // four more minutes and the sessions are past the idle limit of a silent session, but not idle.
    now = new Date(now.getTime() + 4 * 60_000);
    for (const session of sessions) {
      const body = signedSecureAreaMessage(attacker.privateKey, session, 0, {
        op: 'pending-sign',
        key: 'signing',
        digestInfo: sha1DigestInfo,
      });
      await service.message(session.sessionId, body.message, body.signature).catch(() => undefined);
    }
    now = new Date(now.getTime() + 4 * 60_000);
    const outcome = await service.openSession(victimId).then(
      () => 'opened',
      (error: { code?: string }) => error.code,
    );
    expect(outcome).toBe('opened');
  }, 120_000);

  it('S2 knowing a device id ends none of its sessions: a new session counts only once it is signed', async () => {
    const service = new SecureAreaService(context, { pinResetAuthority: authority });
    const phone = secureAreaDeviceKey();
    const { deviceId } = await service.enroll(phone.jwk);
    const session = await service.openSession(deviceId);
    const first = signedSecureAreaMessage(phone.privateKey, session, 0, {
      op: 'pending-sign',
      key: 'authentication',
      digestInfo: sha256DigestInfo,
    });
    await service.message(session.sessionId, first.message, first.signature);
    // No key, no signature: just the id (it is in every URL the phone calls, and in access logs).
    await service.openSession(deviceId);
    const second = signedSecureAreaMessage(phone.privateKey, session, 1, {
      op: 'pending-sign',
      key: 'signing',
      digestInfo: sha256DigestInfo,
    });
    const outcome = await service.message(session.sessionId, second.message, second.signature).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    expect(outcome).toBe('answered');
  });

  it('S3 next year: a pending device has expired — its keys are destroyed and sign nothing', async () => {
    const service = new SecureAreaService(context, { pinResetAuthority: authority });
    const phone = secureAreaDeviceKey();
    const { deviceId } = await service.enroll(phone.jwk);
    now = new Date(now.getTime() + 400 * 86_400_000);
    const outcome = await service.openSession(deviceId).then(
      async (session) => {
        const body = signedSecureAreaMessage(phone.privateKey, session, 0, {
          op: 'pending-sign',
          key: 'signing',
          digestInfo: sha256DigestInfo,
        });
        await service.message(session.sessionId, body.message, body.signature);
        return 'signed';
      },
      (error: { code?: string }) => error.code,
    );
    const row = await context.db
      .selectFrom('secure_area_devices')
      .select(['status', 'sealed_keys'])
      .where('id', '=', deviceId)
      .executeTakeFirstOrThrow();
    expect({ outcome, status: row.status, keys: row.sealed_keys !== null }).toEqual({
      outcome: expect.not.stringMatching(/^signed$/) as unknown,
      status: 'wiped',
      keys: false,
    });
  });

  it('S4 enrollment refuses a device key that is not a point of P-256', async () => {
    const service = new SecureAreaService(context, { pinResetAuthority: authority });
    const outcome = await service.enroll({ kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) }).then(
      () => 'enrolled',
      (error: { code?: string }) => error.code,
    );
    expect(outcome).not.toBe('enrolled');
  });
});

describe('the remote secure area over HTTP, one source address', () => {
  let issuer: Awaited<ReturnType<typeof issuerWithCards>>;
  let http: Awaited<ReturnType<typeof listenOnFreePort>>;

  beforeAll(async () => {
    issuer = await issuerWithCards('secure-area-http-attacks', []);
    http = await listenOnFreePort((request, env) => issuer.app.fetch(request, env));
  }, 120_000);
  afterAll(async () => {
    await new Promise((resolve) => http.server.close(resolve));
    await issuer.dispose();
  });

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${http.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('S5 an anonymous enrollee gets 3 RSA operations from its pending keys, whatever it sends', async () => {
    const phone = secureAreaDeviceKey();
    const enrolled = await post('/secure-area/devices', { deviceKey: phone.jwk });
    expect(enrolled.status).toBe(201);
    const deviceId = enrolled.body['deviceId'] as string;
    const session = (await post(`/secure-area/devices/${deviceId}/sessions`, {})).body as {
      sessionId: string;
      challenge: string;
    };
    const statuses: number[] = [];
    const started = performance.now();
    // 300 back to back from one address; the anonymous limit (10/s, burst 60) would stop the 61st.
    for (let sequence = 0; sequence < 300; sequence++) {
      const body = signedSecureAreaMessage(phone.privateKey, session, sequence, {
        op: 'pending-sign',
        key: (['authentication', 'signing', 'cardFace'] as const)[sequence % 3]!,
        digestInfo: sha256DigestInfo,
      });
      statuses.push((await post(`/secure-area/devices/${deviceId}/sessions/${session.sessionId}`, body)).status);
    }
    const elapsed = performance.now() - started;
    console.info(
      `S5: 300 pending-sign in ${elapsed.toFixed(0)} ms from one address: ${statuses.filter((s) => s === 200).length} answered`,
    );
    // Each pending key proves possession once: 3 RSA operations, whatever the number of messages; the
    // rest are refused before any key is opened. (Past 400 at once, the per-address bucket answers 429.)
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
  }, 120_000);
});
