#!/usr/bin/env node
// The first step of `npm test`: makes sure this machine has what the suite drives besides Node.js —
// Debian packages (OpenSSL as the PKI tests' peer, the PC/SC stack, Chromium, a Japanese font,
// libfaketime) and a reachable PostgreSQL — installing what is missing when it can (root with
// apt-get), and otherwise stopping at once with the exact command to run. It records the versions it
// found in artifacts/test-tools.json, which the test summary prints.
//
// Plain JavaScript with no dependencies: it runs before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Each Debian package the suite needs, and why. */
const PACKAGES = [
  ['openssl', 'the PKI tests check our certificates, CRLs, OCSP and CMS with OpenSSL'],
  ['pcscd', 'the PC/SC daemon that reads the virtual card through vpcd'],
  ['vsmartcard-vpcd', "vsmartcard's virtual reader driver"],
  ['opensc', 'OpenSC reads and signs with the virtual card and the phone as PC software does'],
  ['pcsc-tools', 'PC/SC diagnostics'],
  ['libpcsclite-dev', 'lets npm build the PC/SC bindings (@pokusew/pcsclite)'],
  ['fonts-ipafont-gothic', 'the Japanese font card-face images and the browser tests render with'],
  ['chromium', "the browser the wallet's and the e2e tests drive through playwright-core"],
  ['faketime', 'runs the clock-sensitive tests with the clock years ahead'],
  ['softhsm2', "the PKCS#11 token the issuer's tests keep the authority's keys in (scripts/test-pkcs11.mjs)"],
  ['haproxy', 'the round-robin load balancer in front of two issuers and two verifiers (e2e/cluster.test.ts)'],
];

const PG_URL = process.env.OPENMYNA_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.OPENMYNA_TEST_REDIS ?? 'redis://127.0.0.1:6379';

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

function say(line) {
  process.stdout.write(`test-setup: ${line}\n`);
}

function stop(lines) {
  for (const line of lines) process.stderr.write(`test-setup: ${line}\n`);
  process.exit(1);
}

function installed(name) {
  const query = run('dpkg-query', ['-W', '-f=${Status}', name]);
  return query.status === 0 && query.stdout.includes('install ok installed');
}

function version(name) {
  const query = run('dpkg-query', ['-W', '-f=${Version}', name]);
  return query.status === 0 ? query.stdout.trim() : undefined;
}

function ensurePackages() {
  if (run('dpkg-query', ['--version']).error) {
    stop([
      'this is not a Debian-based machine (no dpkg-query); install the equivalents of:',
      ...PACKAGES.map(([name, why]) => `  ${name} — ${why}`),
      'then set OPENMYNA_SKIP_SYSTEM_CHECK=1 to skip this check.',
    ]);
  }
  const missing = PACKAGES.filter(([name]) => !installed(name)).map(([name]) => name);
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || run('apt-get', ['--version']).error) {
    stop([
      `missing Debian packages: ${missing.join(', ')}`,
      'install them, then run npm test again:',
      `  sudo ${command}`,
    ]);
  }
  say(`installing ${missing.join(' ')} (apt-get; a minute or a few on a fresh machine)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...missing],
  ]) {
    const result = run('apt-get', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) {
      stop([`apt-get ${args[0]} failed:`, (result.stderr || result.stdout).trim(), `run it yourself: ${command}`]);
    }
  }
}

/** Whether a native optional dependency was built by `npm ci` (it is skipped when its headers are missing). */
function pcscBindingsBuilt() {
  return (
    run(process.execPath, ['-e', "require('@pokusew/pcsclite')"], { cwd: resolve(ROOT, 'packages/card') }).status === 0
  );
}

function ensurePcscBindings() {
  if (pcscBindingsBuilt()) return;
  // npm ci leaves an optional native module out when it cannot build it — here, when libpcsclite-dev
  // was missing as it ran. The headers are there now, so one more npm ci builds it.
  say('the PC/SC bindings (@pokusew/pcsclite) are not built: running npm ci again to build them (about a minute)');
  const result = run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0 || !pcscBindingsBuilt()) {
    stop([
      'npm ci could not build @pokusew/pcsclite (it needs libpcsclite-dev, python3, make and g++):',
      (result.stderr || '').trim(),
    ]);
  }
}

function reachable(host, port) {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (ok) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function ensurePostgres() {
  const url = new URL(PG_URL);
  const host = url.hostname;
  const port = Number(url.port || 5432);
  if (await reachable(host, port)) return;
  // A Debian PostgreSQL that is installed but not running (no systemd here): start its cluster.
  const clusters = run('pg_lsclusters', ['-h']);
  if (!clusters.error && clusters.status === 0 && process.getuid?.() === 0) {
    for (const line of clusters.stdout.trim().split('\n').filter(Boolean)) {
      const [clusterVersion, name] = line.split(/\s+/);
      say(`starting PostgreSQL ${clusterVersion}/${name}`);
      run('pg_ctlcluster', ['--skip-systemctl-redirect', clusterVersion, name, 'start']);
    }
    for (let attempt = 0; attempt < 20 && !(await reachable(host, port)); attempt++) {
      await new Promise((wait) => setTimeout(wait, 500));
    }
    if (await reachable(host, port)) return;
  }
  stop([
    `PostgreSQL is not reachable at ${host}:${port}; every storage test also runs on it.`,
    'Start a server with trust authentication and a database "test" there, or point OPENMYNA_TEST_PG at one',
    '(e.g. OPENMYNA_TEST_PG=postgres://user@host:5432/db npm test).',
  ]);
}

/** Redis answers PING: the multi-instance tests share relay sessions and rate limits through it. */
async function ensureRedis() {
  const url = new URL(REDIS_URL);
  const host = url.hostname;
  const port = Number(url.port || 6379);
  const answer = await new Promise((resolvePromise) => {
    const socket = connect({ host, port, timeout: 2000 });
    let received = '';
    const done = (value) => {
      socket.destroy();
      resolvePromise(value);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (received.includes('\r\n')) done(received.trim());
    });
    socket.once('timeout', () => done(undefined));
    socket.once('error', () => done(undefined));
  });
  if (answer === '+PONG') return;
  stop([
    `Redis is not answering at ${host}:${port}${answer ? ` (it said ${answer})` : ''}; the multi-instance tests share state through it.`,
    'Start one (apt-get install redis-server; redis-server --daemonize yes), or point OPENMYNA_TEST_REDIS at one.',
  ]);
}

function toolVersions() {
  const first = (command, args) => {
    const result = run(command, args);
    return result.status === 0 ? (result.stdout || result.stderr).trim().split('\n')[0] : undefined;
  };
  return {
    node: process.version,
    npm: first('npm', ['--version']),
    openssl: first('openssl', ['version']),
    pcscd: version('pcscd'),
    'vsmartcard-vpcd': version('vsmartcard-vpcd'),
    opensc: version('opensc'),
    chromium: first(process.env.OPENMYNA_CHROMIUM ?? '/usr/bin/chromium', ['--version']),
    faketime: version('faketime'),
    softhsm2: version('softhsm2'),
    haproxy: version('haproxy'),
    postgresql: first('psql', [PG_URL, '-Atc', 'show server_version']),
  };
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) stop([`openmyna needs Node.js >= 20.19, not ${process.version}`]);
if (process.env.OPENMYNA_SKIP_SYSTEM_CHECK === '1') {
  say('OPENMYNA_SKIP_SYSTEM_CHECK=1: not checking the machine');
} else {
  ensurePackages();
  ensurePcscBindings();
  await ensurePostgres();
  await ensureRedis();
}
const tools = toolVersions();
mkdirSync(resolve(ROOT, 'artifacts'), { recursive: true });
writeFileSync(resolve(ROOT, 'artifacts/test-tools.json'), `${JSON.stringify(tools, null, 2)}\n`);
say(
  Object.entries(tools)
    .filter(([, value]) => value)
    .map(([name, value]) => `${name} ${value}`)
    .join(' · '),
);
if (!existsSync(resolve(ROOT, 'node_modules/.bin/vitest'))) stop(['node_modules is incomplete: run npm ci first']);
