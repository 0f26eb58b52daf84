#!/usr/bin/env node
import { isBrokenPipe, runCli } from './program.js';

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
