import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  derFromPemOrDer,
  encodeDigestInfo,
  parseCertificate,
  recoverPkcs1SignedData,
  rsaPublicNumbersOf,
  trustAnchor,
  validatePath,
  verifyPkcs1DigestInfo,
  verifyPkcs1Signature,
} from '@openmyna/pki';
import { describe, expect, it } from 'vitest';

import { readVector } from '../../../test-support/test-vectors.js';

const leafDer = readVector('jpki-real/auth-cert-myna.cer');
const leaf = parseCertificate(leafDer);
const message1 = readVector('jpki-real/message1.txt');
const message2 = readVector('jpki-real/message2.txt');
const signature = readVector('jpki-real/auth-message1-sha256rsapkcs.sig');
const anchor = (name: string) => trustAnchor(derFromPemOrDer(readVector(`jpki-real/ta/${name}.pem`), 'CERTIFICATE'));
const inside = new Date('2020-01-01T00:00:00Z');

async function validateAt(time: Date, anchors = [anchor('auth_ca_2015')]) {
  // Real JPKI revocation services are not reachable here; revocation is skipped and says so.
  return validatePath({ certificate: leaf, trustAnchors: anchors, time, checkRevocation: false });
}

describe('a real JPKI user-authentication signature (vectors/jpki-real)', () => {
  it('verifies over message1 with the certificate key, by SHA-256 and by SHA-1', async () => {
    const subjectPublicKeyInfo = leaf.subjectPublicKeyInfo;
    expect(await verifyPkcs1Signature({ subjectPublicKeyInfo, data: message1, signature, hash: 'SHA-256' })).toBe(true);
    const sha1Signature = readVector('jpki-real/auth-message1-sha1rsapkcs.sig');
    expect(
      await verifyPkcs1Signature({ subjectPublicKeyInfo, data: message1, signature: sha1Signature, hash: 'SHA-1' }),
    ).toBe(true);
    expect(await verifyPkcs1Signature({ subjectPublicKeyInfo, data: message2, signature, hash: 'SHA-256' })).toBe(
      false,
    );
  });

  it('recovers exactly the DigestInfo the card signed', () => {
    const recovered = recoverPkcs1SignedData(rsaPublicNumbersOf(leaf.subjectPublicKeyInfo), signature);
    expect(bytesToHex(recovered!)).toBe(
      '3031300d060960864801650304020105000420' + '97d035e32036a670058f2be4e008a7c56355489750a5da6f2af342db4a968e99',
    );
    expect(
      verifyPkcs1DigestInfo({
        subjectPublicKeyInfo: leaf.subjectPublicKeyInfo,
        digestInfo: encodeDigestInfo('SHA-256', sha256(message1)),
        signature,
      }),
    ).toBe(true);
  });

  it('chains to the real J-LIS 2015 user-authentication root inside its validity', async () => {
    const result = await validateAt(inside);
    expect(result.status).toBe('valid');
    expect(result.checks.find((check) => check.check === 'certificate[0].revocation')?.status).toBe('skip');
    expect(result.path).toHaveLength(2);
  });

  it('does not chain to the 2023 roots or to the signature roots', async () => {
    for (const name of ['auth_ca_2023', 'sign_ca_2015', 'sign_ca_2023']) {
      const result = await validateAt(inside, [anchor(name)]);
      expect(result.status).toBe('invalid');
      expect(result.decidedBy?.check).toBe('path.build');
    }
  });

  it('is expired after 2024-05-02 and the root after 2025-10-19', async () => {
    expect((await validateAt(new Date('2024-05-02T14:59:59Z'))).status).toBe('valid');
    expect((await validateAt(new Date('2024-05-02T15:00:00Z'))).decidedBy?.check).toBe('certificate[0].validity');
    expect((await validateAt(new Date('2026-01-01T00:00:00Z'))).decidedBy?.check).toBe('anchor.validity');
  });

  it('fails for any flipped byte in the message, the signature or the certificate', async () => {
    const subjectPublicKeyInfo = leaf.subjectPublicKeyInfo;
    for (let i = 0; i < message1.length; i++) {
      const changed = message1.slice();
      changed[i]! ^= 0x01;
      expect(await verifyPkcs1Signature({ subjectPublicKeyInfo, data: changed, signature, hash: 'SHA-256' })).toBe(
        false,
      );
    }
    for (let i = 0; i < signature.length; i += 7) {
      const changed = signature.slice();
      changed[i]! ^= 0x80;
      expect(
        await verifyPkcs1Signature({ subjectPublicKeyInfo, data: message1, signature: changed, hash: 'SHA-256' }),
      ).toBe(false);
    }
    // A flipped byte anywhere in the certificate either makes it unreadable or breaks its chain.
    let rejected = 0;
    for (let i = 0; i < leafDer.length; i += 3) {
      const changed = leafDer.slice();
      changed[i]! ^= 0x01;
      let valid = false;
      try {
        const result = await validatePath({
          certificate: parseCertificate(changed),
          trustAnchors: [anchor('auth_ca_2015')],
          time: inside,
          checkRevocation: false,
        });
        valid = result.status === 'valid';
      } catch {
        valid = false;
      }
      if (!valid) rejected++;
    }
    expect(rejected).toBe(Math.ceil(leafDer.length / 3));
  });

  it('verifies each real root as self-signed inside its validity', async () => {
    for (const name of ['auth_ca_2015', 'auth_ca_2023', 'sign_ca_2015', 'sign_ca_2023']) {
      const root = anchor(name).certificate;
      const result = await validatePath({
        certificate: root,
        trustAnchors: [{ certificate: root }],
        time: new Date('2024-07-03T00:00:00Z'),
        checkRevocation: false,
      });
      expect(result.status === 'valid' || result.decidedBy?.check === 'path.build', name).toBe(true);
      expect(
        await verifyPkcs1Signature({
          subjectPublicKeyInfo: root.subjectPublicKeyInfo,
          data: root.tbsCertificate,
          signature: root.signatureValue,
          hash: 'SHA-256',
        }),
      ).toBe(true);
    }
  });
});
