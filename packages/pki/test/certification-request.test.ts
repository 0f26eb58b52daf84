import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createCertificationRequest, SoftwareSigner, toPem, verifyCertificationRequest } from '@openmyna/pki';
import { describe, expect, it } from 'vitest';

import { NOW, testCardHolder, testHierarchy } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'openmyna-csr-'));

describe('PKCS#10 certification requests (proof of possession)', () => {
  it('makes requests that openssl req -verify accepts, and reads OpenSSL requests', async () => {
    const signer = await SoftwareSigner.generate();
    const request = await createCertificationRequest(signer);
    writeFileSync(join(work, 'ours.csr'), toPem(request, 'CERTIFICATE REQUEST'));
    expect(
      spawnSync('openssl', ['req', '-in', join(work, 'ours.csr'), '-verify', '-noout'], { encoding: 'utf8' }).stderr,
    ).toMatch(/verify OK|Certificate request self-signature verify OK/);
    expect((await verifyCertificationRequest(request)).subjectPublicKeyInfo).toEqual(signer.publicKeyInfo);
    execFileSync('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(work, 'k.pem'),
      '-subj',
      '/C=JP/CN=x',
      '-outform',
      'DER',
      '-out',
      join(work, 'theirs.csr'),
    ]);
    const theirs = new Uint8Array(execFileSync('cat', [join(work, 'theirs.csr')]));
    await expect(verifyCertificationRequest(theirs)).resolves.toHaveProperty('subjectPublicKeyInfo');
  });

  it('refuses a request not signed by its own key, and malformed input', async () => {
    const request = await createCertificationRequest(await SoftwareSigner.generate());
    const tampered = request.slice();
    tampered[tampered.length - 1]! ^= 0x01;
    await expect(verifyCertificationRequest(tampered)).rejects.toMatchObject({ code: 'ERR_PROOF_OF_POSSESSION' });
    await expect(verifyCertificationRequest(request.subarray(0, 40))).rejects.toMatchObject({
      code: 'ERR_CERTIFICATE_REQUEST',
    });
  });

  it('lets the CA issue only after proof of possession', async () => {
    const { ca } = await testHierarchy('authentication');
    const signer = await SoftwareSigner.generate();
    const certificationRequest = await createCertificationRequest(signer, [
      ['C', 'JP'],
      ['CN', 'ignored'],
    ]);
    const certificate = await ca.issueFromRequest({
      profile: 'jpki-authentication',
      certificationRequest,
      holder: testCardHolder(),
      issuedAt: NOW,
    });
    expect(certificate.length).toBeGreaterThan(500);
    const tampered = certificationRequest.slice();
    tampered[tampered.length - 1]! ^= 0x01;
    await expect(
      ca.issueFromRequest({
        profile: 'jpki-authentication',
        certificationRequest: tampered,
        holder: testCardHolder(),
        issuedAt: NOW,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_PROOF_OF_POSSESSION',
    });
  });
});
