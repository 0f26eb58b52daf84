#!/usr/bin/env node
// The last step of `npm test`: the clock-sensitive test files again, with the machine's clock moved
// ahead by libfaketime (default 400 days; OPENMYNA_CLOCK_SHIFT=+1100d, say, for another offset). A test
// that mixes a fixed date with the wall clock — a certificate, list or token made for "now" and checked
// at a date written into the test, or the reverse — passes today and fails here, the day it is written.
//
// Every process below sees the shifted clock: Vitest's workers, the services they spawn, OpenSSL and
// Chromium. PostgreSQL's server does not, and needs not: nothing reads the database's clock.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHIFT = process.env.OPENMYNA_CLOCK_SHIFT ?? '+400d';
/** Where certificates, status lists, tokens and validity windows are made and checked. */
const CLOCK_SENSITIVE = [
  'packages/pki/test',
  'packages/mdoc/test',
  'packages/card/test',
  'packages/verifier/test',
  'packages/wallet/test',
  'apps/issuer/test',
  'apps/verifier/test',
];

if (!/^[+-]\d+[smhdy]$/.test(SHIFT)) {
  process.stderr.write(`test-shifted-clock: OPENMYNA_CLOCK_SHIFT must look like +400d or -2h, not ${SHIFT}\n`);
  process.exit(2);
}
process.stdout.write(`test-shifted-clock: ${CLOCK_SENSITIVE.join(' ')} with the clock ${SHIFT} (libfaketime)\n`);
const result = spawnSync(
  'faketime',
  [
    '-f',
    SHIFT,
    resolve(ROOT, 'node_modules/.bin/vitest'),
    'run',
    '--reporter=dot',
    '--reporter=./test-support/summary-reporter.ts',
    // Once, in Node: the portable tests' second run, in Chromium, belongs to the main run only.
    '--project',
    'node',
    // Durability under SIGKILL and under concurrency reads no date: minutes of kills and races once (in
    // the main run) are enough; the code they drive runs here in the other tests of their folders.
    '--exclude',
    '**/*crash*.test.ts',
    '--exclude',
    '**/provisioning-concurrency.test.ts',
    // The PC/SC path (pcscd, which runs outside faketime, vpcd and OpenSC reading the card's files and
    // signing) reads no date either; the certificates it carries are made and checked here elsewhere.
    '--exclude',
    '**/vpcd-opensc.test.ts',
    ...CLOCK_SENSITIVE,
  ],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, OPENMYNA_CLOCK_SHIFTED: SHIFT } },
);
if (result.error) {
  process.stderr.write(
    `test-shifted-clock: could not run faketime (${result.error.message}): apt-get install faketime\n`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
