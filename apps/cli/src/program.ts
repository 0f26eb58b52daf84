import { readFileSync } from 'node:fs';

import { OpenMynaError } from '@openmyna/core';
import { Command, CommanderError } from 'commander';

import { registerCardCommands } from './commands/card.js';
import { registerPhoneCommands } from './commands/phone.js';
import { registerIssuerCommands } from './commands/issuer.js';
import { registerVerifierCommands } from './commands/verifier.js';
import { registerMdocCommands } from './commands/mdoc.js';
import { registerMyNumberCommands } from './commands/my-number.js';
import { registerPersonCommands } from './commands/person.js';
import { registerPkiCommands } from './commands/pki.js';
import { registerSandboxCommands } from './commands/sandbox.js';
import { type CliIo, EXIT } from './io.js';
import { SECRET_ARGUMENT } from './issuer-keys.js';

export { type CliIo, EXIT } from './io.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/**
 * Runs the `openmyna` command line with `argv` (without the node and script paths) and returns the
 * exit code. Nothing here calls `process.exit`, so tests run it in-process.
 *
 * @example
 * ```ts
 * const code = await runCli(['mynumber', 'check', '123456789018'], io); // 0
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('openmyna')
    .description(
      'openmyna — the My Number Card (マイナンバーカード) on a smartphone: issuer, card applets, wallet and verification',
    )
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerMyNumberCommands(program, io, (code) => (exitCode = code));
  registerPersonCommands(program, io);
  registerSandboxCommands(program, io);
  registerPkiCommands(program, io, (code) => (exitCode = code));
  registerCardCommands(program, io, (code) => (exitCode = code));
  registerMdocCommands(program, io, (code) => (exitCode = code));
  registerIssuerCommands(program, io, (code) => (exitCode = code));
  registerVerifierCommands(program, io, (code) => (exitCode = code));
  registerPhoneCommands(program, io, (code) => (exitCode = code));
  program.addHelpText(
    'after',
    '\nExit codes: 0 success, 1 checked and invalid, 2 usage error, 3 failure while running, 4 valid but revocation status unknown.\nRun `openmyna <command> --help` for each command.',
  );
  for (const command of program.commands) command.exitOverride().showHelpAfterError('(run with --help for usage)');

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here too, with exit code 0.
    if (error.exitCode === 0) return EXIT.ok;
    // Commander printed its own usage errors; this one it could not, without the secret in it.
    if (error.code === SECRET_ARGUMENT) io.stderr.write(`error: ${error.message}\n(run with --help for usage)\n`);
    // A command group run without a subcommand shows its help: a usage error.
    return EXIT.usage;
  }
  if (isBrokenPipe(error)) return EXIT.ok;
  if (error instanceof OpenMynaError) {
    io.stderr.write(`openmyna: ${error.message} (${error.code})\n`);
    return EXIT.failure;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`openmyna: ${message}\n`);
  return EXIT.failure;
}

/** The reader of our output went away (`openmyna person generate … | head`): not an error. */
export function isBrokenPipe(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EPIPE';
}
