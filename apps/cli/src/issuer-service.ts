import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import {
  abandonUnfinished,
  abandonUnfinishedProvisioning,
  sealRegistry,
  createIssuerApp,
  ISSUER_MIGRATIONS,
  pinResetAuthorityFromJwk,
  type PinResetAuthority,
  type IssuerContext,
  type IssuerSchema,
} from '@openmyna/issuer';
import { openWithPassphrase, sealWithPassphrase, type PassphraseBox } from '@openmyna/pki';
import { migrate, openDatabase, type OpenedDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { kenhojoIssuer, kenkakuIssuer } from './card-face-store.js';
import { loadMdocIssuer } from './mdoc-store.js';
import { loadAuthority, loadResponder, passphrase, pkiDir, readJson, writeAtomically } from './pki-store.js';
import { listen, serviceAdminToken, serviceLogger, type LogDestination } from './service-runner.js';
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
}

export interface RunningIssuer {
  readonly url: string;
  readonly database: OpenedDatabase<IssuerSchema>;
  readonly context: IssuerContext;
  readonly adminToken: string;
  close(): Promise<void>;
}

/**
 * The issuer's PIN-reset authorization key (ECDSA P-256) at `<data>/pki/issuer/pin-reset-key.json`,
 * sealed with the CA passphrase, created on first use. Phones pin its public key at provisioning.
 */
export async function loadPinResetAuthority(dataDir: string, issuerUrl: string): Promise<PinResetAuthority> {
  const secret = await passphrase(dataDir, true);
  const path = join(pkiDir(dataDir), 'issuer', 'pin-reset-key.json');
  const associatedData = new TextEncoder().encode('openmyna issuer pin-reset');
  let sealed = await readJson<{ key: PassphraseBox }>(path);
  if (!sealed) {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    sealed = {
      key: await sealWithPassphrase(new TextEncoder().encode(JSON.stringify(jwk)), secret, { associatedData }),
    };
    await mkdir(join(pkiDir(dataDir), 'issuer'), { recursive: true });
    await writeAtomically(path, JSON.stringify(sealed, null, 2) + '\n');
    await chmod(path, 0o600);
  }
  const jwk = JSON.parse(
    new TextDecoder().decode(await openWithPassphrase(sealed.key, secret, associatedData)),
  ) as JsonWebKey;
  return pinResetAuthorityFromJwk(jwk, issuerUrl);
}

/**
 * Starts the issuing authority over the data directory's CAs: migrates the database, marks
 * certificates a crash left half-issued as abandoned, and serves the HTTP API.
 */
export async function startIssuer(options: IssuerServiceOptions): Promise<RunningIssuer> {
  const authorities = {
    signing: await loadAuthorityWithResponder(options.dataDir, 'signing'),
    authentication: await loadAuthorityWithResponder(options.dataDir, 'authentication'),
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
  // Any certificate still `prepared` now was left by a process that died between storing and recording;
  // any phone still `provisioning`, by one that died before it was active: it ends with what it was issued.
  await abandonUnfinished(context, new Date());
  await abandonUnfinishedProvisioning(context, new Date());
  const logger = serviceLogger('openmyna-issuer', options.logTo);
  const token = await serviceAdminToken(options.dataDir, 'issuer', 'OPENMYNA_ADMIN_TOKEN');
  // The app needs its own public URL (the mdoc status list names it), known once the port is bound.
  const server = await listen(options.host, options.port, undefined, undefined, options.trustedProxies);
  const url = server.url;
  const app = createIssuerApp({
    context,
    authorities,
    cardFace: {
      kenhojo: (code) => kenhojoIssuer(options.dataDir, code),
      kenkaku: (code) => kenkakuIssuer(options.dataDir, code),
    },
    mdoc: {
      documentSigner: (await loadMdocIssuer(options.dataDir, url)).documentSigner,
      statusListUri: `${url}/mdoc/status/1`,
    },
    pinResetAuthority: await loadPinResetAuthority(options.dataDir, url),
    adminToken: token,
    logger,
  });
  server.setHandler((request, env) => app.fetch(request, env));
  return {
    url,
    database,
    context,
    adminToken: token,
    close: async () => {
      await server.close();
      await database.close();
      logger.flush();
    },
  };
}

export async function loadAuthorityWithResponder(dataDir: string, hierarchy: 'signing' | 'authentication') {
  const responder = await loadResponder(dataDir, hierarchy);
  return {
    ca: await loadAuthority(dataDir, hierarchy),
    responderCertificate: responder.certificate,
    responderSigner: responder.signer,
  };
}
