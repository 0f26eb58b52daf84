import { generateKeyPairSync } from 'node:crypto';

import {
  issueMdocCertificate,
  MNC_DOCTYPE,
  MNC_ELEMENTS,
  MY_NUMBER_ELEMENT,
  x509HashClientId,
  type AuthorizedElement,
  type EcPrivateKey,
  type MdocTrustAnchor,
  type ReaderKey,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { base64UrlEncode } from '@openmyna/core';
import { tokenDigest } from '@openmyna/service';
import type { RelyingPartyAuthorization } from '@openmyna/verifier';

import { appendAudit } from './audit.js';
import { isoTime, randomId, type VerifierContext } from './context.js';
import { VerifierServiceError } from './errors.js';
import { sealJson, unsealJson } from './sealing.js';
import type { MyNumberPurpose, RelyingPartyTable } from './storage/schema.js';

/** The reader CA that certifies relying parties' request-signing keys (ISO 18013-5 Annex B reader role). */
export interface ReaderAuthority {
  readonly key: EcPrivateKey;
  readonly anchor: MdocTrustAnchor;
}

/** A relying party as the service knows it. */
export interface RelyingParty {
  readonly id: string;
  readonly name: string;
  readonly myNumberPurpose: MyNumberPurpose;
  readonly elements: readonly AuthorizedElement[];
  readonly webhookUrl: string | undefined;
  readonly requestCertificate: Uint8Array;
}

const REQUEST_KEY = 'rp-request-key';
const DAY = 86_400_000;

/** Every card-face element, as a registration grants them (the My Number only with a purpose). */
export function cardFaceElements(withMyNumber: boolean): AuthorizedElement[] {
  return Object.entries(MNC_ELEMENTS).flatMap(([nameSpace, identifiers]) =>
    identifiers
      .filter((elementIdentifier) => withMyNumber || elementIdentifier !== MY_NUMBER_ELEMENT.elementIdentifier)
      .map((elementIdentifier) => ({ docType: MNC_DOCTYPE, nameSpace, elementIdentifier })),
  );
}

const isMyNumber = (element: AuthorizedElement) =>
  element.nameSpace === MY_NUMBER_ELEMENT.nameSpace &&
  element.elementIdentifier === MY_NUMBER_ELEMENT.elementIdentifier;

/**
 * Registers a relying party: an API key (returned once; only its SHA-256 is stored), a P-256
 * request-signing key (sealed) with a one-year reader certificate from the service's reader CA whose
 * authorization extension names the elements it may request, and its My Number purpose. An element
 * list naming the My Number without a purpose is refused (`ERR_RP_INVALID`).
 */
export async function registerRelyingParty(
  context: VerifierContext,
  options: {
    readonly name: string;
    readonly myNumberPurpose: MyNumberPurpose;
    readonly elements?: readonly AuthorizedElement[];
    readonly webhookUrl?: string;
    readonly readerAuthority: ReaderAuthority;
    readonly sealingKey: Uint8Array;
    readonly publicUrl: string;
    readonly id?: string;
  },
): Promise<{ relyingParty: RelyingParty; apiKey: string; clientId: string }> {
  const withMyNumber = options.myNumberPurpose !== 'none';
  const elements = options.elements ?? cardFaceElements(withMyNumber);
  if (!withMyNumber && elements.some(isMyNumber))
    throw new VerifierServiceError(
      'ERR_RP_INVALID',
      'only a relying party registered for 番号利用事務 or 個人番号関係事務 may receive a My Number',
    );
  if (elements.length === 0 || elements.some((element) => element.docType !== MNC_DOCTYPE))
    throw new VerifierServiceError('ERR_RP_INVALID', `the elements are card-face elements of ${MNC_DOCTYPE}`);
  if (options.webhookUrl !== undefined && !/^https?:\/\//.test(options.webhookUrl))
    throw new VerifierServiceError('ERR_RP_INVALID', 'the webhook URL is an http(s) URL');
  const id = options.id ?? randomId(context, 'R', 12);
  const apiKey = `omk_${base64UrlEncode(context.randomBytes(32))}`;
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const key = await nodeMdocCrypto.importEcPrivateKey(jwk);
  const now = context.clock();
  const certificate = await requestCertificateFor(context, options, { publicKey: key.publicKey, elements, now });
  const row: RelyingPartyTable = {
    id,
    name: options.name,
    api_key_digest: tokenDigest(apiKey),
    my_number_purpose: options.myNumberPurpose,
    elements: JSON.stringify(elements),
    request_certificate: certificate,
    request_key_sealed: sealJson(options.sealingKey, REQUEST_KEY, jwk),
    webhook_url: options.webhookUrl ?? null,
    created_at: isoTime(now),
  };
  await context.db.insertInto('relying_parties').values(row).execute();
  await appendAudit(context, {
    rpId: id,
    action: 'rp.register',
    subjectId: id,
    result: 'ok',
    details: { myNumberPurpose: options.myNumberPurpose, elements: elements.length },
  });
  return {
    relyingParty: fromRow(row),
    apiKey,
    clientId: await x509HashClientId(certificate, nodeMdocCrypto),
  };
}

/** A one-year reader certificate for a relying party's request key, naming the elements it may request. */
async function requestCertificateFor(
  context: VerifierContext,
  options: { readonly name: string; readonly readerAuthority: ReaderAuthority; readonly publicUrl: string },
  request: {
    readonly publicKey: EcPrivateKey['publicKey'];
    readonly elements: readonly AuthorizedElement[];
    readonly now: Date;
  },
): Promise<Uint8Array> {
  const { publicKey, elements, now } = request;
  return issueMdocCertificate({
    role: 'reader',
    subject: [
      ['C', 'JP'],
      ['O', options.name],
      ['CN', `${options.name} request signing`],
    ],
    publicKey,
    issuerKey: options.readerAuthority.key,
    issuer: {
      subject: options.readerAuthority.anchor.certificate.subject,
      publicKey: options.readerAuthority.key.publicKey,
    },
    notBefore: now,
    notAfter: new Date(now.getTime() + 365 * DAY),
    issuerAltNameUri: options.publicUrl,
    authorizedElements: elements,
    randomBytes: context.randomBytes,
  });
}

function fromRow(row: RelyingPartyTable): RelyingParty {
  return {
    id: row.id,
    name: row.name,
    myNumberPurpose: row.my_number_purpose,
    elements: JSON.parse(row.elements) as AuthorizedElement[],
    webhookUrl: row.webhook_url ?? undefined,
    requestCertificate: new Uint8Array(row.request_certificate),
  };
}

/** The relying party an API key belongs to, or `undefined` (looked up by the key's digest). */
export async function relyingPartyByApiKey(
  context: VerifierContext,
  apiKey: string,
): Promise<RelyingParty | undefined> {
  const row = await context.db
    .selectFrom('relying_parties')
    .selectAll()
    .where('api_key_digest', '=', tokenDigest(apiKey))
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** A relying party by id, or `ERR_RP_NOT_FOUND`. */
export async function relyingParty(context: VerifierContext, id: string): Promise<RelyingParty> {
  const row = await context.db.selectFrom('relying_parties').selectAll().where('id', '=', id).executeTakeFirst();
  // The id comes from the caller and is never echoed: it could be anything, a My Number included.
  if (!row) throw new VerifierServiceError('ERR_RP_NOT_FOUND', 'no such relying party');
  return fromRow(row);
}

/** The request-signing key and chain of a relying party. */
export async function readerKeyOf(context: VerifierContext, id: string, sealingKey: Uint8Array): Promise<ReaderKey> {
  const row = await context.db
    .selectFrom('relying_parties')
    .select(['request_certificate', 'request_key_sealed'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const jwk = unsealJson<JsonWebKey>(sealingKey, REQUEST_KEY, new Uint8Array(row.request_key_sealed));
  return {
    key: await nodeMdocCrypto.importEcPrivateKey(jwk),
    certificateChain: [new Uint8Array(row.request_certificate)],
  };
}

/**
 * Refuses (`ERR_RP_NOT_AUTHORIZED`) card-face elements this relying party is not registered for, and a
 * My Number for one without a My Number purpose, naming them.
 */
export function assertMayRequest(
  party: RelyingParty,
  wanted: readonly { readonly nameSpace: string; readonly elementIdentifier: string }[],
  extraRefused: readonly string[] = [],
): void {
  const refused = [
    ...wanted
      .filter(
        (asked) =>
          !party.elements.some(
            (element) => element.nameSpace === asked.nameSpace && element.elementIdentifier === asked.elementIdentifier,
          ) ||
          (isMyNumber({ docType: MNC_DOCTYPE, ...asked }) && party.myNumberPurpose === 'none'),
      )
      .map((element) => element.elementIdentifier),
    ...extraRefused,
  ];
  if (refused.length > 0)
    throw new VerifierServiceError(
      'ERR_RP_NOT_AUTHORIZED',
      `${party.name} is not registered to receive ${refused.join(', ')}`,
    );
}

/** What a relying party may receive, for the verifier SDK. */
export function authorizationOf(party: RelyingParty): RelyingPartyAuthorization {
  return { id: party.id, myNumber: party.myNumberPurpose !== 'none', elements: party.elements };
}
