import { generateKeyPairSync } from 'node:crypto';

import {
  ageOn,
  basicFourInfoOf,
  cardExpiryDate,
  generatePerson,
  parseIsoDate,
  renderFacePhoto,
  type CalendarDate,
} from '@openmyna/core';
import {
  cardFaceElements,
  decodeIssuedMdoc,
  issueMdoc,
  issueMdocCertificate,
  MNC_DOCTYPE,
  MNC_ELEMENTS,
  mdocTrustAnchor,
  type AuthorizedElement,
  type CardFaceAttributes,
  type EcPrivateKey,
  type IssuedMdoc,
  type MdocCrypto,
  type MdocTrustAnchor,
  type ReaderKey,
  type StatusListReference,
} from '@openmyna/mdoc';

/** Times the fixtures are built around: certificates span them, the MSO is valid at `NOW`. */
export const NOW = new Date('2026-11-27T03:00:00Z');
const DAY = 86_400_000;
export const days = (n: number): Date => new Date(NOW.getTime() + n * DAY);

/** A new P-256 key, with its private JWK kept so that peer libraries in tests can use the same key. */
export async function newKey(crypto: MdocCrypto): Promise<{ key: EcPrivateKey; jwk: JsonWebKey }> {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as JsonWebKey;
  return { key: await crypto.importEcPrivateKey(jwk), jwk };
}

export interface MdocHierarchy {
  /** The time the hierarchy was made around (the test's clock): what else the fixtures make spans it too. */
  readonly now: Date;
  readonly iaca: { readonly key: EcPrivateKey; readonly der: Uint8Array; readonly anchor: MdocTrustAnchor };
  readonly documentSigner: { readonly key: EcPrivateKey; readonly certificate: Uint8Array; readonly jwk: JsonWebKey };
  readonly readerCa: { readonly key: EcPrivateKey; readonly der: Uint8Array; readonly anchor: MdocTrustAnchor };
  readonly crypto: MdocCrypto;
}

/**
 * An IACA and document signer for the card-face mdoc, and a reader CA, per ISO/IEC 18013-5 Annex B, valid
 * around `now` (default the fixed `NOW`; a test on the wall clock passes `new Date()`).
 */
export async function makeMdocHierarchy(
  crypto: MdocCrypto,
  options: { now?: Date; dsValidity?: { notBefore: Date; notAfter: Date } } = {},
): Promise<MdocHierarchy> {
  const now = options.now ?? NOW;
  const at = (n: number): Date => new Date(now.getTime() + n * DAY);
  const dsValidity = options.dsValidity ?? { notBefore: at(-30), notAfter: at(300) };
  const randomBytes = (length: number): Uint8Array => crypto.randomBytes(length);
  const iacaKey = await crypto.generateEcKey();
  const iacaSubject = [
    ['C', 'JP'],
    ['O', 'openmyna'],
    ['CN', 'openmyna test IACA'],
  ] as const;
  const iacaDer = await issueMdocCertificate({
    role: 'iaca',
    subject: iacaSubject,
    publicKey: iacaKey.publicKey,
    issuerKey: iacaKey,
    notBefore: at(-365),
    notAfter: at(3650),
    issuerAltNameUri: 'https://issuer.openmyna.test/',
    crlDistributionPointUri: 'https://issuer.openmyna.test/mdoc/iaca.crl',
    randomBytes,
  });
  const iacaAnchor = mdocTrustAnchor(iacaDer);
  const { key: dsKey, jwk: dsJwk } = await newKey(crypto);
  const dsDer = await issueMdocCertificate({
    role: 'document-signer',
    subject: [
      ['C', 'JP'],
      ['CN', 'openmyna test document signer'],
    ],
    publicKey: dsKey.publicKey,
    issuerKey: iacaKey,
    issuer: { subject: iacaAnchor.certificate.subject, publicKey: iacaKey.publicKey },
    ...dsValidity,
    issuerAltNameUri: 'https://issuer.openmyna.test/',
    crlDistributionPointUri: 'https://issuer.openmyna.test/mdoc/iaca.crl',
    randomBytes,
  });
  const readerCaKey = await crypto.generateEcKey();
  const readerCaDer = await issueMdocCertificate({
    role: 'reader-ca',
    subject: [
      ['C', 'JP'],
      ['CN', 'openmyna test reader CA'],
    ],
    publicKey: readerCaKey.publicKey,
    issuerKey: readerCaKey,
    notBefore: at(-365),
    notAfter: at(3650),
    issuerAltNameUri: 'https://verifier.openmyna.test/',
    randomBytes,
  });
  return {
    iaca: { key: iacaKey, der: iacaDer, anchor: iacaAnchor },
    documentSigner: { key: dsKey, certificate: dsDer, jwk: dsJwk },
    readerCa: { key: readerCaKey, der: readerCaDer, anchor: mdocTrustAnchor(readerCaDer) },
    crypto,
    now,
  };
}

/** Every card-face element, as a reader authorization. */
export function allCardFaceElements(): AuthorizedElement[] {
  return Object.entries(MNC_ELEMENTS).flatMap(([nameSpace, identifiers]) =>
    identifiers.map((elementIdentifier) => ({ docType: MNC_DOCTYPE, nameSpace, elementIdentifier })),
  );
}

/** A reader certificate under the hierarchy's reader CA, authorized for `authorized` elements. */
export async function makeReader(
  hierarchy: MdocHierarchy,
  commonName: string,
  authorized: readonly AuthorizedElement[] | undefined,
): Promise<ReaderKey> {
  const { crypto, readerCa } = hierarchy;
  const key = await crypto.generateEcKey();
  const der = await issueMdocCertificate({
    role: 'reader',
    subject: [
      ['C', 'JP'],
      ['CN', commonName],
    ],
    publicKey: key.publicKey,
    issuerKey: readerCa.key,
    issuer: { subject: readerCa.anchor.certificate.subject, publicKey: readerCa.key.publicKey },
    notBefore: new Date(hierarchy.now.getTime() - 30 * DAY),
    notAfter: new Date(hierarchy.now.getTime() + 365 * DAY),
    issuerAltNameUri: 'https://verifier.openmyna.test/',
    ...(authorized ? { authorizedElements: authorized } : {}),
    randomBytes: (length) => crypto.randomBytes(length),
  });
  return { key, certificateChain: [der] };
}

/** The card-face attributes of synthetic person `index`. */
export function cardFaceAttributesOf(index = 7): CardFaceAttributes {
  const person = generatePerson({ seed: 'mdoc' }, index);
  const info = basicFourInfoOf(person);
  const issue: CalendarDate = parseIsoDate('2025-04-01');
  return {
    basicFourInfo: info,
    myNumber: person.myNumber,
    municipalityCode: person.municipalityCode.slice(0, 5),
    portrait: renderFacePhoto({ faceSeed: person.faceSeed, sex: person.sex, age: ageOn(info.birthDate, issue) }),
    cardIssueDate: issue,
    cardExpiryDate: cardExpiryDate(info.birthDate, issue),
  };
}

/** Issues the card-face mdoc to a new device key. */
export async function issueCardFaceMdoc(
  hierarchy: MdocHierarchy,
  options: {
    validFrom?: Date;
    validUntil?: Date;
    signed?: Date;
    status?: StatusListReference;
    attributes?: CardFaceAttributes;
  } = {},
): Promise<{
  issued: IssuedMdoc;
  deviceKey: EcPrivateKey;
  deviceJwk: JsonWebKey;
  decoded: ReturnType<typeof decodeIssuedMdoc>;
}> {
  const { key: deviceKey, jwk: deviceJwk } = await newKey(hierarchy.crypto);
  const at = (n: number): Date => new Date(hierarchy.now.getTime() + n * DAY);
  const issued = await issueMdoc({
    docType: MNC_DOCTYPE,
    elements: cardFaceElements(options.attributes ?? cardFaceAttributesOf(), { year: 2026, month: 11, day: 27 }),
    deviceKey: deviceKey.publicKey,
    documentSigner: hierarchy.documentSigner,
    validity: {
      signed: options.signed ?? at(-1),
      validFrom: options.validFrom ?? at(-1),
      validUntil: options.validUntil ?? at(29),
    },
    ...(options.status ? { status: options.status } : {}),
    crypto: hierarchy.crypto,
  });
  return { issued, deviceKey, deviceJwk, decoded: decodeIssuedMdoc(issued.bytes) };
}
