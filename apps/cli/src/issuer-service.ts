import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import {
  ISSUER_REPAIR_GRACE_SECONDS,
  repairUnfinishedWork,
  sealRegistry,
  createIssuerApp,
  ISSUER_MIGRATIONS,
  pinResetAuthorityFromKey,
  PostgresStatusListener,
  type KeyCustody,
  type PinResetAuthority,
  type IssuerContext,
  type IssuerSchema,
} from '@openmyna/issuer';
import { migrate, openDatabase, type OpenedDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { kenhojoIssuer, kenkakuIssuer } from './card-face-store.js';
import { loadMdocIssuer } from './mdoc-store.js';
import { openIssuerKeys } from './issuer-keys.js';
import { loadAuthority, loadResponder, sealedFileCustody } from './pki-store.js';
import { listen, serviceAdminToken, serviceLogger, type LogDestination } from './service-runner.js';
import {
  REPAIR_INTERVAL_SECONDS,
  repeatInBackground,
  secondsFromEnvironment,
  type RepeatingTask,
} from './repair-timer.js';
import { connectSharedState } from './shared-state.js';
import { issuerRegistryKey } from './issuer-registry.js';

/** Options of {@link startIssuer}. */
export interface IssuerServiceOptions {
  readonly dataDir: string;
  /** `postgres://…` or a SQLite path; default `<data>/issuer.db`. */
  readonly db?: string;
  readonly host: string;
  readonly port: number;
  /** Reverse proxies in front whose `X-Forwarded-For` names the client (for per-source rate limits). */
  readonly trustedProxies?: readonly string[];
  /** Where logs go: `{ file }`, or standard output. */
  readonly logTo: LogDestination;
  /** `--keys`: "files" (default) or a PKCS#11 URI naming the token that holds the authority's keys. */
  readonly keys?: string;
  /** The URL clients reach the issuer by, when it is not where it listens (behind a load balancer, on a LAN). */
  readonly publicUrl?: string;
  /** `redis://…` shared by every instance (multi-instance mode, with a PostgreSQL `db`). */
  readonly redis?: string;
}

export interface RunningIssuer {
  readonly url: string;
  readonly database: OpenedDatabase<IssuerSchema>;
  readonly context: IssuerContext;
  readonly adminToken: string;
  close(): Promise<void>;
}

/**
 * The issuer's PIN-reset authorization key (ECDSA P-256, the custody's `pin-reset`; with sealed files
 * `<data>/pki/issuer/pin-reset-key.json`), created on first use. Phones pin its public key at provisioning.
 */
export async function loadPinResetAuthority(
  dataDir: string,
  issuerUrl: string,
  keys?: KeyCustody,
): Promise<PinResetAuthority> {
  const custody = keys ?? (await sealedFileCustody(dataDir, true));
  const key = (await custody.has('pin-reset'))
    ? await custody.ecKey('pin-reset')
    : await custody.createEcKey('pin-reset');
  return pinResetAuthorityFromKey(key, issuerUrl);
}

/**
 * Starts the issuing authority over the data directory's CAs: migrates the database, marks
 * certificates a crash left half-issued as abandoned, and serves the HTTP API.
 */
export async function startIssuer(options: IssuerServiceOptions): Promise<RunningIssuer> {
  // Read before anything is opened, so a wrong value leaves nothing behind.
  const repairGraceSeconds =
    secondsFromEnvironment('OPENMYNA_ISSUER_REPAIR_GRACE_SECONDS') ?? ISSUER_REPAIR_GRACE_SECONDS;
  // The one place the authority's keys are opened: every signer below comes from this custody.
  const custody = await openIssuerKeys(options.dataDir, options.keys);
  const authorities = {
    signing: await loadAuthorityWithResponder(options.dataDir, 'signing', custody, options.publicUrl),
    authentication: await loadAuthorityWithResponder(options.dataDir, 'authentication', custody, options.publicUrl),
  };
  const database = openDatabase<IssuerSchema>(options.db ?? join(options.dataDir, 'issuer.db'));
  await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
  const context: IssuerContext = {
    db: database.db,
    clock: () => new Date(),
    randomBytes: (length) => new Uint8Array(randomBytes(length)),
    registryKey: await issuerRegistryKey(options.dataDir),
  };
  // A registry written before My Numbers were sealed is converted before anything reads it.
  await sealRegistry(context);
  const logger = serviceLogger('openmyna-issuer', options.logTo);
  const repair = await startRepair(context, repairGraceSeconds, logger);
  const token = await serviceAdminToken(options.dataDir, 'issuer', 'OPENMYNA_ADMIN_TOKEN');
  const statusChanges = await listenForStatusChanges(database, options.db, logger);
  const shared = await connectSharedState(options.redis, logger);
  // Every URL handed out (status list, PIN-reset issuer, new mdoc certificates) is the public URL, by
  // default where this instance listens, known once the port is bound.
  const server = await listen(options.host, options.port, undefined, undefined, options.trustedProxies);
  const url = options.publicUrl ?? server.url;
  const app = createIssuerApp({
    context,
    authorities,
    cardFace: {
      kenhojo: oncePerMunicipality((code) => kenhojoIssuer(options.dataDir, code, custody)),
      kenkaku: oncePerMunicipality((code) => kenkakuIssuer(options.dataDir, code, custody)),
    },
    mdoc: {
      documentSigner: (await loadMdocIssuer(options.dataDir, url, new Date(), custody)).documentSigner,
      statusListUri: `${url}/mdoc/status/1`,
    },
    pinResetAuthority: await loadPinResetAuthority(options.dataDir, url, custody),
    adminToken: token,
    logger,
    ...(statusChanges ? { statusChanges } : {}),
    ...(shared ? { rateLimits: shared.rateLimits } : {}),
  });
  server.setHandler((request, env) => app.fetch(request, env));
  return {
    url: server.url,
    database,
    context,
    adminToken: token,
    close: async () => {
      await server.close();
      await repair.stop();
      await statusChanges?.close();
      shared?.close();
      await database.close();
      await custody.close();
      logger.flush();
    },
  };
}

/**
 * Ends the work dead instances left half done — a certificate still `prepared` (a process died between
 * storing and recording it), a phone still `provisioning`, an MSO batch still `issuing` — once it is
 * older than the grace (OPENMYNA_ISSUER_REPAIR_GRACE_SECONDS, default {@link ISSUER_REPAIR_GRACE_SECONDS}),
 * so a live instance's work in progress is left alone: now, and every {@link REPAIR_INTERVAL_SECONDS}.
 */
async function startRepair(
  context: IssuerContext,
  graceSeconds: number,
  logger: ReturnType<typeof serviceLogger>,
): Promise<RepeatingTask> {
  const run = async () => {
    const { certificates, revokedSerials } = await repairUnfinishedWork(context, graceSeconds);
    if (certificates > 0 || revokedSerials.length > 0)
      logger.warn({ certificates, revoked: revokedSerials.length }, 'ended work an interrupted issuer left unfinished');
  };
  await run();
  const intervalSeconds = Math.max(1, Math.min(REPAIR_INTERVAL_SECONDS, graceSeconds));
  return repeatInBackground(intervalSeconds, run, (error) =>
    logger.warn({ code: (error as { code?: unknown }).code }, 'repair of unfinished work failed; retrying later'),
  );
}

/**
 * On PostgreSQL, where other instances may share the registry: the status changes every instance makes,
 * so this one's OCSP answers, CRLs and status list never outlive them (docs/operations.md).
 */
async function listenForStatusChanges(
  database: OpenedDatabase<IssuerSchema>,
  url: string | undefined,
  logger: ReturnType<typeof serviceLogger>,
): Promise<PostgresStatusListener | undefined> {
  if (database.engine !== 'postgres' || !url) return undefined;
  const listener = new PostgresStatusListener({
    url,
    onError: (error) =>
      logger.warn(
        { code: (error as { code?: unknown }).code },
        'status change listener lost or unreachable; serving without caches until it listens again',
      ),
  });
  await listener.start();
  return listener;
}

/**
 * A municipality's card-face issuer, opened once for the process's life (as the JPKI CAs are): opening
 * a sealed key runs PBKDF2 over 600,000 iterations, about 0.1 s, which on every provisioning was most
 * of its cost (docs/capacity.md). An opening that fails is forgotten, so the next one tries again.
 */
function oncePerMunicipality<T>(open: (code: string) => Promise<T>): (code: string) => Promise<T> {
  const opened = new Map<string, Promise<T>>();
  return (code) => {
    let issuer = opened.get(code);
    if (!issuer) {
      issuer = open(code);
      opened.set(code, issuer);
      issuer.catch(() => opened.delete(code));
    }
    return issuer;
  };
}

export async function loadAuthorityWithResponder(
  dataDir: string,
  hierarchy: 'signing' | 'authentication',
  keys?: KeyCustody,
  publicUrl?: string,
) {
  const custody = keys ?? (await sealedFileCustody(dataDir));
  const responder = await loadResponder(dataDir, hierarchy, custody);
  return {
    ca: await loadAuthority(dataDir, hierarchy, custody, publicUrl),
    responderCertificate: responder.certificate,
    responderSigner: responder.signer,
  };
}
