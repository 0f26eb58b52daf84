#!/usr/bin/env node
import { isBrokenPipe, runCli } from './program.js';

// Everything openmyna writes — registries, cards, populations, keys, phone files, databases — holds
// personal data or secrets: files are created 0600 and directories 0700, whatever the shell's umask.
process.umask(0o077);

// A closed pipe on stdout (`openmyna person generate … | head`) ends the run quietly.
process.stdout.on('error', (error) => {
  if (isBrokenPipe(error)) process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
  interactive: Boolean(process.stderr.isTTY),
});
process.exitCode = code;
