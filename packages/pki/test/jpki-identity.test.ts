import { basicFourInfoOf, formatIsoDate, generatePerson } from '@openmyna/core';
import { parseCertificate, readJpkiIdentity, SoftwareSigner } from '@openmyna/pki';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { makeAuthority } from '../../../test-support/authorities.js';

describe('readJpkiIdentity', () => {
  let key: SoftwareSigner;
  beforeAll(async () => {
    key = await SoftwareSigner.generate();
  });

  it('reads back the 4 info of every signing certificate the CA issues (property)', async () => {
    const ca = await makeAuthority('signing');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), async (index) => {
        const person = generatePerson({ seed: 'jpki-identity' }, index);
        const info = basicFourInfoOf(person);
        const der = await ca.issueEndEntity({
          profile: 'jpki-signing',
          subjectPublicKeyInfo: key.publicKeyInfo,
          holder: {
            basicFourInfo: info,
            municipalityCode: person.municipalityCode,
            prefecture: person.prefecture,
            municipality: person.municipality,
            cardExpiry: { year: 2035, month: 1, day: 1 },
          },
          issuedAt: new Date('2026-11-27T03:00:00Z'),
        });
        const identity = readJpkiIdentity(parseCertificate(der));
        expect(identity.basicFourInfo.name).toBe(info.name);
        expect(identity.basicFourInfo.address).toBe(info.address);
        expect(formatIsoDate(identity.basicFourInfo.birthDate)).toBe(person.birthDate);
        expect(identity.basicFourInfo.sex).toBe(info.sex);
        expect(identity.nameSubstitutePositions).toBe('0'.repeat([...info.name].length));
      }),
      { numRuns: 25 },
    );
  });

  it('refuses an authentication certificate, which names no one', async () => {
    const ca = await makeAuthority('authentication');
    const person = generatePerson({ seed: 'jpki-identity' }, 1);
    const der = await ca.issueEndEntity({
      profile: 'jpki-authentication',
      subjectPublicKeyInfo: key.publicKeyInfo,
      holder: {
        basicFourInfo: basicFourInfoOf(person),
        municipalityCode: person.municipalityCode,
        prefecture: person.prefecture,
        municipality: person.municipality,
        cardExpiry: { year: 2035, month: 1, day: 1 },
      },
      issuedAt: new Date('2026-11-27T03:00:00Z'),
    });
    expect(() => readJpkiIdentity(parseCertificate(der))).toThrow(
      expect.objectContaining({ code: 'ERR_JPKI_IDENTITY' }) as Error,
    );
  });

  it('refuses any malformed subjectAltName with a typed error, never another (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (value) => {
        const certificate = { extensions: [{ oid: '2.5.29.17', critical: false, value }] } as unknown as Parameters<
          typeof readJpkiIdentity
        >[0];
        try {
          readJpkiIdentity(certificate);
          return false;
        } catch (error) {
          return ['ERR_JPKI_IDENTITY', 'ERR_DER_MALFORMED'].includes((error as { code?: string }).code ?? '');
        }
      }),
      { numRuns: 500 },
    );
  });
});
