import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { KeyCustody, RsaKeyName } from '@openmyna/issuer';
import { SoftwareSigner, type Signer } from '@openmyna/pki';

/** Where Debian's softhsm2 puts its PKCS#11 module. */
export const SOFTHSM_MODULE = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
].find((path) => existsSync(path));

/** The user PIN of every test token. */
export const TEST_TOKEN_PIN = '123456';

/**
 * A SoftHSM2 token directory for this process (`SOFTHSM2_CONF`, set once: the module reads it when first
 * initialised), made in a temp directory unless the run made one (scripts/test-pkcs11.mjs).
 */
function tokenDirectory(): string {
  const configured = process.env['SOFTHSM2_CONF'];
  if (configured) return configured;
  const root = mkdtempSync(join(tmpdir(), 'openmyna-softhsm-'));
  mkdirSync(join(root, 'tokens'));
  const conf = join(root, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(root, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env['SOFTHSM2_CONF'] = conf;
  return conf;
}

/** A test token: its URI (with `module-path`), label and user PIN. */
export interface TestToken {
  readonly uri: string;
  readonly label: string;
  readonly pin: string;
  readonly modulePath: string;
}

function initToken(label: string): TestToken {
  if (!SOFTHSM_MODULE) throw new Error('softhsm2 is not installed: apt-get install softhsm2');
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', '12345678', '--pin', TEST_TOKEN_PIN],
    { stdio: 'pipe', env: process.env },
  );
  return {
    uri: `pkcs11:token=${label};module-path=${SOFTHSM_MODULE}`,
    label,
    pin: TEST_TOKEN_PIN,
    modulePath: SOFTHSM_MODULE,
  };
}

let tokens: { main: TestToken; spare: TestToken } | undefined;

/**
 * This process's SoftHSM2 tokens, made fresh in a temp directory on first use (`softhsm2-util
 * --init-token`): `main`, where tests keep keys (each under its own namespace), and `spare`, which
 * nothing logs in to (a wrong PIN must meet a token that has no logged-in user). SoftHSM2 sees only the
 * tokens that existed when it was initialised, so both are made before any test opens one.
 *
 * @example
 * ```ts
 * const { main } = softHsmTokens();
 * const custody = await openPkcs11Custody({ uri: main.uri, pin: main.pin, namespace: 'my-test' });
 * ```
 */
export function softHsmTokens(): { main: TestToken; spare: TestToken } {
  if (tokens) return tokens;
  const fromRun = process.env['OPENMYNA_TEST_PKCS11_TOKENS'];
  if (fromRun) {
    tokens = JSON.parse(fromRun) as { main: TestToken; spare: TestToken };
    return tokens;
  }
  tokenDirectory();
  const run = randomBytes(4).toString('hex');
  tokens = { main: initToken(`openmyna-${run}`), spare: initToken(`spare-${run}`) };
  // Child processes (crash tests, services) find the same tokens.
  process.env['OPENMYNA_TEST_PKCS11_TOKENS'] = JSON.stringify(tokens);
  return tokens;
}

/** Whether this run keeps the test authorities' keys in SoftHSM2 (`OPENMYNA_TEST_KEYS=pkcs11`). */
export const TOKEN_KEYS = process.env['OPENMYNA_TEST_KEYS'] === 'pkcs11';

/**
 * A custody on this process's main token under a namespace of its own, so each test authority's keys
 * are its own although their names repeat. Imported lazily: package tests never load the issuer.
 */
export async function freshTokenCustody(): Promise<KeyCustody> {
  const { openPkcs11Custody } = await import('@openmyna/issuer');
  const { main } = softHsmTokens();
  return openPkcs11Custody({ uri: main.uri, pin: main.pin, namespace: randomBytes(8).toString('hex') });
}

/** A new RSA-2048 signer for the named key: in the token when {@link TOKEN_KEYS}, else in software. */
export async function testRsaSigner(name: RsaKeyName): Promise<Signer> {
  return TOKEN_KEYS ? (await freshTokenCustody()).createRsaSigner(name) : SoftwareSigner.generate();
}
