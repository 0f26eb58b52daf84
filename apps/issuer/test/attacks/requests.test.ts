import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

import { serve, type ServerType } from '@hono/node-server';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, testDatabase, type TestDatabase } from '../../../../test-support/databases.js';
import {
  makeCardFaceIssuers,
  makeIssuerAuthorities,
  makePinResetAuthority,
  personCreateBody,
  registryPerson,
  testRandom,
  TEST_REGISTRY_KEY,
} from '../../../../test-support/issuer-fixtures.js';
import { makeMdocHierarchy } from '../../../../test-support/mdoc-fixtures.js';
import { countStatuses, fuzzEveryRoute, openApiRoutes } from '../../../../test-support/route-fuzz.js';
import { createIssuerApp } from '../../src/http/app.js';
import { ISSUER_MIGRATIONS, type IssuerSchema } from '../../src/index.js';

/*
 * Hostile requests to the issuer (issue 17), over HTTP on both engines: each answered 500 or was not
 * limited before.
 */

const TOKEN = 'attacks-admin-token';

describe.each(ENGINES)('the issuer under hostile requests on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let server: ServerType;
  let base: string;
  let app: ReturnType<typeof createIssuerApp>;

  beforeAll(async () => {
    const now = new Date();
    database = await testDatabase<IssuerSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
    app = createIssuerApp({
      context: { db: database.db, clock: () => new Date(), randomBytes: testRandom, registryKey: TEST_REGISTRY_KEY },
      authorities: await makeIssuerAuthorities(now),
      cardFace: (await makeCardFaceIssuers()).cardFace,
      mdoc: {
        documentSigner: (await makeMdocHierarchy(nodeMdocCrypto, { now })).documentSigner,
        statusListUri: 'http://127.0.0.1/mdoc/status/1',
      },
      pinResetAuthority: await makePinResetAuthority(),
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      anonymousRateLimit: { perSecond: 0.01, capacity: 20 },
    });
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await database.dispose();
  });

  const admin = (path: string, body: string, type = 'application/json') =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, ...(type ? { 'content-type': type } : {}) },
      body,
    });
  const personBody = (changes: Record<string, unknown> = {}) =>
    JSON.stringify({
      ...personCreateBody(registryPerson('issuer-attacks', 3).input, { birthDate: '1980-02-17' }),
      ...changes,
    });
  const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

  it('answers client errors with 400 in the envelope, never 500', async () => {
    const cases: [string, Response][] = [
      ['malformed JSON', await admin('/admin/persons', '{"name":')],
      ['a wrong content-type', await admin('/admin/persons', personBody(), 'text/plain')],
      ['no content-type', await admin('/admin/persons', personBody(), '')],
      ['an impossible birth date', await admin('/admin/persons', personBody({ birthDate: '9999-99-99' }))],
      ['a NUL in the name', await admin('/admin/persons', personBody({ name: '番号\u0000花子' }))],
      ['an unpaired surrogate', await admin('/admin/persons', personBody({ address: 'x\ud800' }))],
      ['deep nesting', await admin('/admin/persons', '['.repeat(5000) + ']'.repeat(5000))],
    ];
    for (const [what, response] of cases) {
      expect(response.status, what).toBe(400);
      expect(await codeOf(response), what).toBe('ERR_VALIDATION');
    }
    const date = await admin('/admin/persons', personBody({ birthDate: '9999-99-99' }));
    expect(((await date.json()) as { error: { message: string } }).error.message).toContain('birthDate');
  });

  it('refuses a body over 1 MiB with 413 before reading it all', async () => {
    // On a connection of its own: the service answers and closes it while the body is still coming.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${base}/admin/persons`, {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      });
      request.on('error', reject);
      request.end(personBody({ photo: 'A'.repeat(2 * 1024 * 1024) }));
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ERR_BODY_TOO_LARGE' } });
  });

  it('limits anonymous provisioning sessions per source, with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${base}/provisioning/sessions`, { method: 'POST' });
      statuses.push(response.status);
      if (response.status === 429) retryAfter ??= response.headers.get('retry-after');
    }
    expect(statuses.filter((status) => status === 429)).toHaveLength(10);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const rows = await database.db
      .selectFrom('provisioning_sessions')
      .select(({ fn }) => fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(20);
  });

  it('decides every request to every route — random bodies, headers, credentials, replays — and never crashes', async () => {
    const created = await admin('/admin/persons', personBody());
    expect(created.status, await created.clone().text()).toBe(201);
    const personId = ((await created.json()) as { id: string }).id;
    const statuses = await fuzzEveryRoute({
      fetch: (request) => app.fetch(request),
      routes: [
        ...(await openApiRoutes((request) => app.fetch(request))),
        'GET /mdoc/status/1',
        'POST /ocsp/signing',
        'GET /ocsp/{hierarchy}/{request}',
      ],
      ids: [personId, 'signing', 'authentication', '13101.crl'],
      credentials: [undefined, 'Bearer wrong', 'Basic eDp5', ...Array<string>(3).fill(`Bearer ${TOKEN}`)],
      samples: { 'POST /admin/persons': JSON.parse(personBody()) as Record<string, unknown> },
    });
    // The fuzzer reached past the guards: some requests were accepted, most refused as the client's fault.
    const count = (test: (status: number) => boolean) => countStatuses(statuses, test);
    expect(count((status) => status < 300)).toBeGreaterThan(0);
    expect(count((status) => status >= 400 && status < 500)).toBeGreaterThan(count(() => true) / 2);
  }, 120_000);
});
