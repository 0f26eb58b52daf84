import { resolve } from 'node:path';

import type { Command } from 'commander';

import { type CliIo } from '../io.js';
import { keysOption, KEYS_OPTION_HELP } from '../issuer-keys.js';
import { startIssuer } from '../issuer-service.js';
import { registerIssuerKeyCommands } from './issuer-keys.js';
import { integerOption, proxyOption, trustedProxies } from '../options.js';
import { runUntilStopped } from '../service-runner.js';

/** `openmyna issuer serve` */
export function registerIssuerCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void = () => undefined,
): void {
  const issuer = program
    .command('issuer')
    .description('the issuing authority service (registry, lifecycle, CRL and OCSP)');
  issuer
    .command('serve')
    .description(
      "run the issuing authority over the data directory's CAs (create them with `openmyna pki init`); Ctrl-C stops",
    )
    .option('--data <dir>', 'data directory with the CAs', './.openmyna')
    .option('--db <url>', 'postgres://… or a SQLite file (default: <data>/issuer.db)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', integerOption('--port', 0, 65535), 8080)
    .option('--keys <files|pkcs11-uri>', KEYS_OPTION_HELP, keysOption)
    .option(
      '--trusted-proxy <address>',
      'a reverse proxy in front (repeatable): its X-Forwarded-For names the client',
      proxyOption,
    )
    .addHelpText(
      'after',
      '\nKeys: --keys files (default) reads the sealed keys under <data>/pki with OPENMYNA_CA_PASSPHRASE; --keys pkcs11:… signs in a PKCS#11 token made with `openmyna issuer keys init --keys pkcs11:…` (docs/keys.md).\nThe admin API wants `Authorization: Bearer <token>`: OPENMYNA_ADMIN_TOKEN, or the token in <data>/issuer/admin-token.json.\nLogs are JSON lines on standard output; the OpenAPI document is at /openapi.json.',
    )
    .action(
      async (flags: {
        data: string;
        db?: string;
        host: string;
        port: number;
        trustedProxy?: string[];
        keys?: string;
      }) => {
        const running = await startIssuer({
          dataDir: resolve(io.cwd, flags.data),
          ...(flags.db ? { db: flags.db } : {}),
          host: flags.host,
          port: flags.port,
          logTo: 'stdout',
          trustedProxies: trustedProxies(flags.trustedProxy, process.env),
          ...(flags.keys ? { keys: flags.keys } : {}),
        });
        await runUntilStopped(io, 'issuer', running);
      },
    );
  registerIssuerKeyCommands(issuer, io, setExitCode);
}
