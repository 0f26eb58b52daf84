// Issuer and verifier instances of the capacity benchmark: real processes of the built CLI
// (`openmyna issuer serve` / `verifier serve`) over one PostgreSQL database each, the data directory
// made by `openmyna sandbox up`, and the registry entries, cards and relying parties the loads use,
// made through the services' admin APIs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { generatePerson, renderFacePhoto } from '@openmyna/core';
import type { VirtualCardDocument } from '@openmyna/card';

import { CAPACITY_SEED } from './capacity-registry.js';

const CLI = resolve(import.meta.dirname, '..', 'apps/cli/dist/main.js');
export const ISSUER_ADMIN_TOKEN = 'capacity-bench-issuer-admin';
export const VERIFIER_ADMIN_TOKEN = 'capacity-bench-verifier-admin';

/** A data directory with the sandbox's CAs, whose certificates name the issuer at `issuerPort` (OCSP). */
export async function prepareDataDir(issuerPort: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'openmyna-capacity-'));
  const args = ['sandbox', 'up', '--data', 'data', '--persons', '1', '--no-serve', '--issuer-port', String(issuerPort)];
  await new Promise<void>((done, fail) => {
    const setup = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: 'ignore' });
    setup.once('exit', (code) => (code === 0 ? done() : fail(new Error(`sandbox up exited ${code}`))));
  });
  return join(dir, 'data');
}

export interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
}

/** Starts `openmyna <service> serve` on `port` and resolves once it listens. */
export function startInstance(
  service: 'issuer' | 'verifier',
  dataDir: string,
  db: string,
  port: number,
  registryKey: string,
  redis?: string,
): Promise<Instance> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      service,
      'serve',
      '--data',
      dataDir,
      '--db',
      db,
      '--port',
      String(port),
      ...(redis ? ['--redis', redis] : []),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        OPENMYNA_ADMIN_TOKEN: ISSUER_ADMIN_TOKEN,
        OPENMYNA_VERIFIER_ADMIN_TOKEN: VERIFIER_ADMIN_TOKEN,
        OPENMYNA_ISSUER_REGISTRY_KEY: registryKey,
        // The load generator stands in for many phones: it names each one's address in X-Forwarded-For,
        // which the services believe from this host only (the per-address limits then count phones).
        OPENMYNA_TRUSTED_PROXIES: '127.0.0.1',
      },
    },
  );
  return new Promise((ready, fail) => {
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = new RegExp(`openmyna ${service} on (http://\\S+)`).exec(text);
      if (match) ready({ url: match[1]!, child });
    });
    child.once('exit', (code) => fail(new Error(`${service} serve exited ${code}: ${text.slice(-500)}`)));
  });
}

/** Stops the instances (SIGTERM) and waits for each to exit. */
export async function stopInstances(instances: readonly Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async ({ child }) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }),
  );
}

/** CPU seconds the instances' processes have used so far (user + system, all threads; Linux `/proc/<pid>/stat`). */
export function cpuSeconds(instances: readonly Instance[]): number {
  return instances.reduce((sum, { child }) => {
    // Fields 14 and 15 after the parenthesised command name: utime and stime in clock ticks (100/s).
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return sum + (Number(fields[11]) + Number(fields[12])) / 100;
  }, 0);
}

async function expectJson<T>(response: Response, status: number, what: string): Promise<T> {
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const admin = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

/** A card issued at the counter through the issuer's admin API. */
export interface IssuedCard {
  readonly personId: string;
  readonly passphrase: string;
  readonly card: VirtualCardDocument;
}

/** `count` indexes from `start` on of persons aged 20 or more (minors' cards hold fewer JPKI certificates). */
export function adultIndexes(start: number, count: number, now = new Date()): number[] {
  const cutoff = `${now.getUTCFullYear() - 20}${now.toISOString().slice(4, 10)}`;
  const indexes: number[] = [];
  for (let index = start; indexes.length < count; index++)
    if (generatePerson({ seed: CAPACITY_SEED }, index).birthDate <= cutoff) indexes.push(index);
  return indexes;
}

/** Registers person `index` of the capacity population and issues a card (PINs 1234 / OPENMYNA1). */
export async function registerWithCard(issuerUrl: string, index: number): Promise<IssuedCard> {
  const person = generatePerson({ seed: CAPACITY_SEED }, index);
  const photo = renderFacePhoto({ faceSeed: person.faceSeed, sex: person.sex, age: 40 });
  await expectJson(
    await fetch(`${issuerUrl}/admin/persons`, {
      method: 'POST',
      headers: admin(ISSUER_ADMIN_TOKEN),
      body: JSON.stringify({
        id: person.id,
        name: person.name,
        nameKana: person.nameKana,
        address: person.address,
        birthDate: person.birthDate,
        sex: person.sex,
        myNumber: person.myNumber,
        residentCode: person.residentCode,
        municipalityCode: person.municipalityCode,
        photo: Buffer.from(photo).toString('base64'),
      }),
    }),
    201,
    'POST /admin/persons',
  );
  const issued = await expectJson<{ passphrase: string; card: VirtualCardDocument }>(
    await fetch(`${issuerUrl}/admin/persons/${person.id}/cards`, {
      method: 'POST',
      headers: admin(ISSUER_ADMIN_TOKEN),
      body: JSON.stringify({ authenticationPin: '1234', signingPassword: 'OPENMYNA1', kenhojoPin: '1234' }),
    }),
    201,
    'POST /admin/persons/{id}/cards',
  );
  return { personId: person.id, passphrase: issued.passphrase, card: issued.card };
}

/** Registers `count` relying parties (JPKI login needs no My Number purpose); returns their API keys. */
export async function registerRelyingParties(verifierUrl: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const party = await expectJson<{ apiKey: string }>(
      await fetch(`${verifierUrl}/admin/relying-parties`, {
        method: 'POST',
        headers: admin(VERIFIER_ADMIN_TOKEN),
        body: JSON.stringify({ name: `capacity ${i} 株式会社`, myNumberPurpose: 'none' }),
      }),
      201,
      'POST /admin/relying-parties',
    );
    keys.push(party.apiKey);
  }
  return keys;
}

export { expectJson };
