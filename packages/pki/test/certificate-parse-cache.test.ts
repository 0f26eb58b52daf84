import { parseCertificate, SoftwareSigner, trustAnchor, validatePath } from '@openmyna/pki';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readVector } from '../../../test-support/test-vectors.js';
import { NOW, testCardHolder, testHierarchy } from './fixtures.js';
import { parsedCertificateCount, PARSED_CERTIFICATES_KEPT, readCertificate } from './internal.js';

const certificate = readVector('jpki-real/auth-cert-myna.cer');

/** The parse of `der` with no cache involved, or the error code it throws. */
const uncached = (der: Uint8Array) => {
  try {
    return readCertificate(der.slice());
  } catch (error) {
    return (error as { code?: string }).code;
  }
};
const cached = (der: Uint8Array) => {
  try {
    return parseCertificate(der);
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('the certificate parse cache answers only for the very same bytes', () => {
  it('parses a certificate one byte away from a cached one anew (property)', () => {
    parseCertificate(certificate);
    fc.assert(
      fc.property(fc.nat(certificate.length - 1), fc.integer({ min: 1, max: 255 }), (index, xor) => {
        const changed = certificate.slice();
        changed[index]! ^= xor;
        // Whatever the byte, the answer is the uncached parse of the changed bytes (or its error),
        // and the original still reads as itself.
        expect(cached(changed)).toEqual(uncached(changed));
        expect(parseCertificate(certificate)).toEqual(readCertificate(certificate.slice()));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a changed serial number or validity apart though the signature bytes are the same', () => {
    const original = parseCertificate(certificate);
    const serialAt = readCertificate(certificate.slice()).serialNumber.byteOffset;
    const changed = certificate.slice();
    changed[serialAt + 1]! ^= 0x01;
    expect(parseCertificate(changed).serialNumber).not.toEqual(original.serialNumber);
    expect(parseCertificate(changed).serialNumber).toEqual(readCertificate(changed.slice()).serialNumber);
    expect(parseCertificate(certificate).serialNumber).toEqual(original.serialNumber);
  });

  it('is not changed by the caller changing its buffer, a Date or the extensions it was given', () => {
    const buffer = certificate.slice();
    const first = parseCertificate(buffer);
    const notAfter = first.notAfter.getTime();
    buffer.fill(0);
    first.notAfter.setTime(0);
    expect(() => (first.extensions as unknown as unknown[]).push({})).toThrow(TypeError);
    const again = parseCertificate(certificate);
    expect(again.notAfter.getTime()).toBe(notAfter);
    expect(again.der).toEqual(certificate);
    expect(again).toEqual(readCertificate(certificate.slice()));
  });

  it('is bounded: past PARSED_CERTIFICATES_KEPT certificates the oldest are let go', () => {
    const end = certificate.length - 1; // the signature's last byte: parses still, a new bucket each time
    for (let i = 0; i < PARSED_CERTIFICATES_KEPT + 50; i++) {
      const changed = certificate.slice();
      changed[end] = i & 0xff;
      changed[end - 1] = i >> 8;
      expect(parseCertificate(changed).signatureValue.at(-1)).toBe(i & 0xff);
      expect(parsedCertificateCount()).toBeLessThanOrEqual(PARSED_CERTIFICATES_KEPT);
    }
    expect(parsedCertificateCount()).toBe(PARSED_CERTIFICATES_KEPT);
  });

  it('lets path validation fail for a certificate one byte away from a cached valid one', async () => {
    const { ca } = await testHierarchy('signing');
    const signer = await SoftwareSigner.generate();
    const der = await ca.issueEndEntity({
      profile: 'jpki-signing',
      subjectPublicKeyInfo: signer.publicKeyInfo,
      holder: testCardHolder(),
      issuedAt: NOW,
    });
    const validate = (bytes: Uint8Array) =>
      validatePath({
        certificate: parseCertificate(bytes),
        trustAnchors: [trustAnchor(ca.certificate)],
        time: NOW,
        checkRevocation: false,
      });
    expect((await validate(der)).status).toBe('valid');
    // One byte of the subject's public key (inside the signed TBSCertificate, far from the signature).
    const changed = der.slice();
    const keyAt = parseCertificate(der).subjectPublicKeyInfo.byteOffset + 40;
    changed[keyAt]! ^= 0x01;
    const result = await validate(changed);
    expect(result.status).toBe('invalid');
    expect(result.decidedBy?.check).toBe('certificate[0].signature');
    expect((await validate(der)).status).toBe('valid');
  });
});
