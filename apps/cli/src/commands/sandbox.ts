import { resolve } from 'node:path';

import type { Command } from 'commander';

import type { CliIo } from '../io.js';
import { integerOption, redisOption, urlOption } from '../options.js';
import { prepareIssuer } from './sandbox/demo-issuer.js';
import { sandboxUp } from './sandbox/sandbox-directory.js';
import { preparedReport, runningReport } from './sandbox/sandbox-report.js';
import { startSandbox, type SandboxPorts, type SandboxServices } from './sandbox/sandbox-services.js';

export { prepareIssuer, type DemoCard } from './sandbox/demo-issuer.js';
export { sandboxUp, type SandboxManifest, type SandboxOptions } from './sandbox/sandbox-directory.js';

interface UpFlags extends SandboxPorts, SandboxServices {
  data: string;
  seed: string;
  persons: number;
  serve: boolean;
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
    .option('--issuer-db <url>', 'postgres://… for the issuer (default: <data>/issuer.db)')
    .option('--verifier-db <url>', 'postgres://… for the verifier (default: <data>/verifier.db)')
    .option('--redis <url>', 'redis://… shared with other instances of the issuer and verifier', redisOption)
    .option(
      '--issuer-url <url>',
      'use the issuer running there (e.g. instances behind a load balancer) instead of starting one; also the URL the CAs name',
      urlOption('--issuer-url'),
    )
    .option(
      '--verifier-url <url>',
      'use the verifier running there instead of starting one (give --verifier-db if it is not <data>/verifier.db)',
      urlOption('--verifier-url'),
    )
    .option('--no-serve', 'prepare everything, start nothing')
    .action((flags: UpFlags) => runSandboxUp(io, flags));
}

async function runSandboxUp(io: CliIo, flags: UpFlags): Promise<void> {
  const dataDir = resolve(io.cwd, flags.data);
  const manifest = await sandboxUp({ dataDir, seed: flags.seed, persons: flags.persons, now: new Date() }, io);
  const issuerUrl = flags.issuerUrl ?? `http://127.0.0.1:${flags.issuerPort}`;
  const { added, cards } = await prepareIssuer(dataDir, manifest, issuerUrl, io, flags.issuerDb);
  io.stdout.write(preparedReport(io, dataDir, added, cards, flags.issuerDb));
  if (!flags.serve) return;
  const running = await startSandbox(dataDir, manifest, cards, flags, flags);
  io.stdout.write(runningReport(io, dataDir, running));
  await new Promise<void>((done) => {
    const stop = () => void running.close().then(() => done());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
