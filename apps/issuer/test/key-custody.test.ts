import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bytesToHex } from '@noble/hashes/utils.js';
import { base64UrlEncode } from '@openmyna/core';
import {
  openKeyCustody,
  openPkcs11Custody,
  openSealedFileCustody,
  parsePkcs11Uri,
  signEs256Jwt,
  type KeyCustody,
} from '@openmyna/issuer';
import {
  decodeCbor,
  decodeCoseMessage,
  encodeCbor,
  issueMdocCertificate,
  mdocTrustAnchor,
  signCoseSign1,
  verifyCoseSign1,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import {
  DEFAULT_POLICY_OIDS,
  certIdFor,
  encodeOcspRequest,
  parseCertificate,
  SoftwareSigner,
  toPem,
  verifyOcspResponse,
} from '@openmyna/pki';
import { CertificateAuthority, OcspResponder, prepareCrl, signCrl } from '@openmyna/pki/ca';
import { compactVerify, importJWK } from 'jose';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registryPerson } from '../../../test-support/issuer-fixtures.js';
import { softHsmTokens } from '../../../test-support/softhsm.js';

const DAY = 86_400_000;
const now = new Date();
const dir = mkdtempSync(join(tmpdir(), 'openmyna-custody-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const openssl = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

let custody: KeyCustody;
let ca: CertificateAuthority;
let namespace: string;

beforeAll(async () => {
  const { main } = softHsmTokens();
  namespace = `custody-test-${process.pid}`;
  custody = await openPkcs11Custody({ uri: main.uri, pin: main.pin, namespace });
  ca = await CertificateAuthority.createRoot({
    config: {
      hierarchy: 'authentication',
      policyOid: DEFAULT_POLICY_OIDS.authentication,
      cpsUri: 'http://127.0.0.1/cps',
      ocspUrl: 'http://127.0.0.1/ocsp/authentication',
      crlBaseUrl: 'http://127.0.0.1/crl/authentication',
    },
    signer: await custody.createRsaSigner('jpki-authentication-ca'),
    name: [
      ['C', 'JP'],
      ['O', 'openmyna token CA'],
    ],
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 3650 * DAY),
  });
}, 60_000);

afterAll(() => custody.close());

describe('the PKCS#11 custody on SoftHSM2', () => {
  it('signs certificates and CRLs that OpenSSL verifies', async () => {
    const subject = await SoftwareSigner.generate();
    const { holder } = registryPerson('custody', 1);
    const der = await ca.issueEndEntity({
      profile: 'jpki-authentication',
      subjectPublicKeyInfo: subject.publicKeyInfo,
      holder,
      issuedAt: now,
    });
    const serialNumber = bytesToHex(parseCertificate(der).serialNumber);
    const crl = await signCrl(
      prepareCrl({
        ca,
        municipalityCode: holder.municipalityCode,
        entries: [{ serialNumber, revocationDate: now, reason: 'keyCompromise' }],
        thisUpdate: new Date(now.getTime() - 60_000),
        nextUpdate: new Date(now.getTime() + DAY),
        crlNumber: 1n,
      }),
      ca,
    );
    const caPath = write('ca.pem', toPem(ca.certificate, 'CERTIFICATE'));
    const eePath = write('ee.pem', toPem(der, 'CERTIFICATE'));
    expect(openssl(['verify', '-CAfile', caPath, eePath]).status).toBe(0);
    const crlPath = write('ca.crl.pem', toPem(crl, 'X509 CRL'));
    const checked = openssl(['verify', '-crl_check', '-CAfile', caPath, '-CRLfile', crlPath, eePath]);
    expect(checked.stdout + checked.stderr).toContain('certificate revoked');
  });

  it('signs OCSP answers the verifier accepts', async () => {
    const responderSigner = await custody.createRsaSigner('jpki-authentication-ocsp');
    const responderCertificate = await ca.issueOcspResponder({
      subjectPublicKeyInfo: responderSigner.publicKeyInfo,
      commonName: 'token OCSP responder',
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 365 * DAY),
    });
    const subject = await SoftwareSigner.generate();
    const der = await ca.issueEndEntity({
      profile: 'jpki-authentication',
      subjectPublicKeyInfo: subject.publicKeyInfo,
      holder: registryPerson('custody', 2).holder,
      issuedAt: now,
    });
    const certificate = parseCertificate(der);
    const issuer = parseCertificate(ca.certificate);
    const responder = new OcspResponder({
      issuerCertificate: ca.certificate,
      responderCertificate,
      responderSigner,
      statusSource: () => Promise.resolve({ status: 'good' }),
      clock: () => now,
      validitySeconds: 3600,
      refreshBeforeSeconds: 600,
    });
    const response = await responder.respond(encodeOcspRequest([certIdFor(certificate, issuer)]));
    const verified = await verifyOcspResponse({ response, certificate, issuer, time: now });
    expect(verified.status).toBe('valid');
    expect(verified.revocation.status).toBe('good');
  });

  it('signs the document-signer certificate and MSO-style COSE_Sign1 with P-256 keys', async () => {
    const iacaKey = await custody.createEcKey('mdoc-iaca');
    const subject = [
      ['C', 'JP'],
      ['CN', 'openmyna token IACA'],
    ] as const;
    const validity = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 300 * DAY) };
    const uris = {
      issuerAltNameUri: 'https://issuer.openmyna.test/',
      randomBytes: (n: number) => nodeMdocCrypto.randomBytes(n),
    };
    const iaca = await issueMdocCertificate({
      role: 'iaca',
      subject,
      publicKey: iacaKey.publicKey,
      issuerKey: iacaKey,
      ...validity,
      ...uris,
    });
    const dsKey = await custody.createEcKey('mdoc-document-signer');
    const ds = await issueMdocCertificate({
      role: 'document-signer',
      subject: [
        ['C', 'JP'],
        ['CN', 'openmyna token document signer'],
      ],
      publicKey: dsKey.publicKey,
      issuerKey: iacaKey,
      issuer: { subject: mdocTrustAnchor(iaca).certificate.subject, publicKey: iacaKey.publicKey },
      crlDistributionPointUri: 'https://issuer.openmyna.test/mdoc/iaca.crl',
      ...validity,
      ...uris,
    });
    const iacaPath = write('iaca.pem', toPem(iaca, 'CERTIFICATE'));
    expect(openssl(['verify', '-CAfile', iacaPath, write('ds.pem', toPem(ds, 'CERTIFICATE'))]).status).toBe(0);
    const payload = new TextEncoder().encode('MobileSecurityObjectBytes');
    const signed = await signCoseSign1({ payload, key: dsKey, unprotected: new Map([[33, ds]]) });
    const message = decodeCoseMessage(decodeCbor(encodeCbor(signed), 'issuerAuth'), 'issuerAuth');
    const key = mdocTrustAnchor(ds).publicKey;
    expect(await verifyCoseSign1({ message, key, crypto: nodeMdocCrypto, field: 'issuerAuth' })).toBe(true);
    await expect(dsKey.deriveSharedSecret(iacaKey.publicKey)).rejects.toMatchObject({ code: 'ERR_KEY_CUSTODY_USAGE' });
  });

  it('signs PIN-reset authorizations jose verifies', async () => {
    const key = await custody.createEcKey('pin-reset');
    const jwt = await signEs256Jwt(key, { typ: 'test+jwt' }, { sub: 'phone' });
    const publicKey = await importJWK(
      { kty: 'EC', crv: 'P-256', x: b64url(key.publicKey.x), y: b64url(key.publicKey.y) },
      'ES256',
    );
    expect((await compactVerify(jwt, publicKey)).protectedHeader).toMatchObject({ alg: 'ES256', typ: 'test+jwt' });
  });

  it('keeps every private key sensitive and non-extractable: reading its value is refused', async () => {
    await custody.createCardKey('kenkaku-issuer/13101');
    const { main } = softHsmTokens();
    const library = new pkcs11js.PKCS11();
    library.load(main.modulePath);
    const slot = library
      .C_GetSlotList(true)
      .find((candidate) => library.C_GetTokenInfo(candidate).label.trim() === main.label)!;
    const session = library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    library.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
    const keys = library
      .C_FindObjects(session, 100)
      .filter((handle) =>
        String(library.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_LABEL }])[0]?.value).includes(
          namespace,
        ),
      );
    library.C_FindObjectsFinal(session);
    expect(keys.length).toBeGreaterThanOrEqual(5);
    for (const handle of keys) {
      const [sensitive, extractable] = library.C_GetAttributeValue(session, handle, [
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_EXTRACTABLE },
      ]);
      expect(sensitive?.value).toEqual(Buffer.from([1]));
      expect(extractable?.value).toEqual(Buffer.from([0]));
      // An RSA key refuses its private exponent, an EC key its private value: neither leaves the token.
      const [keyType] = library.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_KEY_TYPE }]);
      const privatePart =
        Buffer.from(keyType?.value as Buffer).readUInt32LE(0) === pkcs11js.CKK_RSA
          ? pkcs11js.CKA_PRIVATE_EXPONENT
          : pkcs11js.CKA_VALUE;
      expect(() => library.C_GetAttributeValue(session, handle, [{ type: privatePart }])).toThrow(
        /CKR_ATTRIBUTE_SENSITIVE/,
      );
    }
    library.C_CloseSession(session);
  });

  it('refuses a wrong PIN with a typed error that does not repeat it', async () => {
    const { spare } = softHsmTokens();
    const error = await openPkcs11Custody({ uri: spare.uri, pin: '987654' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'KeyCustodyError', code: 'ERR_KEY_CUSTODY_PIN' });
    expect(String((error as Error).message)).not.toContain('987654');
  });

  it('names a missing module or token in a typed error', async () => {
    const { main } = softHsmTokens();
    const noModule = await openPkcs11Custody({
      uri: 'pkcs11:token=x',
      modulePath: '/nonexistent/libpkcs11.so',
      pin: '1',
    }).catch((caught: unknown) => caught as Error & { code?: string });
    expect(noModule).toMatchObject({ code: 'ERR_KEY_CUSTODY_MODULE' });
    expect((noModule as Error).message).toContain('/nonexistent/libpkcs11.so');
    const noToken = await openPkcs11Custody({
      uri: `pkcs11:token=no-such-token;module-path=${main.modulePath}`,
      pin: main.pin,
    }).catch((caught: unknown) => caught as Error & { code?: string });
    expect(noToken).toMatchObject({ code: 'ERR_KEY_CUSTODY_TOKEN' });
    expect((noToken as Error).message).toContain('no-such-token');
    await expect(custody.rsaSigner('kenhojo-ca')).rejects.toMatchObject({ code: 'ERR_KEY_CUSTODY_KEY_MISSING' });
  });
});

describe('the sealed-file custody', () => {
  it('keeps keys in the data directory under the passphrase and opens them again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'openmyna-sealed-'));
    const first = await openKeyCustody({ backend: 'sealed-files', dataDir, passphrase: 'correct horse' });
    const made = await first.createRsaSigner('jpki-signing-ca');
    const ec = await first.createEcKey('pin-reset');
    const again = openSealedFileCustody({ dataDir, passphrase: 'correct horse' });
    expect((await again.rsaSigner('jpki-signing-ca')).publicKeyInfo).toEqual(made.publicKeyInfo);
    expect((await again.ecKey('pin-reset')).publicKey).toEqual(ec.publicKey);
    expect(await again.has('mdoc-iaca')).toBe(false);
    await expect(
      openSealedFileCustody({ dataDir, passphrase: 'wrong' }).rsaSigner('jpki-signing-ca'),
    ).rejects.toMatchObject({ code: 'ERR_KEY_PASSPHRASE' });
  });
});

describe('PKCS#11 URIs (RFC 7512)', () => {
  it('reads the token, module and PIN source, and refuses what it does not know', () => {
    expect(
      parsePkcs11Uri('pkcs11:token=my%20ca;serial=42;module-path=/lib/p.so?pin-source=file:/run/pin'),
    ).toMatchObject({
      token: { label: 'my ca', serial: '42' },
      modulePath: '/lib/p.so',
      pinSource: 'file:/run/pin',
    });
    expect(() => parsePkcs11Uri('pkcs12:token=x')).toThrow(expect.objectContaining({ code: 'ERR_KEY_CUSTODY_URI' }));
    expect(() => parsePkcs11Uri('pkcs11:colour=red')).toThrow(expect.objectContaining({ code: 'ERR_KEY_CUSTODY_URI' }));
    expect(() => parsePkcs11Uri('pkcs11:token=a;token=b')).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_CUSTODY_URI' }),
    );
  });
});

const b64url = (bytes: Uint8Array): string => base64UrlEncode(bytes);
