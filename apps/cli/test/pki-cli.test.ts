import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { IssuerSchema } from '@openmyna/issuer';
import { openDatabase } from '@openmyna/storage';
import { beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import { run } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'openmyna-pki-cli-'));
const at = (name: string) => join(dir, name);
const openssl = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
let serial = '';
/** OpenSSL signs doc.txt (detached CMS, SHA-256) with key.pem and the certificate `signer`, into `out`. */
const opensslSignsDoc = (signer: string, out: string) =>
  execFileSync('openssl', [
    'cms', '-sign', '-binary', '-md', 'sha256', '-in', at('doc.txt'), '-signer', at(signer),
    '-inkey', at('key.pem'), '-outform', 'DER', '-out', at(out),
  ]); // prettier-ignore
/** `pki issue` of P0000003's certificate in `hierarchy` from request.csr, written to `out`. */
const issueFor = (hierarchy: 'signing' | 'authentication', out: string) =>
  run(
    [
      'pki',
      'issue',
      '--data',
      'data',
      '--person',
      'P0000003',
      '--csr',
      'request.csr',
      '--hierarchy',
      hierarchy,
      '--out',
      out,
    ],
    { cwd: dir },
  );
/** Where the certificates' AIA and CRL pointers lead: a port nothing listens on until ocsp-serve takes it. */
let responderPort = 0;

beforeAll(async () => {
  responderPort = await new Promise<number>((found) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => found(port));
    });
  });
  const init = ['pki', 'init', '--data', 'data', '--base-url', `http://127.0.0.1:${responderPort}`];
  expect((await run(init, { cwd: dir })).code).toBe(0);
  // Piped: OpenSSL's key-generation dots stay out of the test log (a failure's error carries them).
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', at('key.pem')], {
    stdio: 'pipe',
  });
  // The CSR's subject is ignored: the certificate is built from the registry's data.
  const subject = '/C=US/CN=Not From The Registry';
  execFileSync('openssl', ['req', '-new', '-key', at('key.pem'), '-subj', subject, '-out', at('request.csr')], {
    stdio: 'pipe',
  });
  const issue = await issueFor('signing', 'ee.pem');
  expect(issue.code).toBe(0);
  serial = /certificate ([0-9a-f]+) to P0000003/.exec(issue.stderr)![1]!;
}, 60_000);

describe('openmyna pki', () => {
  it('refuses to overwrite an existing CA without --force', async () => {
    const again = await run(['pki', 'init', '--data', 'data'], { cwd: dir });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already exists');
  });

  it('keeps CA keys encrypted at rest', () => {
    const keyFile = readFileSync(at('data/pki/signing/ca-key.json'), 'utf8');
    expect(keyFile).toContain('openmyna-key/1');
    expect(keyFile).not.toContain('PRIVATE KEY');
  });

  it('issues certificates that openssl verify accepts, built from the registry and not from the CSR', () => {
    const result = openssl(['verify', '-CAfile', 'data/pki/signing/ca.pem', 'ee.pem']);
    expect(result.stdout).toContain('ee.pem: OK');
    const subject = openssl(['x509', '-in', 'ee.pem', '-noout', '-subject']).stdout;
    expect(subject).not.toContain('Not From The Registry');
    expect(subject).toMatch(/C = JP, L = /);
  });

  it('refuses a CSR whose signature does not match its key', async () => {
    const der = execFileSync('openssl', ['req', '-in', at('request.csr'), '-outform', 'DER']);
    der[der.length - 3]! ^= 0x01;
    writeFileSync(at('bad.csr'), der);
    const result = await run(
      ['pki', 'issue', '--data', 'data', '--person', 'P0000004', '--csr', 'bad.csr', '--hierarchy', 'signing'],
      { cwd: dir },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('ERR_PROOF_OF_POSSESSION');
  });

  it('verifies CMS signatures made by OpenSSL, printing the checks (exit 0), and fails a changed document (exit 1)', async () => {
    writeFileSync(at('doc.txt'), 'hello');
    opensslSignsDoc('ee.pem', 'doc.p7s');
    const offline = ['pki', 'verify-cms', '--data', 'data', '--sig', 'doc.p7s', '--offline'];
    const good = await run([...offline, '--in', 'doc.txt'], { cwd: dir });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/pass\s+cms\.signature/);
    expect(good.stdout).toContain('revocation not checked (--offline)');
    expect(good.stdout.trim().endsWith('valid')).toBe(true);
    writeFileSync(at('other.txt'), 'hellO');
    const bad = await run([...offline, '--in', 'other.txt'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/fail\s+cms\.message-digest/);
  });

  it('checks revocation by default: with no responder and no CRL reachable, status-unknown (exit 4), never valid', async () => {
    const unknown = await run(['pki', 'verify-cms', '--data', 'data', '--sig', 'doc.p7s', '--in', 'doc.txt'], {
      cwd: dir,
    });
    expect(unknown.code).toBe(4);
    expect(unknown.stdout.trim().endsWith('status-unknown')).toBe(true);
  });

  it('refuses a signature made with a 利用者証明用 (authentication) certificate, as OpenSSL does', async () => {
    const issued = await issueFor('authentication', 'auth.pem');
    expect(issued.code, issued.stderr).toBe(0);
    opensslSignsDoc('auth.pem', 'auth.p7s');
    for (const trust of [[], ['--trust', 'data/pki/signing/ca.pem', 'data/pki/authentication/ca.pem']]) {
      const refused = await run(
        ['pki', 'verify-cms', '--data', 'data', '--sig', 'auth.p7s', '--in', 'doc.txt', '--offline', ...trust],
        { cwd: dir },
      );
      expect(refused.code, refused.stdout).toBe(1);
      expect(refused.stdout.trim().endsWith('invalid')).toBe(true);
    }
  });

  it('revokes, writes the partition CRL that openssl uses, and refuses to revoke twice', async () => {
    expect(
      (await run(['pki', 'revoke', '--data', 'data', '--serial', serial, '--reason', 'keyCompromise'], { cwd: dir }))
        .code,
    ).toBe(0);
    expect((await run(['pki', 'revoke', '--data', 'data', '--serial', serial], { cwd: dir })).code).toBe(3);
    expect((await run(['pki', 'revoke', '--data', 'data', '--serial', 'abcd'], { cwd: dir })).stderr).toContain(
      'no certificate',
    );
    const municipality = /CRL signing\/(\d{5})/.exec(
      (
        await run(
          [
            'pki',
            'crl',
            '--data',
            'data',
            '--hierarchy',
            'signing',
            '--municipality',
            '28204',
            '--out',
            'c.crl',
            '--pem',
          ],
          { cwd: dir },
        )
      ).stderr,
    )?.[1];
    expect(municipality).toBe('28204');
    const verify = openssl([
      'verify',
      '-crl_check',
      '-CAfile',
      'data/pki/signing/ca.pem',
      '-CRLfile',
      'c.crl',
      'ee.pem',
    ]);
    expect(verify.stdout + verify.stderr).toContain('certificate revoked');
    expect(openssl(['crl', '-in', 'c.crl', '-noout', '-text']).stdout).toContain('Key Compromise');
    const checked = await run(
      ['pki', 'verify-cms', '--data', 'data', '--sig', 'doc.p7s', '--in', 'doc.txt', '--crl', 'c.crl'],
      { cwd: dir },
    );
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/fail\s+certificate\[0\]\.revocation/);
  });

  it('keeps what it issues in the issuer registry, and signs nothing when the registry cannot be reached', async () => {
    // The certificate issued in beforeAll is on the issuer's record, with its audit entry.
    const database = openDatabase<IssuerSchema>(at('data/issuer.db'));
    try {
      const row = await database.db
        .selectFrom('certificates')
        .select(['status', 'person_id'])
        .where('serial', '=', serial)
        .executeTakeFirstOrThrow();
      expect(row.person_id).toBe('P0000003');
    } finally {
      await database.close();
    }
    const issue = await run(
      [
        'pki',
        'issue',
        '--data',
        'data',
        '--db',
        'postgres://nobody@127.0.0.1:1/none',
        '--person',
        'P0000004',
        '--csr',
        'request.csr',
        '--hierarchy',
        'authentication',
        '--out',
        'other.pem',
      ],
      { cwd: dir },
    );
    expect(issue.code).not.toBe(0);
    expect(existsSync(at('other.pem'))).toBe(false);
  });

  it('rejects bad options as usage errors', async () => {
    expect(
      (
        await run(
          ['pki', 'issue', '--data', 'data', '--person', 'P3', '--csr', 'request.csr', '--hierarchy', 'signing'],
          { cwd: dir },
        )
      ).code,
    ).toBe(2);
    expect(
      (
        await run(['pki', 'crl', '--data', 'data', '--hierarchy', 'nope', '--municipality', '1', '--out', 'x'], {
          cwd: dir,
        })
      ).code,
    ).toBe(2);
    expect(
      (await run(['pki', 'revoke', '--data', 'data', '--serial', serial, '--reason', 'because'], { cwd: dir })).code,
    ).toBe(2);
  });

  it('serves OCSP over HTTP to openssl ocsp (ocsp-serve)', async () => {
    const main = resolve(REPO_ROOT, 'apps/cli/dist/main.js');
    const child = spawn(
      process.execPath,
      [main, 'pki', 'ocsp-serve', '--data', 'data', '--port', String(responderPort)],
      { cwd: dir },
    );
    const url = await new Promise<string>((ready, failed) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /(http:\/\/127\.0\.0\.1:\d+)\/ocsp/.exec(chunk.toString());
        if (match) ready(match[1]!);
      });
      child.on('exit', (code) => failed(new Error(`ocsp-serve exited with ${code}`)));
    });
    try {
      const answer = openssl([
        'ocsp',
        '-issuer',
        'data/pki/signing/ca.pem',
        '-cert',
        'ee.pem',
        '-url',
        `${url}/ocsp/signing`,
        '-CAfile',
        'data/pki/signing/ca.pem',
      ]);
      expect(answer.stdout + answer.stderr).toContain('Response verify OK');
      expect(answer.stdout).toContain('ee.pem: revoked');
      // A client that goes away mid-body does not stop the server (it died of an uncaught 'aborted').
      for (let i = 0; i < 3; i++)
        await new Promise<void>((done) => {
          const partial = httpRequest(`${url}/ocsp/signing`, {
            method: 'POST',
            headers: { 'content-type': 'application/ocsp-request', 'content-length': '1000' },
          });
          partial.on('error', () => done());
          partial.write(Buffer.alloc(10), () => setTimeout(() => (partial.destroy(), done()), 50));
        });
      await new Promise((settle) => setTimeout(settle, 200));
      expect(child.exitCode).toBeNull();
      // And relying parties find the revocation through the certificate's own OCSP pointer, by default.
      const revoked = await run(['pki', 'verify-cms', '--data', 'data', '--sig', 'doc.p7s', '--in', 'doc.txt'], {
        cwd: dir,
      });
      expect(revoked.code).toBe(1);
      expect(revoked.stdout).toMatch(/fail\s+certificate\[0\]\.revocation/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('pki verify: RFC 5280 path validation with its policy inputs (NIST PKITS paths)', () => {
  const pkits = (kind: 'certs' | 'crls', name: string) =>
    resolve(REPO_ROOT, 'test-vectors/pkits', kind, `${name}.${kind === 'certs' ? 'crt' : 'crl'}`);
  const POLICY_1 = '2.16.840.1.101.3.2.1.48.1';
  const POLICY_2 = '2.16.840.1.101.3.2.1.48.2';
  const verify = (ca: string, ee: string, extra: string[]) =>
    run([
      'pki', 'verify', '--cert', pkits('certs', ee), '--untrusted', pkits('certs', ca),
      '--trust', pkits('certs', 'TrustAnchorRootCertificate'),
      '--crl', pkits('crls', 'TrustAnchorRootCRL'), pkits('crls', ca.replace(/Cert$/, 'CRL')),
      '--at', '2011-04-15T00:00:00Z', ...extra,
    ]); // prettier-ignore

  it('reports the policies a path is valid for and honours the user-initial-policy-set (4.8.1)', async () => {
    const valid = await verify('GoodCACert', 'ValidCertificatePathTest1EE', [
      '--policy',
      POLICY_1,
      '--explicit-policy',
    ]);
    expect(valid.stdout).toContain(`policies: ${POLICY_1}`);
    expect(valid.stdout.trim().endsWith('valid')).toBe(true);
    expect(valid.code).toBe(0);
    const other = await verify('GoodCACert', 'ValidCertificatePathTest1EE', [
      '--policy',
      POLICY_2,
      '--explicit-policy',
    ]);
    expect(other.stdout).toMatch(/fail +path\.policies/);
    expect(other.code).toBe(1);
  });

  it("refuses a name outside the CA's permitted subtree (4.13.2)", async () => {
    const result = await verify('nameConstraintsDN1CACert', 'InvalidDNnameConstraintsTest2EE', []);
    expect(result.stdout).toMatch(/fail +certificate\[0\]\.name-constraints/);
    expect(result.code).toBe(1);
  });

  it('says revocation was not checked with --offline, and refuses a bad OID', async () => {
    const offline = await run([
      'pki', 'verify', '--cert', pkits('certs', 'ValidCertificatePathTest1EE'),
      '--untrusted', pkits('certs', 'GoodCACert'), '--trust', pkits('certs', 'TrustAnchorRootCertificate'),
      '--at', '2011-04-15T00:00:00Z', '--offline',
    ]); // prettier-ignore
    expect(offline.stdout).toContain('revocation not checked (--offline)');
    expect(offline.code).toBe(0);
    const bad = await verify('GoodCACert', 'ValidCertificatePathTest1EE', ['--policy', 'not-an-oid']);
    expect(bad.stderr).toContain('is not a dotted OID');
    expect(bad.code).toBe(2);
  });
});
