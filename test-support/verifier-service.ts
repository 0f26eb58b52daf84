import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { serve, type ServerType } from '@hono/node-server';
import { statusListChecker } from '@openmyna/mdoc';
import { MdocRelay, nodeMdocCrypto, nodeRelayTransport, type RelaySessions } from '@openmyna/mdoc/node';
import { trustAnchor } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { migrate, type Engine } from '@openmyna/storage';
import type { TokenBucketFactory } from '@openmyna/service';
import { jpkiRevocation, OPENMYNA_POLICY_OIDS } from '@openmyna/verifier';
import {
  createVerifierApp,
  VERIFIER_MIGRATIONS,
  WebhookDispatcher,
  type VerifierContext,
  type VerifierSchema,
} from '@openmyna/verifier-service';
import type { Kysely } from 'kysely';
import pino from 'pino';

import { testDatabase, type TestDatabase } from './databases.js';
import { testRandom } from './issuer-fixtures.js';
import type { issuerWithCards } from './verifier-fixtures.js';

export const VERIFIER_ADMIN = 'verifier-admin-token';

/** A relying party's API key and ids, as registration answers them. */
export interface DemoKeys {
  apiKey: string;
  clientId: string;
  id: string;
}

/** The two demo relying parties: a securities firm (個人番号関係事務) and a shop (no My Number). */
export type DemoParty = 'securities' | 'shop';

/** Serves a fetch handler on 127.0.0.1 at a free port. */
export async function listenOnFreePort(
  handle: (request: Request, env: object | undefined) => Response | Promise<Response>,
): Promise<{ server: ServerType; base: string }> {
  const server = serve({ fetch: handle, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * The verifier service over HTTP on a free port, trusting `issuer`'s hierarchies (revocation and status
 * lists through the issuer's in-process fetch), with its in-person relay, and the two demo relying
 * parties registered. Logs and webhooks are collected for the tests to read.
 */
export async function startVerifierService(
  issuer: Awaited<ReturnType<typeof issuerWithCards>>,
  engine: Engine,
  options: {
    clock?: () => Date;
    rateLimit?: { perSecond: number; capacity: number };
    /** Where wallets reach the service, when a proxy stands in front of it. */
    publicUrl?: string;
    /** Where the rate limits' buckets live (default memory). */
    rateLimits?: TokenBucketFactory;
    /** Where relay sessions live (default memory). */
    relaySessions?: RelaySessions;
    /** Another instance of the same service: its database and relying parties, and its relay's address as one of ours. */
    twin?: { database: TestDatabase<VerifierSchema>; keys: Record<DemoParty, DemoKeys>; relayUrl: string };
  } = {},
) {
  const state = { clock: options.clock ?? (() => new Date()) };
  const now = () => state.clock();
  const database: TestDatabase<VerifierSchema> = options.twin?.database ?? (await testDatabase<VerifierSchema>(engine));
  if (!options.twin) await migrate(database.db as Kysely<unknown>, database.engine, VERIFIER_MIGRATIONS);
  const context: VerifierContext = { db: database.db, clock: now, randomBytes: testRandom };
  const logs: string[] = [];
  const webhooks: { url: string; body: string; idempotencyKey: string | null }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  // Woken by each event the service writes, never polling: the test's clock may stand still.
  const dispatcher = new WebhookDispatcher({
    context,
    engine: database.engine,
    logger,
    scheduler: { schedule: () => () => undefined },
    fetch: ((url: string, init?: { body?: string; headers?: Record<string, string> }) => {
      webhooks.push({ url, body: init?.body ?? '', idempotencyKey: init?.headers?.['idempotency-key'] ?? null });
      return Promise.resolve(new Response(null, { status: 204 }));
    }) as typeof fetch,
  });
  const relay = new MdocRelay(options.relaySessions ? { sessions: options.relaySessions } : {});
  let handle: (request: Request, env: object | undefined) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  const { server, base } = await listenOnFreePort((request, env) => handle(request, env));
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!relay.handleUpgrade(request, socket, head)) socket.destroy();
  });
  const makeApp = (rateLimit?: { perSecond: number; capacity: number }) =>
    createVerifierApp({
      context,
      publicUrl: options.publicUrl ?? base,
      sealingKey: new Uint8Array(32).fill(7),
      readerAuthority: { key: issuer.authorities.mdoc.readerCa.key, anchor: issuer.authorities.mdoc.readerCa.anchor },
      mdoc: {
        issuerAnchors: [issuer.authorities.mdoc.iaca.anchor],
        status: statusListChecker({
          fetch: (url, init) => issuer.issuerFetch(url, init),
          anchors: [issuer.authorities.mdoc.iaca.anchor],
          crypto: nodeMdocCrypto,
          clock: now,
        }),
      },
      jpki: {
        anchors: {
          signing: [trustAnchor(issuer.authorities.jpki.signing.ca.certificate)],
          authentication: [trustAnchor(issuer.authorities.jpki.authentication.ca.certificate)],
        },
        policies: OPENMYNA_POLICY_OIDS,
        revocation: jpkiRevocation({ fetch: issuer.issuerFetch, clock: now, backend: nodeCryptoBackend }),
        clock: now,
        backend: nodeCryptoBackend,
      },
      kenhojoCaKeys: issuer.authorities.caKeys,
      proximity: {
        relayUrls: [`${base.replace(/^http/, 'ws')}/relay`, ...(options.twin ? [options.twin.relayUrl] : [])],
        connect: (session) => nodeRelayTransport(`${base.replace(/^http/, 'ws')}/relay/${session}`),
      },
      adminToken: VERIFIER_ADMIN,
      logger,
      webhooks: dispatcher,
      // A benchmark that raises the API-key limit makes its answers from one address too.
      ...(rateLimit ? { rateLimit, anonymousRateLimit: rateLimit } : {}),
      ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    });
  const app = makeApp(options.rateLimit);
  handle = (request, env) => app.fetch(request, env);
  const keys = options.twin?.keys ?? ({} as Record<DemoParty, DemoKeys>);
  for (const [name, purpose] of options.twin
    ? []
    : ([
        ['securities', 'kojin-bango-kankei-jimu'],
        ['shop', 'none'],
      ] as const)) {
    const response = await fetch(`${base}/admin/relying-parties`, {
      method: 'POST',
      headers: { authorization: `Bearer ${VERIFIER_ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `${name} 株式会社`,
        myNumberPurpose: purpose,
        webhookUrl: `https://${name}.example/hook`,
      }),
    });
    if (response.status !== 201) throw new Error(`registering ${name}: ${await response.text()}`);
    keys[name] = (await response.json()) as { apiKey: string; clientId: string; id: string };
  }
  /** A call with a relying party's API key. */
  const rp = (who: DemoParty, path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${keys[who].apiKey}`, 'content-type': 'application/json', ...init.headers },
    });
  return {
    base,
    relayUrl: `${base.replace(/^http/, 'ws')}/relay`,
    database,
    context,
    keys,
    rp,
    logs,
    webhooks,
    /** Resolves once every webhook event written so far has had its attempt. */
    webhooksSent: () => dispatcher.idle(),
    makeApp,
    setClock: (clock: () => Date) => {
      state.clock = clock;
    },
    dispose: async () => {
      await relay.close();
      await new Promise((resolve) => server.close(resolve));
      await dispatcher.close();
      if (!options.twin) await database.dispose();
    },
  };
}
