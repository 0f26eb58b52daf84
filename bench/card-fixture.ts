import { parseIsoDate, type MunicipalityCode } from '@openmyna/core';
import {
  issueVirtualCard,
  MemoryRetryCounterStore,
  openVirtualCard,
  type CardRsaPublicKey,
  type SmartCard,
} from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import { makeAuthority, makeKenhojoIssuer, makeKenkakuIssuer } from '../test-support/authorities.js';
import { cardFaceImages } from '../test-support/card-face.js';

/** A virtual card for benchmarks, with the CA key its 入力補助 records verify under. */
export async function benchCard(): Promise<{ card: SmartCard; caKeys: Map<string, CardRsaPublicKey> }> {
  const now = new Date();
  const [signingCa, authenticationCa] = await Promise.all([
    makeAuthority('signing', 'bench', now),
    makeAuthority('authentication', 'bench', now),
  ]);
  const { issuer, cvCertificate, caKeys } = await makeKenhojoIssuer();
  const kenkaku = await makeKenkakuIssuer();
  const document = await issueVirtualCard({
    person: {
      id: 'P0000001',
      basicFourInfo: {
        name: '番号　花子',
        address: '東京都千代田区永田町１－７－１',
        birthDate: parseIsoDate('1971-09-01'),
        sex: '2',
      },
      myNumber: '123456789018',
      residentCode: '98765432109',
      municipalityCode: '13101' as MunicipalityCode,
      prefecture: '東京都',
      municipality: '千代田区',
    },
    issuedAt: new Date(),
    cardExpiry: parseIsoDate('2036-09-01'),
    securityCode: '4821',
    signingCa,
    authenticationCa,
    kenhojoIssuer: { signer: issuer, keyId: '1310121/000', cvCertificate },
    kenkakuIssuer: kenkaku,
    cardFaceImages: await cardFaceImages(
      { name: '番号　花子', address: '東京都千代田区永田町１－７－１', myNumber: '123456789018', securityCode: '4821' },
      '2',
    ),
    pins: { authentication: '1234', signing: 'HANAKO71', kenhojo: '1234' },
    passphrase: 'bench',
    iterations: 10_000,
  });
  const card = await openVirtualCard({
    document,
    passphrase: 'bench',
    store: () => new MemoryRetryCounterStore(),
    iterations: 10_000,
    cardKey: nodeCardKey,
  });
  return { card, caKeys: new Map([...caKeys, ...kenkaku.caKeys]) };
}
