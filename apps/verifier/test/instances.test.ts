import { createDeviceResponse, decodeIssuedMdoc, JP_NAMESPACE, MdocHolderSession } from '@openmyna/mdoc';
import { newRelaySessionId, nodeMdocCrypto, nodeRelayTransport, RedisRelaySessions } from '@openmyna/mdoc/node';
import { base64ToBytes } from '@openmyna/pki';
import { connectRedis, redisTokenBuckets } from '@openmyna/service';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { startOwnRedisServer, testRedis, type TestRedis } from '../../../test-support/redis.js';
import { issuerWithPhones } from '../../../test-support/verifier-fixtures.js';
import { startVerifierService } from '../../../test-support/verifier-service.js';

/*
 * Two verifier instances on one PostgreSQL and one Redis (issue 20), as behind a round-robin load
 * balancer: one in-person session with the phone on one instance and the relying party on the other,
 * and one API-key budget for both (two instances let 98 of 120 requests through where one let 41).
 */

type Service = Awaited<ReturnType<typeof startVerifierService>>;

describe('two verifier instances sharing PostgreSQL and Redis', () => {
  let issuer: Awaited<ReturnType<typeof issuerWithPhones>>;
  let redis: TestRedis;
  let a: Service;
  let b: Service;
  const connections: { disconnect(): void }[] = [];

  beforeAll(async () => {
    issuer = await issuerWithPhones('instances', [2]);
    redis = await testRedis();
    const instance = async (twin?: Service) => {
      // Each instance has its own connections, as separate processes would.
      const connection = redis.redis.duplicate();
      await connection.connect();
      connections.push(connection);
      return startVerifierService(issuer, 'postgres', {
        rateLimits: redisTokenBuckets(connection, redis.prefix),
        relaySessions: await RedisRelaySessions.connect(connection, { prefix: redis.prefix }),
        ...(twin ? { twin: { database: twin.database, keys: twin.keys, relayUrl: twin.relayUrl } } : {}),
      });
    };
    a = await instance();
    b = await instance(a);
  }, 90_000);
  afterAll(async () => {
    await b?.dispose();
    await a?.dispose();
    for (const connection of connections) connection.disconnect();
    await redis?.dispose();
    await issuer?.dispose();
  });

  it('verifies an in-person presentation with the phone on one instance and the relying party on the other', async () => {
    const phone = issuer.phones[0]!;
    const session = newRelaySessionId();
    const holder = await MdocHolderSession.create({ crypto: nodeMdocCrypto, relay: { url: a.relayUrl, session } });
    const channel = await nodeRelayTransport(`${a.relayUrl}/${session}`);
    const answered = (async () => {
      const { deviceRequest, transcript } = await holder.receiveRequest(channel);
      const asked = deviceRequest.docRequests[0]!.itemsRequest.nameSpaces;
      const response = await createDeviceResponse({
        issued: decodeIssuedMdoc(base64ToBytes(phone.bundle.mdoc)),
        release: new Map([...asked].map(([nameSpace, items]) => [nameSpace, new Set(items.keys())])),
        sessionTranscript: transcript,
        deviceKey: phone.device,
        mode: { type: 'signature' },
        crypto: nodeMdocCrypto,
      });
      await holder.sendResponse(channel, response);
    })();
    const started = await b.rp('shop', '/v1/proximity-sessions', {
      method: 'POST',
      body: JSON.stringify({
        engagement: holder.uri,
        elements: [{ nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode' }],
      }),
    });
    expect(started.status, await started.clone().text()).toBe(201);
    const { id } = (await started.json()) as { id: string };
    await answered;
    // Either instance reads the result (one database).
    const done = await vi.waitFor(
      async () => {
        const view = (await (await a.rp('shop', `/v1/proximity-sessions/${id}`)).json()) as {
          status: string;
          result?: { status: string };
          claims?: Record<string, Record<string, unknown>>;
        };
        expect(view.status).not.toBe('pending');
        return view;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(done.result?.status).toBe('valid');
    expect(typeof done.claims?.[JP_NAMESPACE]?.['full_name_unicode']).toBe('string');
    await channel.close();
  });

  it('spends one API-key budget across both instances', async () => {
    const budget = { perSecond: 0.001, capacity: 40 };
    const apps = [a.makeApp(budget), b.makeApp(budget)];
    const statuses: number[] = [];
    for (let index = 0; index < 120; index++) {
      const response = await apps[index % 2]!.request('/v1/jpki/login/challenges', {
        method: 'POST',
        headers: { authorization: `Bearer ${a.keys.securities.apiKey}` },
      });
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // One token comes back every 1000 s: the 40 of the burst pass, whichever instance is asked.
    expect(statuses.filter((status) => status === 201)).toHaveLength(40);
    expect(statuses.filter((status) => status === 429)).toHaveLength(80);
  });
});

describe('a verifier whose Redis goes away', () => {
  it('answers 503 in the envelope while Redis is unreachable (fail closed), and limits again once it is back', async () => {
    const issuer = await issuerWithPhones('redis-down', [3]);
    const server = await startOwnRedisServer();
    const warnings: Error[] = [];
    const connection = await connectRedis(server.url, { onError: (error) => warnings.push(error) });
    const service = await startVerifierService(issuer, 'postgres', { rateLimits: redisTokenBuckets(connection) });
    try {
      const app = service.makeApp({ perSecond: 0.001, capacity: 1 });
      const call = () =>
        app.request('/v1/jpki/login/challenges', {
          method: 'POST',
          headers: { authorization: `Bearer ${service.keys.shop.apiKey}` },
        });
      expect((await call()).status).toBe(201);
      await server.stop();
      // The API-key budget in process, and a wrong admin token over HTTP (failures are counted per address).
      const answers = [
        await call(),
        await fetch(`${service.base}/admin/relying-parties`, { headers: { authorization: 'Bearer wrong' } }),
      ];
      for (const response of answers)
        expect([response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([
          503,
          'ERR_UNAVAILABLE',
        ]);
      // Restarted empty: the buckets start full again.
      await server.start();
      await vi.waitFor(() => expect(connection.status).toBe('ready'), { timeout: 10_000 });
      expect([(await call()).status, (await call()).status]).toEqual([201, 429]);
    } finally {
      await service.dispose();
      connection.disconnect();
      await server.stop();
      await issuer.dispose();
    }
  });
});
