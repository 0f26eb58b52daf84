import { resolve } from 'node:path';

import type { Command } from 'commander';

import { type CliIo } from '../io.js';
import { integerOption, proxyOption, trustedProxies } from '../options.js';
import { runUntilStopped } from '../service-runner.js';
import { startVerifier } from '../verifier-service.js';

/** `openmyna verifier serve` */
export function registerVerifierCommands(program: Command, io: CliIo): void {
  const verifier = program
    .command('verifier')
    .description('the verifier service for relying parties (presentations, JPKI signatures and login, relay)');
  verifier
    .command('serve')
    .description(
      "run the verifier over the data directory's trust anchors (create them with `openmyna sandbox up`); Ctrl-C stops",
    )
    .option('--data <dir>', 'data directory with the CAs', './.openmyna')
    .option('--db <url>', 'postgres://… or a SQLite file (default: <data>/verifier.db)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', integerOption('--port', 0, 65535), 8081)
    .option(
      '--trusted-proxy <address>',
      'a reverse proxy in front (repeatable): its X-Forwarded-For names the client',
      proxyOption,
    )
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
    .action(async (flags: { data: string; db?: string; host: string; port: number; trustedProxy?: string[] }) => {
      const running = await startVerifier({
        dataDir: resolve(io.cwd, flags.data),
        ...(flags.db ? { db: flags.db } : {}),
        host: flags.host,
        port: flags.port,
        logTo: 'stdout',
        trustedProxies: trustedProxies(flags.trustedProxy, process.env),
      });
      await runUntilStopped(io, 'verifier', running);
    });
}
