import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type VirtualCardDocument } from '@openmyna/card';
import { renderFacePhoto } from '@openmyna/core';
import { decodeIssuedMdoc, decodeMobileSecurityObject, mdocTrustAnchor, verifyStatusListToken } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { certIdFor, derFromPemOrDer, encodeOcspRequest, parseCertificate, parseOcspResponse } from '@openmyna/pki';
import { dropSchema, ensureSchema } from '@openmyna/storage';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';

import { TEST_PG_URL } from '../../../test-support/databases.js';
import { personCreateBody, registryPerson } from '../../../test-support/issuer-fixtures.js';
import { phoneCompletes } from '../../../test-support/phone-proofs.js';
import { timeoutFor } from '../../../test-support/timeouts.js';
import { startIssuer, type RunningIssuer } from '../src/issuer-service.js';
import { run, spawnService, stopService } from './cli-harness.js';

const PUBLIC_URL = 'https://issuer.example.test/jpki';
const photo = renderFacePhoto({ faceSeed: 3, sex: '1', age: 35 });
const started: RunningIssuer[] = [];
afterAll(async () => {
  for (const issuer of started) await issuer.close();
});

/** A data directory with the authority's keys, made for the default base URL (127.0.0.1:8080). */
async function authorityDirectory(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'openmyna-public-url-'));
  const made = await run(['issuer', 'keys', 'init', '--data', 'data'], { cwd: dir });
  expect(made.code, made.stderr).toBe(0);
  return join(dir, 'data');
}

const start = async (dataDir: string, options: { publicUrl?: string; db?: string } = {}) => {
  const issuer = await startIssuer({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    logTo: { file: join(dataDir, 'log') },
    ...options,
  });
  started.push(issuer);
  return issuer;
};

const admin = (issuer: RunningIssuer, path: string, body: unknown) =>
  fetch(`${issuer.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${issuer.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Registers person `index`, issues their card and provisions a phone, all over the issuer's HTTP API. */
async function provision(issuer: RunningIssuer, index: number) {
  const { input } = registryPerson('public-url', index);
  const created = await admin(issuer, '/admin/persons', personCreateBody(input, { birthDate: '1980-01-01', photo }));
  expect(created.status, await created.clone().text()).toBe(201);
  const card = (await (
    await admin(issuer, `/admin/persons/${input.id}/cards`, {
      authenticationPin: '1234',
      signingPassword: 'OPENMYNA1',
      kenhojoPin: '1234',
    })
  ).json()) as { cardId: string; passphrase: string; card: VirtualCardDocument };
  const session = (await (await fetch(`${issuer.url}/provisioning/sessions`, { method: 'POST' })).json()) as {
    sessionId: string;
    nonce: string;
  };
  const completed = await admin(
    issuer,
    `/provisioning/sessions/${session.sessionId}/complete`,
    await phoneCompletes(card.card, card.passphrase, session.nonce),
  );
  expect(completed.status, await completed.clone().text()).toBe(200);
  const bundle = (await completed.json()) as {
    phoneId: string;
    jpki: { authenticationCertificate: string; signingCertificate: string };
    mdoc: string;
    pinResetAuthority: { issuer: string };
  };
  return { card, bundle };
}

const ocspStatus = async (issuer: RunningIssuer, dataDir: string, der: Uint8Array) => {
  const ca = derFromPemOrDer(await readFile(join(dataDir, 'pki', 'authentication', 'ca.pem')), 'CERTIFICATE');
  const response = await fetch(`${issuer.url}/ocsp/authentication`, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request' },
    body: encodeOcspRequest([certIdFor(parseCertificate(der), parseCertificate(ca))]) as Uint8Array<ArrayBuffer>,
  });
  return parseOcspResponse(new Uint8Array(await response.arrayBuffer())).basic!.responses[0]!.certStatus.status;
};

describe('issuer serve --public-url', () => {
  it(
    'writes the public URL, not its bind address, into the MSO status reference, the PIN-reset issuer and new certificates',
    async () => {
      const dataDir = await authorityDirectory();
      const issuer = await start(dataDir, { publicUrl: PUBLIC_URL });
      const { bundle } = await provision(issuer, 1);
      const mdoc = decodeIssuedMdoc(new Uint8Array(Buffer.from(bundle.mdoc, 'base64')));
      const mso = decodeMobileSecurityObject(mdoc.issuerSigned.issuerAuth.payload);
      expect(mso.status?.uri).toBe(`${PUBLIC_URL}/mdoc/status/1`);
      expect(bundle.pinResetAuthority.issuer).toBe(PUBLIC_URL);
      // The status list served names itself by the public URL too.
      const token = new Uint8Array(await (await fetch(`${issuer.url}/mdoc/status/1`)).arrayBuffer());
      const iaca = mdocTrustAnchor(
        derFromPemOrDer(await readFile(join(dataDir, 'pki', 'mdoc', 'iaca.pem')), 'CERTIFICATE'),
      );
      const verified = await verifyStatusListToken({
        token,
        uri: `${PUBLIC_URL}/mdoc/status/1`,
        anchors: [iaca],
        time: new Date(),
        crypto: nodeMdocCrypto,
      });
      expect(verified.checks.filter((check) => check.status !== 'pass')).toEqual([]);
      // The phone's JPKI certificates name the public OCSP responder and CRL partitions.
      for (const [hierarchy, certificate] of [
        ['authentication', bundle.jpki.authenticationCertificate],
        ['signing', bundle.jpki.signingCertificate],
      ] as const) {
        const der = Buffer.from(certificate, 'base64');
        expect(der.includes(`${PUBLIC_URL}/ocsp/${hierarchy}`)).toBe(true);
        expect(der.includes(`${PUBLIC_URL}/crl/${hierarchy}/`)).toBe(true);
        expect(der.includes(issuer.url)).toBe(false);
        expect(der.includes('127.0.0.1')).toBe(false);
      }
    },
    timeoutFor({ 'issuer keys init': [1, 5_000], 'card and provisioning': [1, 5_000] }),
  );

  it(
    'as the built binary, serves a status list that names the public URL',
    async () => {
      const dataDir = await authorityDirectory();
      const { url, child } = await spawnService(join(dataDir, '..'), 'issuer', 0, ['--public-url', `${PUBLIC_URL}/`]);
      try {
        const token = new Uint8Array(await (await fetch(`${url}/mdoc/status/1`)).arrayBuffer());
        const iaca = mdocTrustAnchor(
          derFromPemOrDer(await readFile(join(dataDir, 'pki', 'mdoc', 'iaca.pem')), 'CERTIFICATE'),
        );
        const verify = (uri: string) =>
          verifyStatusListToken({ token, uri, anchors: [iaca], time: new Date(), crypto: nodeMdocCrypto });
        expect((await verify(`${PUBLIC_URL}/mdoc/status/1`)).statusList).toBeDefined();
        expect((await verify(`${url}/mdoc/status/1`)).statusList).toBeUndefined();
        expect(await stopService(child)).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
    },
    timeoutFor({ 'issuer keys init': [1, 5_000], serve: [1, 3_000] }),
  );
});

describe('two `startIssuer`s over one PostgreSQL and one data directory', () => {
  const schema = `t_${Math.random().toString(36).slice(2, 12)}`;
  afterAll(() => dropSchema(TEST_PG_URL, schema));

  it(
    "show a phone revoked through one in the other's OCSP within a second",
    async () => {
      await ensureSchema(TEST_PG_URL, schema);
      const db = `${TEST_PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const dataDir = await authorityDirectory();
      const a = await start(dataDir, { db, publicUrl: PUBLIC_URL });
      const b = await start(dataDir, { db, publicUrl: PUBLIC_URL });
      const { bundle } = await provision(a, 2);
      const certificate = new Uint8Array(Buffer.from(bundle.jpki.authenticationCertificate, 'base64'));
      expect(await ocspStatus(b, dataDir, certificate)).toBe('good');
      expect((await admin(a, `/admin/phones/${bundle.phoneId}/revoke`, { reason: '紛失（スマホ）' })).status).toBe(200);
      const deadline = Date.now() + 1_000;
      let status = await ocspStatus(b, dataDir, certificate);
      while (status !== 'revoked' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        status = await ocspStatus(b, dataDir, certificate);
      }
      expect(status).toBe('revoked');
    },
    timeoutFor({ 'issuer keys init': [1, 5_000], 'card and provisioning': [1, 5_000] }),
  );
});
