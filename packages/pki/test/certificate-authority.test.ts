import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeTlv, decodeTlvChildren } from '@openmyna/core';
import { SoftwareSigner, toPem } from '@openmyna/pki';
import { assembleSigned, lintCertificate, type PreparedCertificate } from '@openmyna/pki/ca';
import { describe, expect, it } from 'vitest';

import { NOW, syntheticHolder, testCardHolder, testHierarchy } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'openmyna-pki-'));
const write = (name: string, text: string | Uint8Array) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

function openssl(args: string[]): { status: number | null; out: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: result.status, out: result.stdout + result.stderr };
}

describe('JPKI certificate issuance', () => {
  it('issues a signing certificate that OpenSSL reads and verifies, with the JPKI SAN in card order', async () => {
    const { ca } = await testHierarchy('signing');
    const subject = await SoftwareSigner.generate();
    const certificate = await ca.issueEndEntity({
      profile: 'jpki-signing',
      subjectPublicKeyInfo: subject.publicKeyInfo,
      holder: testCardHolder(),
      issuedAt: NOW,
    });
    const caPath = write('sign-ca.pem', toPem(ca.certificate, 'CERTIFICATE'));
    const eePath = write('sign-ee.pem', toPem(certificate, 'CERTIFICATE'));
    const verify = openssl(['verify', '-attime', String(NOW.getTime() / 1000), '-CAfile', caPath, eePath]);
    expect(verify.out).toContain('OK');
    expect(verify.status).toBe(0);
    const text = execFileSync('openssl', ['x509', '-in', eePath, '-noout', '-text', '-nameopt', 'utf8'], {
      encoding: 'utf8',
    });
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(text).toMatch(/X509v3 Certificate Policies: critical/);
    expect(text).toContain('Not After : Feb 17 14:59:59 2031 GMT');
    // SAN entries, in the order the card's certificate has them: .1 .4 .3 .5 .2 .6
    const oids = [...text.matchAll(/othername: (?:1\.2\.392\.200149\.8\.5\.5\.(\d))/g)].map((m) => m[1]);
    expect(oids).toEqual(['1', '4', '3', '5', '2', '6']);
  });

  it('issues an authentication certificate with no personal data', async () => {
    const { ca } = await testHierarchy('authentication');
    const subject = await SoftwareSigner.generate();
    const holder = syntheticHolder(3);
    const certificate = await ca.issueEndEntity({
      profile: 'jpki-authentication',
      subjectPublicKeyInfo: subject.publicKeyInfo,
      holder,
      issuedAt: NOW,
    });
    const eePath = write('auth-ee.pem', toPem(certificate, 'CERTIFICATE'));
    const caPath = write('auth-ca.pem', toPem(ca.certificate, 'CERTIFICATE'));
    expect(
      openssl(['verify', '-attime', String(NOW.getTime() / 1000), '-purpose', 'sslclient', '-CAfile', caPath, eePath])
        .status,
    ).toBe(0);
    const text = execFileSync('openssl', ['x509', '-in', eePath, '-noout', '-text', '-nameopt', 'utf8'], {
      encoding: 'utf8',
    });
    expect(text).toMatch(/Subject: C=JP, CN=[0-9A-Z]{14}\d{5}003A/);
    expect(text).not.toContain('Subject Alternative Name');
    expect(text).not.toContain(holder.basicFourInfo.name);
    expect(text).toContain('TLS Web Client Authentication');
  });

  it('lints every certificate before signing: a tampered TBS is refused and nothing is signed', async () => {
    const { ca } = await testHierarchy('signing');
    const subject = await SoftwareSigner.generate();
    const prepared = ca.prepareEndEntity({
      profile: 'jpki-signing',
      subjectPublicKeyInfo: subject.publicKeyInfo,
      holder: testCardHolder(),
      issuedAt: NOW,
    });
    // Swap the holder's registry data: the SAN no longer matches it.
    const changedHolder: PreparedCertificate = {
      ...prepared,
      lintContext: { ...prepared.lintContext, holder: syntheticHolder(1) },
    };
    await expect(ca.signCertificate(changedHolder)).rejects.toMatchObject({ code: 'ERR_LINT' });
    // A notAfter one day beyond the JPKI rule.
    const late: PreparedCertificate = {
      ...prepared,
      lintContext: { ...prepared.lintContext, expectedNotAfter: new Date(prepared.notAfter.getTime() - 86_400_000) },
    };
    await expect(ca.signCertificate(late)).rejects.toThrow(/tbs.validity-jpki-rule/);
    const results = lintCertificate(prepared.tbsCertificate, prepared.lintContext);
    expect(results.every((result) => result.status === 'pass')).toBe(true);
    expect(results.map((result) => result.lint)).toContain('tbs.subject-alt-name-jpki');
  });

  it('refuses keys that are not RSA-2048', async () => {
    const { ca } = await testHierarchy('authentication');
    const pair = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    expect(() =>
      ca.prepareEndEntity({
        profile: 'jpki-authentication',
        subjectPublicKeyInfo: spki,
        holder: syntheticHolder(2),
        issuedAt: NOW,
      }),
    ).toThrow(/tbs.subject-key-rsa-2048/);
  });

  it('assembles the certificate around the exact signed bytes', async () => {
    const { ca } = await testHierarchy('authentication');
    const [tbs, , signature] = decodeTlvChildren(decodeTlv(ca.certificate));
    expect(assembleSigned(tbs!.raw, signature!.value.subarray(1))).toEqual(ca.certificate);
  });
});
