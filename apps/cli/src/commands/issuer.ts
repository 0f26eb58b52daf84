import type { Command } from 'commander';

import { type CliIo } from '../io.js';
import { keysOption, KEYS_OPTION_HELP } from '../issuer-keys.js';
import { startIssuer } from '../issuer-service.js';
import { registerIssuerKeyCommands } from './issuer-keys.js';
import { serviceOptions, serviceStartOptions, type ServiceFlags } from '../options.js';
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
  const serve = issuer
    .command('serve')
    .description(
      "run the issuing authority over the data directory's CAs (create them with `openmyna pki init`); Ctrl-C stops",
    );
  serviceOptions(serve, 'issuer.db', 8080)
    .option('--keys <files|pkcs11-uri>', KEYS_OPTION_HELP, keysOption)
    .addHelpText(
      'after',
      '\nKeys: --keys files (default) reads the sealed keys under <data>/pki with OPENMYNA_CA_PASSPHRASE; --keys pkcs11:… signs in a PKCS#11 token made with `openmyna issuer keys init --keys pkcs11:…` (docs/keys.md).\nThe admin API wants `Authorization: Bearer <token>`: OPENMYNA_ADMIN_TOKEN, or the token in <data>/issuer/admin-token.json.\nLogs are JSON lines on standard output; the OpenAPI document is at /openapi.json.\nSeveral instances (docs/operations.md): --public-url names the status list in each MSO, the PIN-reset issuer and the OCSP, CRL and CPS URLs of certificates issued from then on (the CAs keep those of `pki init --base-url`); with --db postgres://… every instance learns of each revocation at once (LISTEN/NOTIFY).\nAt start and every minute it ends work an interrupted instance left unfinished once older than 600 s (OPENMYNA_ISSUER_REPAIR_GRACE_SECONDS sets another), so live work of other instances is left alone.',
    )
    .action(async (flags: ServiceFlags & { keys?: string }) => {
      const running = await startIssuer({
        ...serviceStartOptions(io.cwd, flags),
        ...(flags.keys ? { keys: flags.keys } : {}),
      });
      await runUntilStopped(io, 'issuer', running);
    });
  registerIssuerKeyCommands(issuer, io, setExitCode);
}
