import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseCertificate, parseCrl, SoftwareSigner, toPem, trustAnchor, validatePath } from '@openmyna/pki';
import { prepareCrl, signCrl, type RevocationRecord } from '@openmyna/pki/ca';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';

import { NOW, syntheticHolder, testCardHolder, testHierarchy } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'openmyna-crl-'));
const write = (name: string, data: string | Uint8Array) => {
  const path = join(work, name);
  writeFileSync(path, data);
  return path;
};
const openssl = (args: string[]) => {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: result.status, out: result.stdout + result.stderr };
};

async function issued() {
  const { ca } = await testHierarchy('authentication');
  const key = await SoftwareSigner.generate();
  const holder = testCardHolder();
  const der = await ca.issueEndEntity({
    profile: 'jpki-authentication',
    subjectPublicKeyInfo: key.publicKeyInfo,
    holder,
    issuedAt: NOW,
  });
  return { ca, der, certificate: parseCertificate(der), holder };
}

function crlFor(ca: Awaited<ReturnType<typeof issued>>['ca'], entries: RevocationRecord[], crlNumber = 1n) {
  return signCrl(
    prepareCrl({
      ca,
      municipalityCode: '13221',
      entries,
      thisUpdate: new Date(NOW.getTime() - 60_000),
      nextUpdate: new Date(NOW.getTime() + 86_400_000),
      crlNumber,
    }),
    ca,
  );
}

describe('CRL partitions (RFC 5280 §5)', () => {
  it('lists revocations with reasons, names its partition and is accepted by OpenSSL', async () => {
    const { ca, der, certificate } = await issued();
    const serial = bytesToHex(certificate.serialNumber);
    const crl = await crlFor(ca, [{ serialNumber: serial, revocationDate: NOW, reason: 'keyCompromise' }], 42n);
    const parsed = parseCrl(crl);
    expect(parsed.crlNumber).toBe(42n);
    expect(parsed.revoked.get(serial)?.reason).toBe(1);
    expect(parsed.issuingDistributionPoint?.fullNames[0]).toEqual({
      type: 'uri',
      value: 'http://127.0.0.1:8080/crl/authentication/13221.crl',
    });

    const crlPath = write('auth.crl.pem', toPem(crl, 'X509 CRL'));
    const caPath = write('auth-ca.pem', toPem(ca.certificate, 'CERTIFICATE'));
    const eePath = write('auth-ee.pem', toPem(der, 'CERTIFICATE'));
    const text = openssl(['crl', '-in', crlPath, '-noout', '-text']);
    expect(text.status).toBe(0);
    expect(text.out).toContain('Key Compromise');
    expect(text.out).toMatch(/X509v3 CRL Number:\s+42/);
    expect(text.out).toMatch(/Issuing Distribution Point: critical/);
    const verify = openssl([
      'verify',
      '-attime',
      String(Math.floor(NOW.getTime() / 1000)),
      '-crl_check',
      '-CAfile',
      caPath,
      '-CRLfile',
      crlPath,
      eePath,
    ]);
    expect(verify.out).toContain('certificate revoked');
    const emptyCrl = write('empty.crl.pem', toPem(await crlFor(ca, [], 43n), 'X509 CRL'));
    expect(
      openssl([
        'verify',
        '-attime',
        String(Math.floor(NOW.getTime() / 1000)),
        '-crl_check',
        '-CAfile',
        caPath,
        '-CRLfile',
        emptyCrl,
        eePath,
      ]).status,
    ).toBe(0);
  });

  it('makes path validation answer revoked, suspended and good', async () => {
    const { ca, certificate } = await issued();
    const serial = bytesToHex(certificate.serialNumber);
    const validate = async (entries: RevocationRecord[]) =>
      validatePath({
        certificate,
        trustAnchors: [trustAnchor(ca.certificate)],
        time: NOW,
        crls: [parseCrl(await crlFor(ca, entries))],
      });
    expect((await validate([])).status).toBe('valid');
    const revoked = await validate([{ serialNumber: serial, revocationDate: NOW, reason: 'superseded' }]);
    expect(revoked.decidedBy).toMatchObject({
      check: 'certificate[0].revocation',
      status: 'fail',
      reason: 'revoked (reason 4)',
    });
    const held = await validate([{ serialNumber: serial, revocationDate: NOW, reason: 'certificateHold' }]);
    expect(held.decidedBy?.reason).toContain('suspended');
    const none = await validatePath({ certificate, trustAnchors: [trustAnchor(ca.certificate)], time: NOW, crls: [] });
    expect(none.status).toBe('status-unknown');
  });

  it('is not used after nextUpdate (stale means unknown, not good)', async () => {
    const { ca, certificate } = await issued();
    const crl = parseCrl(await crlFor(ca, []));
    const later = new Date(NOW.getTime() + 2 * 86_400_000);
    const result = await validatePath({
      certificate,
      trustAnchors: [trustAnchor(ca.certificate)],
      time: later,
      crls: [crl],
    });
    expect(result.status).toBe('status-unknown');
  });

  it('refuses to sign a CRL that fails its lints', async () => {
    const { ca } = await testHierarchy('authentication');
    const entry: RevocationRecord = {
      serialNumber: '0102030405060708090a',
      revocationDate: NOW,
      reason: 'keyCompromise',
    };
    await expect(crlFor(ca, [entry, entry])).rejects.toThrow(/crl.entries-unique/);
    await expect(crlFor(ca, [{ ...entry, reason: 'removeFromCRL' }])).rejects.toThrow(/crl.reason-codes/);
    await expect(
      signCrl(
        prepareCrl({ ca, municipalityCode: '13221', entries: [], thisUpdate: NOW, nextUpdate: NOW, crlNumber: 1n }),
        ca,
      ),
    ).rejects.toThrow(/crl.update-order/);
  });

  it('keeps partitions apart: a certificate of another municipality is out of scope', async () => {
    const { ca } = await testHierarchy('authentication');
    const key = await SoftwareSigner.generate();
    const holder = syntheticHolder(5);
    const other = parseCertificate(
      await ca.issueEndEntity({
        profile: 'jpki-authentication',
        subjectPublicKeyInfo: key.publicKeyInfo,
        holder,
        issuedAt: NOW,
      }),
    );
    const crl = parseCrl(await crlFor(ca, []));
    const result = await validatePath({
      certificate: other,
      trustAnchors: [trustAnchor(ca.certificate)],
      time: NOW,
      crls: [crl],
    });
    expect(holder.municipalityCode).not.toBe('13221');
    expect(result.status).toBe('status-unknown');
  });
});
