import { parseIsoDate, type MunicipalityCode } from '@openmyna/core';
import type { Hierarchy } from '@openmyna/pki';
import {
  createJpkiApplet,
  inProcessTransport,
  MemoryRetryCounterStore,
  protectPin,
  RetryCounter,
  SmartCard,
  SoftwareCardKey,
} from '@openmyna/card';

import { makeAuthority } from '../../../test-support/authorities.js';

export const NOW = new Date('2026-04-01T03:00:00Z');
const HOLDER = {
  basicFourInfo: {
    name: '黒桐　幹也',
    address: '東京都清瀬市観布子南１２－７－２０２',
    birthDate: parseIsoDate('1980-02-17'),
    sex: '1' as const,
  },
  municipalityCode: '13221' as MunicipalityCode,
  prefecture: '東京都',
  municipality: '清瀬市',
  cardExpiry: parseIsoDate('2035-02-17'),
};

/** The physical card's ATR as OpenSC matches it (card-spec §0). */
export const JPKI_ATR = Uint8Array.of(0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14);

const authority = (hierarchy: Hierarchy) => makeAuthority(hierarchy, 'openmyna card tests');

/** Builds a JPKI virtual card (or phone) with fresh keys and certificates from throw-away CAs. */
export async function makeJpkiCard(variant: 'card' | 'phone' = 'card') {
  const [signingCa, authenticationCa] = await Promise.all([authority('signing'), authority('authentication')]);
  const signingKey = await SoftwareCardKey.generate();
  const authenticationKey = await SoftwareCardKey.generate();
  const authenticationCertificate = await authenticationCa.issueEndEntity({
    profile: 'jpki-authentication',
    subjectPublicKeyInfo: authenticationKey.publicKeyInfo,
    holder: HOLDER,
    issuedAt: NOW,
  });
  const signingCertificate = await signingCa.issueEndEntity({
    profile: 'jpki-signing',
    subjectPublicKeyInfo: signingKey.publicKeyInfo,
    holder: HOLDER,
    issuedAt: NOW,
  });
  const store = new MemoryRetryCounterStore();
  const salt = new Uint8Array(16).fill(3);
  const encode = (text: string) => new TextEncoder().encode(text);
  const applet = createJpkiApplet({
    variant,
    signing: {
      certificate: signingCertificate,
      key: signingKey.key,
      password: new RetryCounter({
        reference: 'jpki/001B',
        maxTries: 5,
        pin: protectPin(encode('ABC123'), salt),
        store,
      }),
    },
    signingCaCertificate: signingCa.certificate,
    authentication: {
      certificate: authenticationCertificate,
      key: authenticationKey.key,
      pin: new RetryCounter({ reference: 'jpki/0018', maxTries: 3, pin: protectPin(encode('1234'), salt), store }),
    },
    authenticationCaCertificate: authenticationCa.certificate,
    tokenSerial: '0000000000000001',
  });
  const card = new SmartCard({
    applets: [applet],
    atr: JPKI_ATR,
    mfData: new Map([
      [0x00f0, encode('13221')],
      [0x5f51, JPKI_ATR.subarray(1)],
    ]),
  });
  return {
    card,
    transport: inProcessTransport(card),
    signingCertificate,
    authenticationCertificate,
    signingCa: signingCa.certificate,
    authenticationCa: authenticationCa.certificate,
    signingPublicKey: signingKey.publicKeyInfo,
    authenticationPublicKey: authenticationKey.publicKeyInfo,
  };
}
