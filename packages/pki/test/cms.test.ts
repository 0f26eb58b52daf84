import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  derFromPemOrDer,
  parseCertificate,
  signCms,
  SoftwareSigner,
  toPem,
  trustAnchor,
  validatePath,
  verifyCmsSignature,
} from '@openmyna/pki';
import { beforeAll, describe, expect, it } from 'vitest';

import { NOW, testCardHolder, testHierarchy } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'openmyna-cms-'));
const path = (name: string) => join(work, name);
const document = new TextEncoder().encode('口座開設申込書 — openmyna test document\n');

let signer: SoftwareSigner;
let certificate: Uint8Array;
let caCertificate: Uint8Array;

beforeAll(async () => {
  const { ca } = await testHierarchy('signing');
  // The key is made by OpenSSL so that OpenSSL can sign with it too.
  // Piped: OpenSSL's key-generation dots stay out of the test log (a failure's error carries them).
  execFileSync(
    'openssl',
    ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', path('key.pem')],
    {
      stdio: 'pipe',
    },
  );
  const pkcs8 = derFromPemOrDer(readFileSync(path('key.pem')), 'PRIVATE KEY');
  signer = await SoftwareSigner.fromPkcs8(pkcs8);
  certificate = await ca.issueEndEntity({
    profile: 'jpki-signing',
    subjectPublicKeyInfo: signer.publicKeyInfo,
    holder: testCardHolder(),
    issuedAt: NOW,
  });
  caCertificate = ca.certificate;
  writeFileSync(path('ee.pem'), toPem(certificate, 'CERTIFICATE'));
  writeFileSync(path('ca.pem'), toPem(caCertificate, 'CERTIFICATE'));
  writeFileSync(path('document.txt'), document);
});

const opensslVerify = (signature: string, detached: boolean) =>
  spawnSync(
    'openssl',
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      path(signature),
      '-CAfile',
      path('ca.pem'),
      '-attime',
      String(Math.floor(NOW.getTime() / 1000)),
      '-purpose',
      'any',
      ...(detached ? ['-content', path('document.txt')] : []),
      '-out',
      path('out.txt'),
    ],
    { encoding: 'utf8' },
  );

describe('CMS SignedData (RFC 5652)', () => {
  it('makes detached and encapsulated signatures that openssl cms -verify accepts', async () => {
    writeFileSync(path('detached.p7s'), await signCms({ content: document, signer, certificate, signingTime: NOW }));
    const detached = opensslVerify('detached.p7s', true);
    expect(detached.stderr).toContain('Verification successful');
    writeFileSync(
      path('attached.p7s'),
      await signCms({ content: document, signer, certificate, signingTime: NOW, encapsulate: true }),
    );
    const attached = opensslVerify('attached.p7s', false);
    expect(attached.stderr).toContain('Verification successful');
    expect(readFileSync(path('out.txt'))).toEqual(Buffer.from(document));
    const printed = execFileSync(
      'openssl',
      ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', path('detached.p7s')],
      { encoding: 'utf8' },
    );
    for (const attribute of ['contentType', 'signingTime', 'messageDigest', 'id-smime-aa-signingCertificateV2'])
      expect(printed).toContain(attribute);
  });

  it('verifies its own signatures, then the signer chains to the signing CA', async () => {
    const signature = await signCms({ content: document, signer, certificate, signingTime: NOW });
    const result = await verifyCmsSignature({ signedData: signature, detachedContent: document });
    expect(result.status).toBe('valid');
    expect(result.checks.map((check) => check.check)).toEqual([
      'cms.structure',
      'cms.content',
      'cms.digest-algorithm',
      'cms.signature-algorithm',
      'cms.signer-certificate',
      'cms.content-type',
      'cms.message-digest',
      'cms.signing-certificate',
      'cms.signature',
    ]);
    expect(result.signingTime).toEqual(NOW);
    expect(result.contentDigest).toEqual(new Uint8Array(createHash('sha256').update(document).digest()));
    const chain = await validatePath({
      certificate: result.signer!,
      trustAnchors: [trustAnchor(caCertificate)],
      time: NOW,
      checkRevocation: false,
      requiredKeyUsage: ['nonRepudiation'],
    });
    expect(chain.status).toBe('valid');
  });

  it('verifies signatures made by openssl cms -sign', async () => {
    for (const detach of [true, false]) {
      execFileSync('openssl', [
        'cms',
        '-sign',
        '-binary',
        '-md',
        'sha256',
        '-in',
        path('document.txt'),
        '-signer',
        path('ee.pem'),
        '-inkey',
        path('key.pem'),
        '-outform',
        'DER',
        '-out',
        path('openssl.p7s'),
        ...(detach ? [] : ['-nodetach']),
      ]);
      const result = await verifyCmsSignature({
        signedData: new Uint8Array(readFileSync(path('openssl.p7s'))),
        ...(detach ? { detachedContent: document } : {}),
      });
      expect(result.status, JSON.stringify(result.decidedBy)).toBe('valid');
    }
  });

  it('names the check that fails for a changed document, signature or certificate binding', async () => {
    const signature = await signCms({ content: document, signer, certificate, signingTime: NOW });
    const other = new TextEncoder().encode('a different document');
    const changed = await verifyCmsSignature({ signedData: signature, detachedContent: other });
    expect(changed.decidedBy?.check).toBe('cms.message-digest');
    expect(changed.contentDigest).toBeUndefined();
    expect((await verifyCmsSignature({ signedData: signature })).decidedBy?.check).toBe('cms.content');
    const flipped = signature.slice();
    flipped[flipped.length - 5]! ^= 0x01;
    expect((await verifyCmsSignature({ signedData: flipped, detachedContent: document })).decidedBy?.check).toBe(
      'cms.signature',
    );
    expect(
      (await verifyCmsSignature({ signedData: signature.subarray(0, 100), detachedContent: document })).decidedBy
        ?.check,
    ).toBe('cms.structure');
  });

  it('refuses digestAlgorithms other than the signer’s, and names a signature by its value, not its wrapping', async () => {
    const signature = await signCms({ content: document, signer, certificate, signingTime: NOW });
    const good = await verifyCmsSignature({ signedData: signature, detachedContent: document });
    expect(good.status).toBe('valid');
    // The first SHA-256 OID is the (unsigned) digestAlgorithms entry; as SHA-384 it makes a different blob
    // around the same signature, which must not pass as another signature.
    const sha256 = Buffer.from('608648016503040201', 'hex');
    const changed = Buffer.from(signature);
    changed[changed.indexOf(sha256) + sha256.length - 1] = 0x02;
    const refused = await verifyCmsSignature({ signedData: new Uint8Array(changed), detachedContent: document });
    expect([refused.status, refused.decidedBy?.check]).toEqual(['invalid', 'cms.structure']);
    expect(good.signatureValue).toBeDefined();
    expect(Buffer.from(good.signatureValue!).length).toBe(256);
  });

  it('refuses to sign with a certificate for another key', async () => {
    const stranger = await SoftwareSigner.generate();
    await expect(signCms({ content: document, signer: stranger, certificate, signingTime: NOW })).rejects.toMatchObject(
      { code: 'ERR_CMS' },
    );
    expect(parseCertificate(certificate).subjectPublicKeyInfo).toEqual(signer.publicKeyInfo);
  });
});
