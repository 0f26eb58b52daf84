import { generateKeyPairSync, randomBytes } from 'node:crypto';

import { basicFourInfoOf, generatePerson, parseIsoDate, renderFacePhoto } from '@openmyna/core';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { issueMdocCertificate, type EcPrivateKey } from '@openmyna/mdoc';
import { trustAnchor, type Signer } from '@openmyna/pki';
import type { CertificateAuthority } from '@openmyna/pki/ca';
import {
  ISSUER_MIGRATIONS,
  personInputOf,
  type IssuerContext,
  type IssuerSchema,
  pinResetAuthorityFromJwk,
  pinResetAuthorityFromKey,
  type PinResetAuthority,
  type ProvisioningAuthorities,
} from '@openmyna/issuer';

import { nodeCardKey } from '@openmyna/card/node';
import { migrate, type Engine } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { makeAuthority, makeKenhojoIssuer, makeKenkakuIssuer } from './authorities.js';
import { testDatabase, type TestDatabase } from './databases.js';
import { makeMdocHierarchy, type MdocHierarchy } from './mdoc-fixtures.js';
import { freshTokenCustody, testRsaSigner, TOKEN_KEYS } from './softhsm.js';

const DAY = 86_400_000;

/**
 * Both JPKI hierarchies with delegated OCSP responders, as the issuer service runs them, valid around
 * `now` — the time the test runs on, fixed or the wall clock, so a test never mixes the two.
 */
export async function makeIssuerAuthorities(
  now: Date,
): Promise<
  Record<
    'signing' | 'authentication',
    { ca: CertificateAuthority; responderCertificate: Uint8Array; responderSigner: Signer }
  >
> {
  const make = async (hierarchy: 'signing' | 'authentication') => {
    const ca = await makeAuthority(hierarchy, 'openmyna tests', now);
    const responderSigner = await testRsaSigner(`jpki-${hierarchy}-ocsp`);
    const responderCertificate = await ca.issueOcspResponder({
      subjectPublicKeyInfo: responderSigner.publicKeyInfo,
      commonName: `OCSP ${hierarchy}`,
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 3 * 365 * DAY),
    });
    return { ca, responderCertificate, responderSigner };
  };
  return { signing: await make('signing'), authentication: await make('authentication') };
}

let sharedPhoto: Uint8Array | undefined;

/** The registry input of synthetic person `index` (one rendered face photo stands for everyone's). */
export function registryPerson(seed: string, index: number) {
  const person = generatePerson({ seed }, index);
  sharedPhoto ??= renderFacePhoto({ faceSeed: 1, sex: '1', age: 40 });
  return {
    person,
    input: personInputOf(person, sharedPhoto),
    holder: {
      basicFourInfo: basicFourInfoOf(person),
      municipalityCode: person.municipalityCode,
      prefecture: person.prefecture,
      municipality: person.municipality,
      cardExpiry: parseIsoDate('2035-01-01'),
    },
  };
}

/** The `POST /admin/persons` body of a registry input (the birth date and photo as the test chooses). */
export function personCreateBody(
  input: ReturnType<typeof registryPerson>['input'],
  options: { readonly birthDate: string; readonly photo?: Uint8Array },
): Record<string, string> {
  return {
    id: input.id,
    name: input.basicFourInfo.name,
    nameKana: input.nameKana,
    address: input.basicFourInfo.address,
    birthDate: options.birthDate,
    sex: input.basicFourInfo.sex,
    myNumber: input.myNumber,
    residentCode: input.residentCode,
    municipalityCode: input.municipalityCode,
    photo: Buffer.from(options.photo ?? input.photo).toString('base64'),
  };
}

/** The registry key of test issuers (it indexes and seals My Numbers). */
export const TEST_REGISTRY_KEY = new Uint8Array(32).fill(9);

/**
 * A fresh, migrated issuer database on `engine` and the context to use it with, on the clock `clock`
 * (the test's: fixed, or the wall clock).
 */
export async function issuerTestContext(
  engine: Engine,
  clock: () => Date,
): Promise<{ database: TestDatabase<IssuerSchema>; context: IssuerContext }> {
  const database = await testDatabase<IssuerSchema>(engine);
  await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
  return { database, context: { db: database.db, clock, randomBytes: testRandom, registryKey: TEST_REGISTRY_KEY } };
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

/**
 * Everything provisioning needs, valid around `now` (the test's clock): both JPKI CAs as card anchors, the
 * card-face issuers, an mdoc document signer.
 */
export async function makeProvisioningAuthorities(now: Date, statusListUri = 'http://127.0.0.1:8080/mdoc/status/1') {
  const jpki = await makeIssuerAuthorities(now);
  const faces = await makeCardFaceIssuers();
  const mdoc = await makeMdocHierarchy(nodeMdocCrypto, { now });
  const authorities: ProvisioningAuthorities = {
    signing: jpki.signing.ca,
    authentication: jpki.authentication.ca,
    cardAnchors: {
      signing: [trustAnchor(jpki.signing.ca.certificate)],
      authentication: [trustAnchor(jpki.authentication.ca.certificate)],
    },
    cardFace: faces.cardFace,
    mdoc: { documentSigner: await tokenDocumentSigner(mdoc, now), statusListUri },
    pinResetAuthority: await makePinResetAuthority(),
  };
  return { authorities, caKeys: faces.caKeys, jpki, mdoc };
}

/**
 * The hierarchy's document signer, or with `OPENMYNA_TEST_KEYS=pkcs11` one whose key was made in the
 * token, certified by the same IACA.
 */
async function tokenDocumentSigner(
  mdoc: MdocHierarchy,
  now: Date,
): Promise<{ readonly key: EcPrivateKey; readonly certificate: Uint8Array }> {
  if (!TOKEN_KEYS) return mdoc.documentSigner;
  const key = await (await freshTokenCustody()).createEcKey('mdoc-document-signer');
  const certificate = await issueMdocCertificate({
    role: 'document-signer',
    subject: [
      ['C', 'JP'],
      ['CN', 'openmyna test document signer (token)'],
    ],
    publicKey: key.publicKey,
    issuerKey: mdoc.iaca.key,
    issuer: { subject: mdoc.iaca.anchor.certificate.subject, publicKey: mdoc.iaca.key.publicKey },
    notBefore: new Date(now.getTime() - 30 * DAY),
    notAfter: new Date(now.getTime() + 300 * DAY),
    issuerAltNameUri: 'https://issuer.openmyna.test/',
    crlDistributionPointUri: 'https://issuer.openmyna.test/mdoc/iaca.crl',
    randomBytes: testRandom,
  });
  return { key, certificate };
}

/** A PIN-reset authorization key, as `issuer serve` keeps one (in the token with `OPENMYNA_TEST_KEYS=pkcs11`). */
export async function makePinResetAuthority(issuer = 'http://127.0.0.1:8080'): Promise<PinResetAuthority> {
  if (TOKEN_KEYS) return pinResetAuthorityFromKey(await (await freshTokenCustody()).createEcKey('pin-reset'), issuer);
  return pinResetAuthorityFromJwk(
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
    issuer,
  );
}
