import { trustAnchor } from '@openmyna/pki';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { makeAuthority } from '../../../test-support/authorities.js';
import {
  MemoryChallengeStore,
  OPENMYNA_POLICY_OIDS,
  verifyJpkiLogin,
  verifyJpkiSignature,
  verifyKenhojo,
  type JpkiTrust,
} from '../src/index.js';

// Whatever arrives from a wallet, a verification returns its checks and never throws.
describe('malformed presentations', () => {
  let trust: JpkiTrust;
  beforeAll(async () => {
    const signing = await makeAuthority('signing');
    const authentication = await makeAuthority('authentication');
    trust = {
      anchors: {
        signing: [trustAnchor(signing.certificate)],
        authentication: [trustAnchor(authentication.certificate)],
      },
      policies: OPENMYNA_POLICY_OIDS,
      revocation: 'not-checked',
      clock: () => new Date('2026-11-27T03:00:00Z'),
    };
  });
  const bytes = fc.uint8Array({ maxLength: 600 });
  const derish = fc
    .uint8Array({ maxLength: 400 })
    .map((body) => new Uint8Array([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]));

  it('verifyJpkiSignature: invalid, never a throw, for any CMS, PKCS#1 or digest-signature input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytes, derish), bytes, async (input, content) => {
        const cms = await verifyJpkiSignature(trust, { kind: 'cms', signedData: input, detachedContent: content });
        expect(cms.status).toBe('invalid');
        expect(cms.signer).toBeUndefined();
        const raw = await verifyJpkiSignature(trust, {
          kind: 'pkcs1',
          signature: content,
          certificate: input,
          content,
        });
        expect(raw.status).toBe('invalid');
        const digest = await verifyJpkiSignature(trust, {
          kind: 'pkcs1-digest',
          signature: content,
          certificate: input,
          signed: content.subarray(0, 32),
        });
        expect([digest.status, digest.signer]).toEqual(['invalid', undefined]);
      }),
      { numRuns: 150 },
    );
  });

  it('verifyKenhojo: invalid with no My Number, never a throw, for any records', () => {
    fc.assert(
      fc.property(bytes, bytes, bytes, bytes, (integrityRecord, cvCertificate, myNumberFile, basicFourInfoFile) => {
        const result = verifyKenhojo(
          { integrityRecord, cvCertificate, myNumberFile, basicFourInfoFile },
          {
            caKeys: new Map(),
            signer: undefined,
            requested: ['my_number', 'basic_four_info'],
            rp: { id: 'rp', myNumber: true },
            clock: trust.clock,
          },
        );
        expect(result.status).toBe('invalid');
        expect(result.myNumber).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('verifyJpkiLogin: invalid, never a throw, for any challenge id, certificate or signature', async () => {
    const store = new MemoryChallengeStore();
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.oneof(bytes, derish), bytes, async (challengeId, certificate, signature) => {
        const result = await verifyJpkiLogin(trust, store, { challengeId, clientId: 'rp', certificate, signature });
        expect(result.status).toBe('invalid');
        expect(result.subject).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});
