import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import { freePort } from './cli-harness.js';

/** `sandbox up` serving on free ports in `dir`, until its walkthrough is printed; returns the RP demo's URL. */
async function sandboxUp(dir: string): Promise<{ child: ChildProcessWithoutNullStreams; rp: string }> {
  const ports = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  const names = ['--issuer-port', '--verifier-port', '--wallet-port', '--rp-port', '--shop-port'];
  const child = spawn(
    process.execPath,
    [
      resolve(REPO_ROOT, 'apps/cli/dist/main.js'),
      'sandbox',
      'up',
      '--data',
      'data',
      '--persons',
      '1',
      ...names.flatMap((name, index) => [name, String(ports[index])]),
    ],
    { cwd: dir },
  );
  let output = '';
  await new Promise<void>((ready, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Walkthrough:')) ready();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`the sandbox exited ${code}: ${output}`)));
  });
  return { child, rp: /RP demo\s+(http\S+)/.exec(output)![1]! };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

/** The authorization request 「デジタル認証アプリ方式でログイン」 sends the browser to. */
async function authorizationRequest(rp: string): Promise<URL> {
  const response = await fetch(`${rp}/oidc/login`, { method: 'POST', redirect: 'manual' });
  expect(response.status).toBe(303);
  return new URL(response.headers.get('location')!);
}

/**
 * `sandbox up` makes the securities firm's OpenID Connect keys once (0600, the private halves only there)
 * and registers its client at every start: a second `up` on the same data directory keeps the keys and the
 * client id (the verifier's PUT replaces), and the firm's 「デジタル認証アプリ方式でログイン」 reaches the provider.
 */
describe('openmyna sandbox up: the securities firm as an OpenID Connect client', () => {
  const running: ChildProcessWithoutNullStreams[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map(stop));
  });

  it('keeps its keys and client id across two ups; its login goes to the verifier’s provider', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-sandbox-oidc-'));
    const keysFile = join(dir, 'data', 'rp-demo', 'oidc-keys.json');
    const first = await sandboxUp(dir);
    running.push(first.child);
    const login = await authorizationRequest(first.rp);
    expect(login.pathname).toBe('/api/realms/main/protocol/openid-connect/auth');
    expect(login.searchParams.get('redirect_uri')).toBe(`${first.rp}/oidc/callback`);
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    const keys = readFileSync(keysFile, 'utf8');
    expect(Object.keys(JSON.parse(keys) as object)).toEqual(['signingKey', 'encryptionKey']);
    await stop(first.child);

    const second = await sandboxUp(dir);
    running.push(second.child);
    const again = await authorizationRequest(second.rp);
    expect(again.searchParams.get('client_id')).toBe(login.searchParams.get('client_id'));
    expect(readFileSync(keysFile, 'utf8')).toBe(keys);
    // The verifier's page for this authorization answers: the client, its redirect URI and key are registered.
    const page = await fetch(again, { redirect: 'manual' });
    expect(page.status, await page.clone().text()).toBe(303);
    expect(page.headers.get('location')).toMatch(/\/api\/realms\/main\/interaction\//);
  }, 90_000);
});
