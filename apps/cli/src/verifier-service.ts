import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { mdocTrustAnchor, statusListChecker } from '@openmyna/mdoc';
import { MdocRelay, nodeMdocCrypto, nodeRelayTransport } from '@openmyna/mdoc/node';
import { derFromPemOrDer, trustAnchor } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { migrate, openDatabase, type OpenedDatabase } from '@openmyna/storage';
import type { TokenBucketOptions } from '@openmyna/service';
import { jpkiRevocation } from '@openmyna/verifier';
import {
  createVerifierApp,
  RELAY_INTERNAL_HEADER,
  relayUpgradeLimit,
  repairInterruptedPresentations,
  VERIFIER_MIGRATIONS,
  WebhookDispatcher,
  type VerifierContext,
  type VerifierSchema,
} from '@openmyna/verifier-service';
import type { Kysely } from 'kysely';

import { cardFaceCaKeys } from './card-face-store.js';
import { loadReaderAuthority } from './mdoc-store.js';
import { hierarchyPolicies, pkiDir } from './pki-store.js';
import { listen, serviceAdminToken, serviceLogger, serviceSealingKey, type LogDestination } from './service-runner.js';
import {
  REPAIR_INTERVAL_SECONDS,
  repeatInBackground,
  secondsFromEnvironment,
  type RepeatingTask,
} from './repair-timer.js';
import { connectSharedState, type SharedState } from './shared-state.js';

/** Options of {@link startVerifier}. */
export interface VerifierServiceOptions {
  readonly dataDir: string;
  /** `postgres://…` or a SQLite path; default `<data>/verifier.db`. */
  readonly db?: string;
  readonly host: string;
  readonly port: number;
  /** Reverse proxies in front whose `X-Forwarded-For` names the client (for per-source rate limits). */
  readonly trustedProxies?: readonly string[];
  readonly logTo: LogDestination;
  /** The URL wallets reach this service by, when it is not where it listens (behind a proxy). */
  readonly publicUrl?: string;
  /** `redis://…` shared by every instance (multi-instance mode, with a PostgreSQL `db`). */
  readonly redis?: string;
  /**
   * How long a definite OCSP answer is reused (default 60 s, or OPENMYNA_VERIFIER_OCSP_CACHE_SECONDS;
   * 0: ask the issuer every time, so a revocation counts at once).
   */
  readonly ocspCacheSeconds?: number;
  /** Relay upgrades per source address (default `RELAY_UPGRADE_LIMIT`: 60 at once, one a second). */
  readonly relayUpgradeLimit?: TokenBucketOptions;
}

export interface RunningVerifier {
  readonly url: string;
  readonly database: OpenedDatabase<VerifierSchema>;
  readonly context: VerifierContext;
  readonly adminToken: string;
  close(): Promise<void>;
}

async function readCertificate(path: string, hint: string): Promise<Uint8Array> {
  try {
    return derFromPemOrDer(new Uint8Array(await readFile(path)), 'CERTIFICATE');
  } catch (error) {
    throw new Error(`${path} cannot be read: ${hint}`, { cause: error });
  }
}

/**
 * Starts the verifier service over the data directory: it trusts the JPKI roots and the mdoc IACA
 * there (revocation by the OCSP, CRL and status-list URLs the credentials name), certifies relying
 * parties with the reader CA (created on first use), relays in-person sessions at `/relay/<id>`, and
 * serves the HTTP API.
 */
export async function startVerifier(options: VerifierServiceOptions): Promise<RunningVerifier> {
  const trust = await loadVerifierTrust(options.dataDir);
  const cacheSeconds =
    options.ocspCacheSeconds ??
    secondsFromEnvironment('OPENMYNA_VERIFIER_OCSP_CACHE_SECONDS', ' (0 turns the cache off)');
  const signTransactionSeconds = secondsFromEnvironment('OPENMYNA_VERIFIER_SIGN_TRANSACTION_SECONDS');
  const database = openDatabase<VerifierSchema>(options.db ?? join(options.dataDir, 'verifier.db'));
  await migrate(database.db as Kysely<unknown>, database.engine, VERIFIER_MIGRATIONS);
  const context: VerifierContext = {
    db: database.db,
    clock: () => new Date(),
    randomBytes: (length) => new Uint8Array(randomBytes(length)),
  };
  const logger = serviceLogger('openmyna-verifier', options.logTo);
  const repair = await startPresentationRepair(context, logger);

  const token = await serviceAdminToken(options.dataDir, 'verifier', 'OPENMYNA_VERIFIER_ADMIN_TOKEN');
  // With --redis, relay sessions and rate limits are shared by every instance behind the load balancer.
  const shared = await connectSharedState(options.redis, logger);
  const { relay, relayToken } = await createRelay(options, shared);
  // Every instance sends webhooks from the shared outbox; a lease keeps two from sending one at once.
  const webhooks = new WebhookDispatcher({ context, engine: database.engine, logger });
  const server = await listen(
    options.host,
    options.port,
    (request, socket, head) => relay.handleUpgrade(request, socket, head),
    undefined,
    options.trustedProxies,
  );
  const app = createVerifierApp({
    context,
    publicUrl: options.publicUrl ?? server.url,
    sealingKey: await serviceSealingKey(options.dataDir, 'verifier', 'OPENMYNA_VERIFIER_SEALING_KEY'),
    readerAuthority: await loadReaderAuthority(options.dataDir, options.publicUrl ?? server.url),
    mdoc: {
      issuerAnchors: [trust.iaca],
      status: statusListChecker({ fetch, anchors: [trust.iaca], crypto: nodeMdocCrypto, clock: context.clock }),
    },
    jpki: await jpkiTrust(options.dataDir, trust, context.clock, cacheSeconds),
    kenhojoCaKeys: await cardFaceCaKeys(options.dataDir),
    proximity: proximityOf(server.url, options.publicUrl, relayToken),
    adminToken: token,
    logger,
    webhooks,
    ...(shared ? { rateLimits: shared.rateLimits } : {}),
    ...(signTransactionSeconds === undefined ? {} : { oidc: { signTransactionSeconds } }),
  });
  server.setHandler((request, env) => app.fetch(request, env));
  webhooks.start();
  const close = async () => {
    await relay.close();
    await server.close();
    await repair.stop();
    await webhooks.close();
    shared?.close();
    await database.close();
    logger.flush();
  };
  return { url: server.url, database, context, adminToken: token, close };
}

type VerifierAppOptions = Parameters<typeof createVerifierApp>[0];

/**
 * The in-person relay, its sessions shared through `--redis` when given, its upgrades limited per
 * source address by the verifier's token buckets (in Redis too, one budget for every instance). The
 * service's own reader joins from the service's own address: it shows `relayToken` and is not counted.
 */
async function createRelay(
  options: VerifierServiceOptions,
  shared: SharedState | undefined,
): Promise<{ relay: MdocRelay; relayToken: string }> {
  const relayToken = randomBytes(16).toString('base64url');
  const relay = new MdocRelay({
    ...(shared ? { sessions: await shared.relaySessions() } : {}),
    ...relayUpgradeLimit({
      ...(shared ? { rateLimits: shared.rateLimits } : {}),
      ...(options.relayUpgradeLimit ? { limit: options.relayUpgradeLimit } : {}),
      ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
      internalToken: relayToken,
    }),
  });
  return { relay, relayToken };
}

/** The JPKI roots and the mdoc IACA of the data directory. */
async function loadVerifierTrust(dataDir: string) {
  const hint = 'run `openmyna sandbox up` (or `openmyna pki init` and the issuer) first';
  return {
    signing: [trustAnchor(await readCertificate(join(pkiDir(dataDir), 'signing', 'ca.pem'), hint))],
    authentication: [trustAnchor(await readCertificate(join(pkiDir(dataDir), 'authentication', 'ca.pem'), hint))],
    iaca: mdocTrustAnchor(await readCertificate(join(pkiDir(dataDir), 'mdoc', 'iaca.pem'), hint)),
  };
}

/** JPKI verification: the roots, the policies of the data directory, OCSP then CRL revocation. */
async function jpkiTrust(
  dataDir: string,
  trust: Awaited<ReturnType<typeof loadVerifierTrust>>,
  clock: () => Date,
  cacheSeconds: number | undefined,
): Promise<VerifierAppOptions['jpki']> {
  return {
    anchors: { signing: trust.signing, authentication: trust.authentication },
    policies: await hierarchyPolicies(dataDir),
    revocation: jpkiRevocation({
      fetch,
      clock,
      backend: nodeCryptoBackend,
      ...(cacheSeconds === undefined ? {} : { cacheSeconds }),
    }),
    clock,
    backend: nodeCryptoBackend,
  };
}

/**
 * At a counter the service is the reader: it joins the phone's session on its own relay, named in
 * the engagement by this address or, behind a proxy, by the public one.
 */
function proximityOf(
  serverUrl: string,
  publicUrl: string | undefined,
  relayToken: string,
): NonNullable<VerifierAppOptions['proximity']> {
  return {
    relayUrls: [...new Set([serverUrl, publicUrl ?? serverUrl])].map((base) => `${base.replace(/^http/, 'ws')}/relay`),
    connect: (session) =>
      nodeRelayTransport(`${serverUrl.replace(/^http/, 'ws')}/relay/${session}`, {
        headers: { [RELAY_INTERNAL_HEADER]: relayToken },
      }),
  };
}

/**
 * Fails the presentations a dead verifier left `processing`, once PROCESSING_GRACE_SECONDS past their
 * expiry: now, and every REPAIR_INTERVAL_SECONDS in every instance (a survivor repairs a dead one's).
 */
async function startPresentationRepair(
  context: VerifierContext,
  logger: ReturnType<typeof serviceLogger>,
): Promise<RepeatingTask> {
  const repairOnce = async () => {
    const repaired = await repairInterruptedPresentations(context);
    if (repaired > 0) logger.warn({ repaired }, 'failed presentations left processing by an interrupted verifier');
  };
  await repairOnce();
  return repeatInBackground(REPAIR_INTERVAL_SECONDS, repairOnce, (error) =>
    logger.warn(
      { code: (error as { code?: unknown }).code },
      'repair of interrupted presentations failed; retrying later',
    ),
  );
}
