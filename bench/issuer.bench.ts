import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { renderFacePhoto } from '@openmyna/core';
import { certIdFor, encodeOcspRequest, parseCertificate } from '@openmyna/pki';
import { migrate, openDatabase } from '@openmyna/storage';
import autocannon from 'autocannon';
import type { Kysely } from 'kysely';

import {
  completeProvisioning,
  createPerson,
  ISSUER_MIGRATIONS,
  issueCard,
  openProvisioningSession,
  type IssuerContext,
  type IssuerSchema,
} from '@openmyna/issuer';
import {
  makeProvisioningAuthorities,
  registryPerson,
  testRandom,
  TEST_REGISTRY_KEY,
} from '../test-support/issuer-fixtures.js';
import { newPhoneRsaKeys, phoneCompletes } from '../test-support/phone-proofs.js';
import { compare } from './harness.js';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Provisioning completions on one core (SQLite): every check and issuance of DESIGN.md flow 2, against
 * the raw signing work one completion needs — 6 RSA-2048 signatures (2 certificates, the 入力補助
 * integrity record, 3 券面 records) and 1 ES256 (the MSO) — in OpenSSL, in the same run. The registry
 * write that renders the card-face images (moved out of provisioning) is measured beside it.
 */
export async function benchProvisioning(): Promise<void> {
  const database = openDatabase<IssuerSchema>(join(mkdtempSync(join(tmpdir(), 'openmyna-bench-')), 'issuer.db'));
  await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
  const context: IssuerContext = {
    db: database.db,
    clock: () => new Date(),
    randomBytes: testRandom,
    registryKey: TEST_REGISTRY_KEY,
  };
  const { authorities } = await makeProvisioningAuthorities(new Date());
  const { input } = registryPerson('bench', 1);
  const photo = renderFacePhoto({ faceSeed: 1, sex: '1', age: 40 });
  let registered = 1;
  await createPerson(context, { ...input, photo }, 'bench');
  const card = await issueCard(context, {
    personId: input.id,
    authorities,
    cardFace: authorities.cardFace,
    pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
    actor: 'bench',
  });
  const keys = await newPhoneRsaKeys();
  const pool: { sessionId: string; body: Awaited<ReturnType<typeof phoneCompletes>> }[] = [];
  const POOL = Number(process.env['OPENMYNA_BENCH_PROVISIONING_POOL'] ?? 120);
  for (let i = 0; i < POOL; i++) {
    const { sessionId, nonce } = await openProvisioningSession(context);
    pool.push({ sessionId, body: await phoneCompletes(card.document, card.passphrase, nonce, { keys }) });
  }
  const rsa = createPrivateKey(
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
  );
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const data = new Uint8Array(1200).fill(3);
  await compare(
    `phone provisioning, one core, SQLite (${POOL} prepared sessions)`,
    {
      name: 'raw signing work: 6 RSA-2048 + 1 ES256 (OpenSSL)',
      unit: 'provisioning',
      run: () => {
        for (let i = 0; i < 6; i++) sign('sha256', data, rsa);
        sign('sha256', data, { key: ec, dsaEncoding: 'ieee-p1363' });
      },
    },
    [
      {
        name: 'completeProvisioning (checks, 2 certificates, records, mdoc, database)',
        unit: 'provisioning',
        run: async () => {
          const next = pool.pop();
          if (!next) throw new Error('the prepared sessions ran out; raise OPENMYNA_BENCH_PROVISIONING_POOL');
          await completeProvisioning(context, authorities, next.sessionId, next.body);
        },
      },
      {
        // The card-face images are rendered here, once per registry change, not per provisioning.
        name: 'createPerson (registry write, renders the card face: JPEG 2000 photo + text images)',
        unit: 'person',
        run: async () => {
          const { input: next } = registryPerson('bench', ++registered);
          await createPerson(context, { ...next, photo }, 'bench');
        },
      },
    ],
  );
  await database.close();
}

/** OCSP through the issuer service (its own process) under load from this one: autocannon on loopback. */
export async function benchIssuerOcsp(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'openmyna-bench-issuer-'));
  const cli = resolve(ROOT, 'apps/cli/dist/main.js');
  await new Promise<void>((done, fail) => {
    const setup = spawn(process.execPath, [cli, 'sandbox', 'up', '--data', 'data', '--persons', '5', '--no-serve'], {
      cwd: dir,
      stdio: 'ignore',
    });
    setup.once('exit', (code) => (code === 0 ? done() : fail(new Error(`sandbox up exited ${code}`))));
  });
  const child = spawn(process.execPath, [cli, 'issuer', 'serve', '--data', 'data', '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    const url = await new Promise<string>((ready) => {
      let text = '';
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /openmyna issuer on (http:\/\/\S+)/.exec(text);
        if (match) ready(match[1]!);
      });
    });
    const { readFileSync } = await import('node:fs');
    const card = JSON.parse(readFileSync(join(dir, 'data', 'cards', 'P0000001.json'), 'utf8')) as {
      jpki: { authenticationCertificate: string; authenticationCaCertificate: string };
    };
    const certificate = parseCertificate(new Uint8Array(Buffer.from(card.jpki.authenticationCertificate, 'base64')));
    const issuer = parseCertificate(new Uint8Array(Buffer.from(card.jpki.authenticationCaCertificate, 'base64')));
    const body = Buffer.from(encodeOcspRequest([certIdFor(certificate, issuer)]));
    const seconds = Number(process.env['OPENMYNA_BENCH_HTTP_SECONDS'] ?? 60);
    const load = async (path: string, method: 'GET' | 'POST') => {
      const result = await autocannon({
        url: `${url}${path}`,
        method,
        ...(method === 'POST' ? { headers: { 'content-type': 'application/ocsp-request' }, body } : {}),
        connections: 32,
        duration: seconds,
      });
      return {
        rate: result.requests.average,
        errors: result.errors + result.non2xx,
        p50: result.latency.p50,
        p99: result.latency.p99,
      };
    };
    const baseline = await load('/healthz', 'GET');
    const ocsp = await load('/ocsp/authentication', 'POST');
    console.log(
      `\nOCSP through the issuer service (its own process; load: autocannon, 32 connections, ${seconds} s each)`,
    );
    console.log(
      `  /healthz (baseline: one database round trip)   ${baseline.rate.toFixed(0).padStart(7)} req/s  p50 ${baseline.p50} ms  p99 ${baseline.p99} ms  errors ${baseline.errors}`,
    );
    console.log(
      `  POST /ocsp/authentication (pre-produced)      ${ocsp.rate.toFixed(0).padStart(7)} req/s  p50 ${ocsp.p50} ms  p99 ${ocsp.p99} ms  errors ${ocsp.errors}  ${(ocsp.rate / baseline.rate).toFixed(2)}× baseline`,
    );
  } finally {
    child.kill('SIGTERM');
  }
}
