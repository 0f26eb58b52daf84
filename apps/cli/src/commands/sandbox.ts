import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join, relative, resolve } from 'node:path';

import {
  ageOn,
  DEFAULT_POPULATION_DATE,
  formatWareki,
  generatePopulation,
  parseIsoDate,
  renderFacePhoto,
  SEX_CODES,
} from '@openmyna/core';
import { issueCard, type IssuerContext } from '@openmyna/issuer';
import type { Command } from 'commander';

import { type CliIo, maskMyNumber } from '../io.js';
import { integerOption } from '../options.js';
import { startIssuer } from '../issuer-service.js';
import { startVerifier, type RunningVerifier } from '../verifier-service.js';
import { loadMdocIssuer, loadReaderAuthority } from '../mdoc-store.js';
import { startWalletWeb } from '../wallet-web-service.js';
import { startRpDemo } from '../rp-demo-service.js';
import { loadSandboxTls } from '../sandbox-tls.js';
import { ensureDemoPerson, withIssuerRegistry } from '../issuer-registry.js';
import { kenhojoIssuer, kenkakuIssuer } from '../card-face-store.js';
import { initHierarchies, loadAuthority, passphrase, pkiDir, readJson, writeAtomically } from '../pki-store.js';
import { DEMO_PINS, openCardFile } from './card.js';
import { writePopulationFile } from './person.js';

/** What `sandbox up` records about a data directory, in `sandbox.json`. */
export interface SandboxManifest {
  readonly format: 'openmyna-sandbox/1';
  readonly seed: string;
  readonly persons: number;
  readonly createdAt: string;
}

/** Options of {@link sandboxUp}. */
export interface SandboxOptions {
  readonly dataDir: string;
  readonly seed: string;
  readonly persons: number;
  readonly now: Date;
}

const DEMO_PERSONS_SHOWN = 5;

/**
 * Creates (or reuses) the sandbox data directory with a demo population and face photos, and
 * reports what is there. Re-running with the same seed and size changes nothing.
 */
export async function sandboxUp(options: SandboxOptions, io: CliIo): Promise<SandboxManifest> {
  const dataDir = options.dataDir;
  const manifestPath = join(dataDir, 'sandbox.json');
  const existing = await readManifest(manifestPath);
  let manifest: SandboxManifest;
  if (existing && existing.seed === options.seed && existing.persons === options.persons) {
    manifest = existing;
    io.stdout.write(`Using the existing sandbox in ${displayPath(io, dataDir)}\n`);
  } else {
    manifest = await createSandbox(options, io);
    io.stdout.write(`Created a sandbox in ${displayPath(io, dataDir)}\n`);
  }
  io.stdout.write(
    [
      `  population   ${manifest.persons} synthetic persons, seed "${manifest.seed}" → population.jsonl`,
      `  face photos  photos/<id>.jpg`,
      '',
      'Demo persons (synthetic; My Numbers masked):',
      ...demoLines(manifest),
      '',
      'Generate more persons with `openmyna person generate --help`.',
      '',
    ].join('\n'),
  );
  return manifest;
}

async function createSandbox(options: SandboxOptions, io: CliIo): Promise<SandboxManifest> {
  // A different seed or size starts over: the manifest goes first, so a stopped run is redone.
  await rm(join(options.dataDir, 'sandbox.json'), { force: true });
  await rm(join(options.dataDir, 'photos'), { recursive: true, force: true });
  // The issuer's registry was seeded from the old population: it starts over too.
  for (const file of ['issuer.db', 'issuer.db-wal', 'issuer.db-shm'])
    await rm(join(options.dataDir, file), { force: true });
  await mkdir(join(options.dataDir, 'photos'), { recursive: true });
  const populationPath = join(options.dataDir, 'population.jsonl');
  await writePopulationFile(populationPath, { seed: options.seed, count: options.persons }, io);
  for (const person of generatePopulation({ seed: options.seed }, options.persons)) {
    const age = ageOn(parseIsoDate(person.birthDate), DEFAULT_POPULATION_DATE);
    await writeFile(join(options.dataDir, 'photos', `${person.id}.jpg`), renderFacePhoto({ ...person, age }));
  }
  const manifest: SandboxManifest = {
    format: 'openmyna-sandbox/1',
    seed: options.seed,
    persons: options.persons,
    createdAt: options.now.toISOString(),
  };
  // Written last: a directory with a manifest is complete.
  await writeFile(join(options.dataDir, 'sandbox.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function demoLines(manifest: SandboxManifest): string[] {
  const lines: string[] = [];
  for (const person of generatePopulation({ seed: manifest.seed }, Math.min(DEMO_PERSONS_SHOWN, manifest.persons))) {
    const born = formatWareki(parseIsoDate(person.birthDate));
    lines.push(
      `  ${person.id}  ${person.name}（${person.nameKana}）  ${SEX_CODES[person.sex].ja}  ${born}生  ${person.municipality}  ${maskMyNumber(person.myNumber)}`,
    );
  }
  return lines;
}

async function readManifest(path: string): Promise<SandboxManifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<SandboxManifest>;
    return parsed.format === 'openmyna-sandbox/1' ? (parsed as SandboxManifest) : undefined;
  } catch {
    return undefined;
  }
}

function displayPath(io: CliIo, path: string): string {
  const shown = relative(io.cwd, path);
  return shown === '' ? '.' : shown.startsWith('..') ? path : `./${shown}`;
}

interface UpFlags {
  data: string;
  seed: string;
  persons: number;
  serve: boolean;
  issuerPort: number;
  verifierPort: number;
  walletPort: number;
  rpPort: number;
  shopPort: number;
  lan?: string | boolean;
}

/**
 * Prepares the issuing authority: the two JPKI hierarchies on first run, and the demo population in
 * its registry (persons already registered are left as they are).
 */
export async function prepareIssuer(
  dataDir: string,
  manifest: SandboxManifest,
  issuerUrl: string,
  io: CliIo,
): Promise<{ added: number; cards: { personId: string; file: string; securityCode: string }[] }> {
  if (!(await readJson(join(pkiDir(dataDir), 'signing', 'config.json')))) {
    await initHierarchies(dataDir, issuerUrl, (hierarchy) => io.stderr.write(`creating the ${hierarchy} hierarchy…\n`));
  }
  // The mdoc IACA and document signer, so the verifier finds its anchors even before the issuer ran.
  await loadMdocIssuer(dataDir, issuerUrl);
  return withIssuerRegistry(dataDir, undefined, async (context) => {
    const existing = new Set((await context.db.selectFrom('persons').select('id').execute()).map((row) => row.id));
    let added = 0;
    for (const person of generatePopulation({ seed: manifest.seed }, manifest.persons)) {
      if (existing.has(person.id)) continue;
      await ensureDemoPerson(
        context,
        person,
        'sandbox',
        new Uint8Array(await readFile(join(dataDir, 'photos', `${person.id}.jpg`))),
      );
      added++;
    }
    const cards = await issueDemoCards(dataDir, manifest, context, io);
    return { added, cards };
  });
}

/** Virtual cards for the demo persons shown, with the demo PINs, under `<data>/cards` (once). */
async function issueDemoCards(
  dataDir: string,
  manifest: SandboxManifest,
  context: IssuerContext,
  io: CliIo,
): Promise<{ personId: string; file: string; securityCode: string }[]> {
  await mkdir(join(dataDir, 'cards'), { recursive: true });
  const issued: { personId: string; file: string; securityCode: string }[] = [];
  const authorities = {
    signing: await loadAuthority(dataDir, 'signing'),
    authentication: await loadAuthority(dataDir, 'authentication'),
  };
  const secret = await passphrase(dataDir, true);
  for (const person of generatePopulation({ seed: manifest.seed }, Math.min(DEMO_PERSONS_SHOWN, manifest.persons))) {
    const file = join(dataDir, 'cards', `${person.id}.json`);
    const existing = await readJson<{ securityCode?: string }>(`${file.slice(0, -5)}.code.json`);
    if (existing?.securityCode && (await readJson(file))) {
      issued.push({ personId: person.id, file, securityCode: existing.securityCode });
      continue;
    }
    io.stderr.write(`issuing a virtual card to ${person.id}…\n`);
    const card = await issueCard(context, {
      personId: person.id,
      authorities,
      cardFace: { kenhojo: (code) => kenhojoIssuer(dataDir, code), kenkaku: (code) => kenkakuIssuer(dataDir, code) },
      pins: DEMO_PINS,
      actor: 'sandbox',
      passphrase: secret,
    });
    await writeAtomically(file, JSON.stringify(card.document, null, 2) + '\n');
    await writeAtomically(`${file.slice(0, -5)}.code.json`, JSON.stringify({ securityCode: card.securityCode }) + '\n');
    issued.push({ personId: person.id, file, securityCode: card.securityCode });
  }
  return issued;
}

/** The sandbox's two demo relying parties: a securities firm that may receive My Numbers, and a shop that may not. */
const DEMO_RELYING_PARTIES = [
  { name: 'openmyna証券', myNumberPurpose: 'kojin-bango-kankei-jimu' },
  { name: 'openmynaショップ', myNumberPurpose: 'none' },
] as const;

interface DemoRelyingParty {
  readonly name: string;
  readonly id: string;
  readonly apiKey: string;
  readonly clientId: string;
  readonly myNumber: boolean;
}

/**
 * Registers the demo relying parties with the running verifier (once: their API keys are kept in
 * `<data>/verifier/demo-relying-parties.json`, mode 0600, and reused while the verifier knows them).
 */
async function registerDemoRelyingParties(dataDir: string, running: RunningVerifier): Promise<DemoRelyingParty[]> {
  const path = join(dataDir, 'verifier', 'demo-relying-parties.json');
  const stored = await readJson<DemoRelyingParty[]>(path);
  if (stored) {
    const known = await running.context.db.selectFrom('relying_parties').select('id').execute();
    if (stored.every((party) => known.some((row) => row.id === party.id))) return stored;
  }
  const parties: DemoRelyingParty[] = [];
  for (const party of DEMO_RELYING_PARTIES) {
    const response = await fetch(`${running.url}/admin/relying-parties`, {
      method: 'POST',
      headers: { authorization: `Bearer ${running.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(party),
    });
    if (response.status !== 201) throw new Error(`registering ${party.name} failed: HTTP ${response.status}`);
    const registered = (await response.json()) as { id: string; apiKey: string; clientId: string };
    parties.push({ name: party.name, ...registered, myNumber: party.myNumberPurpose !== 'none' });
  }
  await writeAtomically(path, JSON.stringify(parties, null, 2) + '\n');
  await chmod(path, 0o600);
  return parties;
}

/** `openmyna sandbox up` */
export function registerSandboxCommands(program: Command, io: CliIo): void {
  const sandbox = program
    .command('sandbox')
    .description('the local sandbox (embedded storage, everything on localhost)');
  sandbox
    .command('up')
    .description('create or reuse the sandbox data directory and report what it holds')
    .option('--data <dir>', 'data directory', './.openmyna')
    .option('--seed <seed>', 'seed of the demo population', 'openmyna-sandbox')
    .option('--persons <n>', 'size of the demo population', integerOption('--persons', 1, 100_000), 100)
    .option('--issuer-port <port>', 'port of the issuing authority', integerOption('--issuer-port', 0, 65535), 8080)
    .option('--verifier-port <port>', 'port of the verifier service', integerOption('--verifier-port', 0, 65535), 8081)
    .option('--wallet-port <port>', 'port of the web wallet', integerOption('--wallet-port', 0, 65535), 8082)
    .option('--rp-port <port>', 'port of the securities firm demo', integerOption('--rp-port', 0, 65535), 8083)
    .option('--shop-port <port>', 'port of the shop demo', integerOption('--shop-port', 0, 65535), 8084)
    .option(
      '--lan [address]',
      'serve the web wallet over HTTPS on this address (default: the first LAN IPv4) for a phone on the same network',
    )
    .option('--no-serve', 'prepare everything, start nothing')
    .action(async (flags: UpFlags) => {
      const dataDir = resolve(io.cwd, flags.data);
      const manifest = await sandboxUp({ dataDir, seed: flags.seed, persons: flags.persons, now: new Date() }, io);
      const issuerUrl = `http://127.0.0.1:${flags.issuerPort}`;
      const { added, cards } = await prepareIssuer(dataDir, manifest, issuerUrl, io);
      io.stdout.write(
        [
          `Issuer registry: ${added ? `${added} persons registered` : 'up to date'} (${displayPath(io, join(dataDir, 'issuer.db'))})`,
          '',
          `Virtual cards (demo PINs: 利用者証明用 ${DEMO_PINS.authentication}, 署名用 ${DEMO_PINS.signing}, 券面事項入力補助用 ${DEMO_PINS.kenhojo}):`,
          ...cards.map(
            (card) => `  ${card.personId}  ${displayPath(io, card.file)}  セキュリティコード ${card.securityCode}`,
          ),
          `Read one with \`openmyna card dump --data ${displayPath(io, dataDir)} --card <file> --auth-pin ${DEMO_PINS.authentication}\`.`,
          '',
        ].join('\n'),
      );
      if (!flags.serve) return;
      // On the LAN, a phone reaches everything through the web wallet's HTTPS origin (one certificate to
      // accept): /issuer/… and /verifier/… (with the relay) are proxied to the services on 127.0.0.1,
      // which then count each phone by the address the proxy names (X-Forwarded-For).
      const lanAddress = flags.lan === undefined || flags.lan === false ? undefined : lanAddressOf(flags.lan);
      const walletOrigin = lanAddress ? `https://${lanAddress}:${flags.walletPort}` : undefined;
      const proxied = lanAddress ? { trustedProxies: ['127.0.0.1'] } : {};
      const issuer = await startIssuer({
        dataDir,
        host: '127.0.0.1',
        port: flags.issuerPort,
        logTo: { file: join(dataDir, 'logs', 'issuer.log') },
        ...proxied,
      });
      const verifier = await startVerifier({
        dataDir,
        host: '127.0.0.1',
        port: flags.verifierPort,
        logTo: { file: join(dataDir, 'logs', 'verifier.log') },
        ...proxied,
        ...(walletOrigin ? { publicUrl: `${walletOrigin}/verifier` } : {}),
      });
      const parties = await registerDemoRelyingParties(dataDir, verifier);
      const names = new Map<string, string>();
      for (const person of generatePopulation({ seed: manifest.seed }, Math.min(DEMO_PERSONS_SHOWN, manifest.persons)))
        names.set(person.id, person.name);
      const wallet = await startWalletWeb({
        host: lanAddress ?? '127.0.0.1',
        port: flags.walletPort,
        config: {
          issuerUrl: walletOrigin ? `${walletOrigin}/issuer` : issuer.url,
          readerCa: Buffer.from((await loadReaderAuthority(dataDir, verifier.url)).anchor.certificate.der).toString(
            'base64',
          ),
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
      const securities = parties.find((party) => party.myNumber)!;
      const shopParty = parties.find((party) => !party.myNumber)!;
      const demoSite = (kind: 'securities' | 'shop', port: number) => {
        const party = kind === 'securities' ? securities : shopParty;
        return startRpDemo({
          dataDir,
          host: '127.0.0.1',
          port,
          verifier: { url: verifier.url, apiKey: party.apiKey },
          walletUrl: wallet.url,
          name: party.name,
          kind,
        });
      };
      const rp = await demoSite('securities', flags.rpPort);
      const shop = await demoSite('shop', flags.shopPort);
      io.stdout.write(
        [
          '',
          'Running (Ctrl-C stops):',
          `  issuer       ${issuer.url}  (OpenAPI ${issuer.url}/openapi.json, OCSP ${issuer.url}/ocsp/{signing|authentication}, CRL ${issuer.url}/crl/…)`,
          `  verifier     ${verifier.url}  (OpenAPI ${verifier.url}/openapi.json, relay ${verifier.url.replace('http', 'ws')}/relay/<id>)`,
          `  web wallet   ${wallet.url}  (open it in a browser: add a demo card with its PINs, then present it)`,
          ...(lanAddress
            ? [
                `               on a phone on the same network: open ${wallet.url} and accept the sandbox certificate`,
                `               (or install ${displayPath(io, join(dataDir, 'tls', 'ca.pem'))} on the phone)`,
              ]
            : []),
          `  admin tokens in ${displayPath(io, join(dataDir, 'issuer', 'admin-token.json'))} and ${displayPath(io, join(dataDir, 'verifier', 'admin-token.json'))}; logs in ${displayPath(io, join(dataDir, 'logs'))}`,
          '',
          `Demo relying parties (API keys in ${displayPath(io, join(dataDir, 'verifier', 'demo-relying-parties.json'))}):`,
          ...parties.map(
            (party) =>
              `  ${party.name.padEnd(18)} ${party.myNumber ? 'may receive a My Number (個人番号関係事務)' : 'no My Number'}`,
          ),
          '',
          `  RP demo      ${rp.url}  (${securities.name}: 口座開設, スマホでログイン, 窓口 at /counter)`,
          `  shop demo    ${shop.url}  (${shopParty.name}: age check; asks for a My Number and is refused)`,
          '',
          'Walkthrough:',
          '  1. Open the web wallet and add a demo card (card PINs 1234 / OPENMYNA1; choose the phone PINs).',
          '  2. Open the RP demo, apply for an account, choose 「スマホで読み取る」 and answer in the wallet (scan',
          '     the QR code, or paste the link shown under it); the page turns to 「認証完了」 with the account.',
          '  3. 「スマホでログイン」 on the RP demo: answer in the wallet with the 利用者証明用 PIN.',
          `  4. The counter (${rp.url}/counter): in the wallet choose 「対面で提示」 and paste its mdoc: text (or`,
          '     scan its QR code); the clerk sees the verified photo, name, address, birth date and age.',
          '  5. The shop: an age check that discloses only 「20歳以上」, and a My Number request the verifier refuses.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((done) => {
        const stop = () =>
          void Promise.all([issuer.close(), verifier.close(), wallet.close(), rp.close(), shop.close()]).then(() =>
            done(),
          );
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
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
