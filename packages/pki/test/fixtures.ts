import {
  basicFourInfoOf,
  cardExpiryDate,
  calendarDateInJapan,
  generatePerson,
  parseIsoDate,
  type MunicipalityCode,
} from '@openmyna/core';
import { DEFAULT_POLICY_OIDS, SoftwareSigner, type Hierarchy } from '@openmyna/pki';
import { CertificateAuthority, type HierarchyConfig, type JpkiHolder } from '@openmyna/pki/ca';

/** A fixed instant inside every fixture's validity. */
export const NOW = new Date('2026-04-01T03:00:00Z');

export function hierarchyConfig(hierarchy: Hierarchy): HierarchyConfig {
  return {
    hierarchy,
    policyOid: DEFAULT_POLICY_OIDS[hierarchy],
    cpsUri: 'https://openmyna.example/cps',
    ocspUrl: `http://127.0.0.1:8080/ocsp/${hierarchy}`,
    crlBaseUrl: `http://127.0.0.1:8080/crl/${hierarchy}`,
  };
}

/** The JPKI test card's holder (card-spec §3.2), as registry data. */
export function testCardHolder(): JpkiHolder {
  return {
    basicFourInfo: {
      name: '黒桐　幹也',
      address: '東京都清瀬市観布子南１２－７－２０２',
      birthDate: parseIsoDate('1980-02-17'),
      sex: '1',
    },
    municipalityCode: '13221' as MunicipalityCode,
    prefecture: '東京都',
    municipality: '清瀬市',
    cardExpiry: parseIsoDate('2035-02-17'),
  };
}

/** A holder from the synthetic population. */
export function syntheticHolder(index: number): JpkiHolder {
  const person = generatePerson({ seed: 'pki-tests' }, index);
  return {
    basicFourInfo: basicFourInfoOf(person),
    municipalityCode: person.municipalityCode,
    prefecture: person.prefecture,
    municipality: person.municipality,
    cardExpiry: cardExpiryDate(parseIsoDate(person.birthDate), calendarDateInJapan(NOW)),
  };
}

export interface TestHierarchy {
  readonly ca: CertificateAuthority;
  readonly caSigner: SoftwareSigner;
}

const cache = new Map<Hierarchy, Promise<TestHierarchy>>();

/** One root per hierarchy per test file (RSA key generation is slow). */
export function testHierarchy(hierarchy: Hierarchy): Promise<TestHierarchy> {
  let made = cache.get(hierarchy);
  if (!made) {
    made = (async () => {
      const caSigner = await SoftwareSigner.generate();
      const ca = await CertificateAuthority.createRoot({
        config: hierarchyConfig(hierarchy),
        signer: caSigner,
        name: [
          ['C', 'JP'],
          ['O', 'openmyna'],
          [
            'OU',
            hierarchy === 'signing' ? 'openmyna JPKI for digital signature' : 'openmyna JPKI for user authentication',
          ],
          ['OU', 'openmyna test hierarchy'],
        ],
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: new Date('2045-01-01T00:00:00Z'),
      });
      return { ca, caSigner };
    })();
    cache.set(hierarchy, made);
  }
  return made;
}
