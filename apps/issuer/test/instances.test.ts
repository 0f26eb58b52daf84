import type { AddressInfo } from 'node:net';

import { serve, type ServerType } from '@hono/node-server';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { redisTokenBuckets } from '@openmyna/service';
import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import {
  makeCardFaceIssuers,
  makeIssuerAuthorities,
  makePinResetAuthority,
  testRandom,
  TEST_REGISTRY_KEY,
} from '../../../test-support/issuer-fixtures.js';
import { makeMdocHierarchy } from '../../../test-support/mdoc-fixtures.js';
import { testRedis, type TestRedis } from '../../../test-support/redis.js';
import { createIssuerApp } from '../src/http/app.js';
import { ISSUER_MIGRATIONS, type IssuerSchema } from '../src/index.js';

/*
 * Two issuer instances on one PostgreSQL and one Redis (issue 20): the per-source limit of the
 * holder's endpoints is one budget, whichever instance a request reaches.
 */

describe('two issuer instances sharing PostgreSQL and Redis', () => {
  let database: TestDatabase<IssuerSchema>;
  let redis: TestRedis;
  const servers: ServerType[] = [];
  const bases: string[] = [];

  beforeAll(async () => {
    const now = new Date();
    database = await testDatabase<IssuerSchema>('postgres');
    await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
    redis = await testRedis();
    const authorities = await makeIssuerAuthorities(now);
    const { cardFace } = await makeCardFaceIssuers();
    const { documentSigner } = await makeMdocHierarchy(nodeMdocCrypto, { now });
    const pinResetAuthority = await makePinResetAuthority();
    for (let index = 0; index < 2; index++) {
      const app = createIssuerApp({
        context: { db: database.db, clock: () => new Date(), randomBytes: testRandom, registryKey: TEST_REGISTRY_KEY },
        authorities,
        cardFace,
        mdoc: { documentSigner, statusListUri: 'http://127.0.0.1/mdoc/status/1' },
        pinResetAuthority,
        adminToken: 'instances-admin-token',
        logger: pino({ level: 'silent' }),
        // One token back every 1000 s: only the burst passes while the test runs.
        anonymousRateLimit: { perSecond: 0.001, capacity: 20 },
        rateLimits: redisTokenBuckets(redis.redis, redis.prefix),
      });
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      servers.push(server);
      bases.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  }, 60_000);
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await redis?.dispose();
    await database?.dispose();
  });

  it('lets 20 of 30 anonymous provisioning sessions through across both instances, not 20 each', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 30; index++)
      statuses.push((await fetch(`${bases[index % 2]}/provisioning/sessions`, { method: 'POST' })).status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10);
    const rows = await database.db
      .selectFrom('provisioning_sessions')
      .select(({ fn }) => fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(20);
  });
});
