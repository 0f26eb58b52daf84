import type { Command } from 'commander';

import { type CliIo } from '../io.js';
import { serviceOptions, serviceStartOptions, type ServiceFlags } from '../options.js';
import { runUntilStopped } from '../service-runner.js';
import { startVerifier } from '../verifier-service.js';

/** `openmyna verifier serve` */
export function registerVerifierCommands(program: Command, io: CliIo): void {
  const verifier = program
    .command('verifier')
    .description('the verifier service for relying parties (presentations, JPKI signatures and login, relay)');
  const serve = verifier
    .command('serve')
    .description(
      "run the verifier over the data directory's trust anchors (create them with `openmyna sandbox up`); Ctrl-C stops",
    );
  serviceOptions(serve, 'verifier.db', 8081)
    .addHelpText(
      'after',
      [
        '',
        'Relying parties are registered with POST /admin/relying-parties and `Authorization: Bearer <token>`:',
        'OPENMYNA_VERIFIER_ADMIN_TOKEN, or the token in <data>/verifier/admin-token.json. Each gets an API key once.',
        'Data at rest is sealed with OPENMYNA_VERIFIER_SEALING_KEY (32 bytes, base64), or <data>/verifier/sealing-key.json.',
        'Logs are JSON lines on standard output; the OpenAPI document is at /openapi.json; the relay at ws://…/relay/<id>.',
      ].join('\n'),
    )
    .action(async (flags: ServiceFlags) => {
      const running = await startVerifier(serviceStartOptions(io.cwd, flags));
      await runUntilStopped(io, 'verifier', running);
    });
}
