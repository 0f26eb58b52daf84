import { createHash, generateKeyPairSync, sign } from 'node:crypto';

import { encodeTlv } from '@openmyna/core';
import {
  OID,
  parseCertificate,
  trustAnchor,
  validatePath,
  verifyCmsSignature,
  type CmsVerification,
} from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  commonName,
  FORGE_NOW,
  forgeCertificate,
  forgeKey,
  forgeRoot,
  oid,
  sequence,
  tlv,
} from '../../../test-support/x509-forge.js';
import { NOW, testCardHolder, testHierarchy } from './fixtures.js';

/*
 * SignedData an attacker builds by hand around a genuine JPKI signing certificate (an adversarial
 * review, issue 18): every one must end in a named failed check — none valid, none thrown.
 */

const CONTENT = new TextEncoder().encode('口座開設申込書\n');
const hash = (algorithm: string, bytes: Uint8Array) => new Uint8Array(createHash(algorithm).update(bytes).digest());
const octets = (bytes: Uint8Array) => encodeTlv(0x04, bytes);
const algorithm = (id: string, nullParameters = true) =>
  nullParameters ? sequence(oid(id), encodeTlv(0x05, new Uint8Array())) : sequence(oid(id));
const attribute = (id: string, ...values: Uint8Array[]) => sequence(oid(id), tlv(0x31, ...values));

const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
let certificate: Uint8Array;
let caCertificate: Uint8Array;

beforeAll(async () => {
  const { ca } = await testHierarchy('signing');
  caCertificate = ca.certificate;
  certificate = await ca.issueEndEntity({
    profile: 'jpki-signing',
    subjectPublicKeyInfo: new Uint8Array(key.publicKey.export({ type: 'spki', format: 'der' })),
    holder: testCardHolder(),
    issuedAt: NOW,
  });
});

/** A SignedData over CONTENT (detached) with every part adjustable. */
function signedData(options: {
  attributes?: Uint8Array[];
  signatureAlgorithm?: string;
  signatureHash?: string;
  eContentType?: string;
  certificates?: Uint8Array[];
}): Uint8Array {
  const signer = parseCertificate(certificate);
  const attributes = (
    options.attributes ?? [
      attribute(OID.idContentType, oid(options.eContentType ?? OID.idData)),
      attribute(OID.idMessageDigest, octets(hash('sha256', CONTENT))),
    ]
  ).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const signature = sign(options.signatureHash ?? 'sha256', tlv(0x31, ...attributes), key.privateKey);
  const signerInfo = sequence(
    encodeTlv(0x02, Uint8Array.of(1)),
    sequence(signer.issuer, encodeTlv(0x02, signer.serialNumber)),
    algorithm(OID.sha256, false),
    tlv(0xa0, ...attributes),
    algorithm(options.signatureAlgorithm ?? OID.sha256WithRSAEncryption),
    octets(new Uint8Array(signature)),
  );
  const content = sequence(
    encodeTlv(0x02, Uint8Array.of(1)),
    tlv(0x31, algorithm(OID.sha256, false)),
    sequence(oid(options.eContentType ?? OID.idData)),
    tlv(0xa0, ...(options.certificates ?? [certificate])),
    tlv(0x31, signerInfo),
  );
  return sequence(oid(OID.idSignedData), tlv(0xa0, content));
}

const verify = (der: Uint8Array): Promise<CmsVerification> =>
  verifyCmsSignature({ signedData: der, detachedContent: CONTENT, backend: nodeCryptoBackend });
const decided = async (der: Uint8Array) => {
  const result = await verify(der);
  return { status: result.status, check: result.decidedBy?.check };
};

describe('hand-made SignedData around a genuine signing certificate', () => {
  it('the honest one verifies (the builder is right)', async () => {
    expect((await verify(signedData({}))).status).toBe('valid');
  });

  it.each([
    ['SHA-1 over the signed attributes (sha1WithRSAEncryption)', OID.sha1WithRSAEncryption, 'sha1'],
    ['SHA-512 over them while digestAlgorithm says SHA-256', '1.2.840.113549.1.1.13', 'sha512'],
  ])('refuses %s', async (_label, signatureAlgorithm, signatureHash) => {
    expect(await decided(signedData({ signatureAlgorithm, signatureHash }))).toEqual({
      status: 'invalid',
      check: 'cms.signature-algorithm',
    });
  });

  it('refuses a SignedData that is not a document (eContentType id-signedData)', async () => {
    expect(await decided(signedData({ eContentType: OID.idSignedData }))).toEqual({
      status: 'invalid',
      check: 'cms.content-type',
    });
  });

  it('refuses more than 16 certificates before building any path', async () => {
    const many = Array.from({ length: 17 }, () => certificate);
    expect(await decided(signedData({ certificates: many }))).toEqual({ status: 'invalid', check: 'cms.structure' });
  });

  it.each([
    ['a signingTime that is not a time', attribute(OID.idSigningTime, octets(Uint8Array.of(1)))],
    ['a signingCertificateV2 that is not a SEQUENCE', attribute(OID.idSigningCertificateV2, tlv(0x31))],
  ])('answers %s with a failed check, not an exception', async (_label, extra) => {
    const attributes = [
      attribute(OID.idContentType, oid(OID.idData)),
      attribute(OID.idMessageDigest, octets(hash('sha256', CONTENT))),
      extra,
    ];
    expect(await decided(signedData({ attributes }))).toEqual({ status: 'invalid', check: 'cms.signed-attributes' });
  });

  it('checks a signingCertificate (v1, SHA-1) attribute: another certificate is refused, the signer accepted', async () => {
    const essCertId = (der: Uint8Array) => sequence(sequence(sequence(octets(hash('sha1', der)))));
    const withV1 = (der: Uint8Array) => [
      attribute(OID.idContentType, oid(OID.idData)),
      attribute(OID.idMessageDigest, octets(hash('sha256', CONTENT))),
      attribute(OID.idSigningCertificate, essCertId(der)),
    ];
    expect(await decided(signedData({ attributes: withV1(caCertificate) }))).toEqual({
      status: 'invalid',
      check: 'cms.signing-certificate',
    });
    expect((await verify(signedData({ attributes: withV1(certificate) }))).status).toBe('valid');
  });

  it('accepts an ESSCertIDv2 that names SHA-256 explicitly, and checks its issuerSerial', async () => {
    const signer = parseCertificate(certificate);
    const issuerSerial = (serial: Uint8Array) => sequence(sequence(tlv(0xa4, signer.issuer)), encodeTlv(0x02, serial));
    const v2 = (serial: Uint8Array) => [
      attribute(OID.idContentType, oid(OID.idData)),
      attribute(OID.idMessageDigest, octets(hash('sha256', CONTENT))),
      attribute(
        OID.idSigningCertificateV2,
        sequence(
          sequence(sequence(algorithm(OID.sha256, false), octets(hash('sha256', certificate)), issuerSerial(serial))),
        ),
      ),
    ];
    expect((await verify(signedData({ attributes: v2(signer.serialNumber) }))).status).toBe('valid');
    expect(await decided(signedData({ attributes: v2(Uint8Array.of(0x7f)) }))).toEqual({
      status: 'invalid',
      check: 'cms.signing-certificate',
    });
  });
});

describe('a profile can refuse SHA-1 certificate signatures', () => {
  it('a sha1WithRSAEncryption certificate fails under signatureAlgorithms [sha256WithRSAEncryption]', async () => {
    const rootKey = forgeKey(0);
    const root = forgeRoot('Root', rootKey);
    const leaf = forgeCertificate({
      issuer: commonName('Root'),
      subject: commonName('Leaf'),
      subjectKey: forgeKey(1),
      issuerKey: rootKey,
      sha1: true,
    });
    const options = {
      certificate: parseCertificate(leaf),
      trustAnchors: [trustAnchor(root)],
      time: FORGE_NOW,
      checkRevocation: false,
      backend: nodeCryptoBackend,
    };
    expect((await validatePath(options)).status).toBe('valid');
    expect(await validatePath({ ...options, signatureAlgorithms: [OID.sha256WithRSAEncryption] })).toMatchObject({
      status: 'invalid',
      decidedBy: { check: 'certificate[0].signature' },
    });
  });
});
