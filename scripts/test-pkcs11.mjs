#!/usr/bin/env node
// A step of `npm test`: the issuer's tests again with the authority's keys in SoftHSM2
// (OPENMYNA_TEST_KEYS=pkcs11): the JPKI CAs, OCSP responders, card-face CV keys, the mdoc document signer
// and the PIN-reset key are made in a fresh token (each test process makes its own in a temp directory,
// test-support/softhsm.ts) as non-extractable objects, and every certificate, CRL, OCSP answer, MSO and
// authorization the tests check was signed inside it. By default the tests that sign (the custody itself,
// certificates and CRLs in the registry, OCSP and CRLs over HTTP, provisioning (its MSO signed by the
// document signer in the token), PIN-reset
// authorizations, `issuer keys init` + `serve --keys pkcs11:`): the whole issuer suite in the token took
// about twice as long, too much for CI's budget. OPENMYNA_PKCS11_TESTS=apps/issuer/test runs all of it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SIGNING_TESTS = [
  'apps/issuer/test/key-custody.test.ts',
  'apps/issuer/test/registry.test.ts',
  'apps/issuer/test/http.test.ts',
  'apps/issuer/test/provisioning.test.ts',
  'apps/issuer/test/holder.test.ts',
  'apps/cli/test/issuer-keys-cli.test.ts',
];
const TESTS = (process.env.OPENMYNA_PKCS11_TESTS ?? SIGNING_TESTS.join(' ')).split(/\s+/).filter(Boolean);

if (!['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].some(existsSync)) {
  process.stderr.write('test-pkcs11: SoftHSM2 is missing: apt-get install softhsm2\n');
  process.exit(1);
}
process.stdout.write(`test-pkcs11: ${TESTS.join(' ')} with the authority's keys in SoftHSM2\n`);
const started = Date.now();
const env = { ...process.env, OPENMYNA_TEST_KEYS: 'pkcs11' };
// Each test process makes its own token directory: a SOFTHSM2_CONF from outside would be shared.
delete env.SOFTHSM2_CONF;
delete env.OPENMYNA_TEST_PKCS11_TOKENS;
const result = spawnSync(
  resolve(ROOT, 'node_modules/.bin/vitest'),
  [
    'run',
    '--project',
    'node',
    '--hookTimeout=60000',
    '--reporter=dot',
    '--reporter=./test-support/summary-reporter.ts',
    ...TESTS,
  ],
  { cwd: ROOT, stdio: 'inherit', env },
);
process.stdout.write(`test-pkcs11: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(result.status ?? 1);
