import { randomBytes } from 'node:crypto';

import { basicFourInfoOf, generatePerson, parseIsoDate } from '@openmyna/core';
import { SoftwareSigner, type CertificateAuthority } from '@openmyna/pki';

import { nodeCardKey } from '@openmyna/card/node';

import { makeAuthority, makeKenhojoIssuer, makeKenkakuIssuer } from './authorities.js';

/** Both JPKI hierarchies with delegated OCSP responders, as the issuer service runs them. */
export async function makeIssuerAuthorities(): Promise<
  Record<
    'signing' | 'authentication',
    { ca: CertificateAuthority; responderCertificate: Uint8Array; responderSigner: SoftwareSigner }
  >
> {
  const make = async (hierarchy: 'signing' | 'authentication') => {
    const ca = await makeAuthority(hierarchy);
    const responderSigner = await SoftwareSigner.generate();
    const responderCertificate = await ca.issueOcspResponder({
      subjectPublicKeyInfo: responderSigner.publicKeyInfo,
      commonName: `OCSP ${hierarchy}`,
      notBefore: new Date('2025-06-01T00:00:00Z'),
      notAfter: new Date('2030-01-01T00:00:00Z'),
    });
    return { ca, responderCertificate, responderSigner };
  };
  return { signing: await make('signing'), authentication: await make('authentication') };
}

/** The registry input of synthetic person `index` (a small JPEG stands for the photo). */
export function registryPerson(seed: string, index: number) {
  const person = generatePerson({ seed }, index);
  return {
    person,
    input: {
      id: person.id,
      basicFourInfo: basicFourInfoOf(person),
      nameKana: person.nameKana,
      myNumber: person.myNumber,
      residentCode: person.residentCode,
      municipalityCode: person.municipalityCode,
      photo: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
    },
    holder: {
      basicFourInfo: basicFourInfoOf(person),
      municipalityCode: person.municipalityCode,
      prefecture: person.prefecture,
      municipality: person.municipality,
      cardExpiry: parseIsoDate('2035-01-01'),
    },
  };
}

export const testRandom = (length: number): Uint8Array => new Uint8Array(randomBytes(length));

/** 入力補助 and 券面 issuers for every municipality (one key each), and the CA keys that verify them. */
export async function makeCardFaceIssuers() {
  const kenhojo = await makeKenhojoIssuer();
  // The 券面 issuer key signs in OpenSSL, as the issuer service's does.
  const kenkaku = await makeKenkakuIssuer(undefined, nodeCardKey);
  return {
    cardFace: {
      kenhojo: () =>
        Promise.resolve({ signer: kenhojo.issuer, keyId: kenhojo.keyId, cvCertificate: kenhojo.cvCertificate }),
      kenkaku: () => Promise.resolve({ key: kenkaku.key, keyId: kenkaku.keyId, cvCertificate: kenkaku.cvCertificate }),
    },
    caKeys: new Map([...kenhojo.caKeys, ...kenkaku.caKeys]),
  };
}
