import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';

import { base64Encode } from '@openmyna/core';

import { migrate, openDatabase } from '@openmyna/storage';
import { VERIFIER_MIGRATIONS, type VerifierSchema } from '@openmyna/verifier-service';
import type { Kysely } from 'kysely';

import { startIssuer } from '../../issuer-service.js';
import { loadReaderAuthority } from '../../mdoc-store.js';
import { startRpDemo } from '../../rp-demo-service.js';
import { loadSandboxTls } from '../../sandbox-tls.js';
import { serviceAdminToken } from '../../service-runner.js';
import { startVerifier, type RunningVerifier } from '../../verifier-service.js';
import { startWalletWeb } from '../../wallet-web-service.js';
import { openCardFile } from '../card.js';
import type { DemoCard } from './demo-issuer.js';
import {
  registerDemoOidcClient,
  registerDemoRelyingParties,
  type DemoRelyingParty,
  type VerifierAdmin,
} from './demo-relying-parties.js';
import { demoPersons, type SandboxManifest } from './sandbox-directory.js';

/** The ports `sandbox up` serves on, and the LAN address of `--lan`. */
export interface SandboxPorts {
  readonly issuerPort: number;
  readonly verifierPort: number;
  readonly walletPort: number;
  readonly rpPort: number;
  readonly shopPort: number;
  readonly lan?: string | boolean;
}

/**
 * Where the sandbox's issuer and verifier keep their state, and the services it uses instead of
 * starting its own (instances behind a load balancer, docs/operations.md).
 */
export interface SandboxServices {
  /** `postgres://…` for the issuer (default `<data>/issuer.db`). */
  readonly issuerDb?: string;
  /** `postgres://…` for the verifier (default `<data>/verifier.db`). */
  readonly verifierDb?: string;
  readonly redis?: string;
  /** An issuer already running there: none is started, and this URL goes into the CAs and the wallet. */
  readonly issuerUrl?: string;
  /** A verifier already running there: none is started; the wallet and the demo sites use this URL. */
  readonly verifierUrl?: string;
}

/** A running service of the sandbox. */
interface RunningService {
  readonly url: string;
  close(): Promise<void>;
}

/** The verifier as the sandbox needs it: where it is, its admin token, and which relying parties it knows. */
export interface SandboxVerifier extends RunningService, VerifierAdmin {}

/** Everything `sandbox up` started. */
export interface RunningSandbox {
  readonly issuer: RunningService;
  readonly verifier: SandboxVerifier;
  readonly wallet: RunningService;
  readonly rp: RunningService;
  readonly shop: RunningService;
  readonly parties: readonly DemoRelyingParty[];
  readonly lanAddress: string | undefined;
  close(): Promise<void>;
}

/** Starts the issuer, the verifier, the web wallet and the two demo relying parties. */
export async function startSandbox(
  dataDir: string,
  manifest: SandboxManifest,
  cards: readonly DemoCard[],
  ports: SandboxPorts,
  services: SandboxServices = {},
): Promise<RunningSandbox> {
  // On the LAN, a phone reaches everything through the web wallet's HTTPS origin (one certificate to
  // accept): /issuer/… and /verifier/… (with the relay) are proxied to the services on 127.0.0.1,
  // which then count each phone by the address the proxy names (X-Forwarded-For).
  const lanAddress = ports.lan === undefined || ports.lan === false ? undefined : lanAddressOf(ports.lan);
  const walletOrigin = lanAddress ? `https://${lanAddress}:${ports.walletPort}` : undefined;
  const proxied = lanAddress ? { trustedProxies: ['127.0.0.1'] } : {};
  const shared = { ...proxied, ...(services.redis ? { redis: services.redis } : {}) };
  const issuer = services.issuerUrl
    ? elsewhere(services.issuerUrl)
    : await startIssuer({
        dataDir,
        host: '127.0.0.1',
        port: ports.issuerPort,
        logTo: { file: join(dataDir, 'logs', 'issuer.log') },
        ...shared,
        ...(services.issuerDb ? { db: services.issuerDb } : {}),
      });
  const verifier = services.verifierUrl
    ? await verifierElsewhere(dataDir, services.verifierUrl, services.verifierDb)
    : runningVerifier(
        await startVerifier({
          dataDir,
          host: '127.0.0.1',
          port: ports.verifierPort,
          logTo: { file: join(dataDir, 'logs', 'verifier.log') },
          ...shared,
          ...(services.verifierDb ? { db: services.verifierDb } : {}),
          ...(walletOrigin ? { publicUrl: `${walletOrigin}/verifier` } : {}),
        }),
      );
  const parties = await registerDemoRelyingParties(dataDir, verifier);
  const wallet = await startSandboxWallet({ dataDir, manifest, cards, issuer, verifier, lanAddress, ports });
  const [rp, shop] = await startDemoSites(
    dataDir,
    parties,
    // On the LAN the provider's issuer is the wallet's HTTPS origin, which the firm's backend does not trust.
    { verifierUrl: verifier.url, walletUrl: wallet.url, ...(lanAddress ? {} : { verifier }) },
    ports,
  );
  const close = async () => {
    await Promise.all([issuer.close(), verifier.close(), wallet.close(), rp.close(), shop.close()]);
  };
  return { issuer, verifier, wallet, rp, shop, parties, lanAddress, close };
}

/** A service run by someone else: the sandbox uses it and leaves it running. */
function elsewhere(url: string): RunningService {
  return { url, close: () => Promise.resolve() };
}

function runningVerifier(running: RunningVerifier): SandboxVerifier {
  return {
    url: running.url,
    adminToken: running.adminToken,
    knownRelyingParties: async () =>
      (await running.context.db.selectFrom('relying_parties').select('id').execute()).map((row) => row.id),
    close: () => running.close(),
  };
}

/** A verifier running elsewhere over `db` (its instances share the data directory's admin token). */
async function verifierElsewhere(dataDir: string, url: string, db: string | undefined): Promise<SandboxVerifier> {
  return {
    url,
    adminToken: await serviceAdminToken(dataDir, 'verifier', 'OPENMYNA_VERIFIER_ADMIN_TOKEN'),
    knownRelyingParties: async () => {
      const database = openDatabase<VerifierSchema>(db ?? join(dataDir, 'verifier.db'));
      try {
        await migrate(database.db as Kysely<unknown>, database.engine, VERIFIER_MIGRATIONS);
        return (await database.db.selectFrom('relying_parties').select('id').execute()).map((row) => row.id);
      } finally {
        await database.close();
      }
    },
    close: () => Promise.resolve(),
  };
}

async function startSandboxWallet(options: {
  readonly dataDir: string;
  readonly manifest: SandboxManifest;
  readonly cards: readonly DemoCard[];
  readonly issuer: RunningService;
  readonly verifier: RunningService;
  readonly lanAddress: string | undefined;
  readonly ports: SandboxPorts;
}): Promise<RunningService> {
  const { dataDir, cards, issuer, verifier, lanAddress } = options;
  const walletOrigin = lanAddress ? `https://${lanAddress}:${options.ports.walletPort}` : undefined;
  const names = new Map(demoPersons(options.manifest).map((person) => [person.id, person.name]));
  const readerAuthority = await loadReaderAuthority(dataDir, verifier.url);
  const running = await startWalletWeb({
    host: lanAddress ?? '127.0.0.1',
    port: options.ports.walletPort,
    config: {
      issuerUrl: walletOrigin ? `${walletOrigin}/issuer` : issuer.url,
      readerCa: base64Encode(readerAuthority.anchor.certificate.der),
      relayUrl: walletOrigin
        ? `${walletOrigin.replace(/^https/, 'wss')}/verifier/relay`
        : `${verifier.url.replace(/^http/, 'ws')}/relay`,
    },
    ...(lanAddress
      ? {
          tls: await loadSandboxTls(dataDir, [lanAddress, '127.0.0.1', 'localhost']),
          upstreams: { issuer: issuer.url, verifier: verifier.url },
        }
      : {}),
    reader: {
      cards: cards.map((card) => ({ id: card.personId, name: names.get(card.personId) ?? '' })),
      open: (id) => openCardFile(cards.find((card) => card.personId === id)!.file, dataDir),
    },
  });
  // WebAuthn takes a domain, never an IP address, as the relying party id: on this machine the wallet is
  // named http://localhost (a secure context, as 127.0.0.1 is), so platform verification works there.
  return lanAddress ? running : { ...running, url: running.url.replace('//127.0.0.1:', '//localhost:') };
}

/** The securities firm (may receive a My Number) and the shop (may not), in that order. */
async function startDemoSites(
  dataDir: string,
  parties: readonly DemoRelyingParty[],
  urls: { readonly verifierUrl: string; readonly walletUrl: string; readonly verifier?: VerifierAdmin },
  ports: SandboxPorts,
): Promise<[RunningService, RunningService]> {
  const start = (kind: 'securities' | 'shop', party: DemoRelyingParty, port: number) =>
    startRpDemo({
      dataDir,
      host: '127.0.0.1',
      port,
      verifier: { url: urls.verifierUrl, apiKey: party.apiKey },
      walletUrl: urls.walletUrl,
      name: party.name,
      kind,
      ...(kind === 'securities' && urls.verifier
        ? { registerOidcClient: registerDemoOidcClient(urls.verifier, party) }
        : {}),
    });
  return [
    await start(
      'securities',
      parties.find((party) => party.myNumber)!,
      ports.rpPort,
    ),
    await start(
      'shop',
      parties.find((party) => !party.myNumber)!,
      ports.shopPort,
    ),
  ];
}

/** The address to serve the LAN on: the one given, else the first non-internal IPv4 of this machine. */
function lanAddressOf(given: string | true): string {
  if (typeof given === 'string') {
    if (isIP(given) === 0) throw new Error(`--lan takes an IP address of this machine, not ${given}`);
    return given;
  }
  const found = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal);
  if (!found) throw new Error('no LAN address found: give one with --lan <address>');
  return found.address;
}
