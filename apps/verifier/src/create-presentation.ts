import { generateKeyPairSync } from 'node:crypto';

import { base64UrlDecode, base64UrlEncode } from '@openmyna/core';
import {
  authorizationRequestUri,
  createRequestObject,
  dcqlQueryFor,
  encodeTransactionData,
  isSignableDigest,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  type AuthorizationRequest,
  type DcqlCredentialQuery,
  type KenhojoRecordName,
  type ResponseMode,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import type { JWK } from 'jose';

import { appendAudit } from './audit.js';
import { isoTime, randomId, type VerifierContext } from './context.js';
import { VerifierServiceError } from './errors.js';
import { assertMayRequest, readerKeyOf, type RelyingParty } from './relying-parties.js';
import { sealJson } from './sealing.js';
import { SEALED, type PresentationServices, type RequestedElement } from './services.js';

/** How long a presentation request may be answered. */
export const PRESENTATION_SECONDS = 300;
/** The credential query ids of our requests, one per kind of credential. */
export const QUERY_IDS = { card: 'card', sign: 'sign', kenhojo: 'kenhojo', login: 'login' } as const;

/** What creating a presentation request returns to the relying party. */
export interface CreatedPresentation {
  readonly id: string;
  /** Fetched by the wallet (OpenID4VP `request_uri`). */
  readonly requestUri: string;
  readonly clientId: string;
  /** `openid4vp://?client_id=…&request_uri=…`: the same-device link, and the text of the cross-device QR. */
  readonly link: string;
  readonly expiresAt: string;
}

/** What a relying party asks for: any of card-face elements, a JPKI signature, 入力補助 records, a login. */
export interface PresentationInput {
  readonly purpose: string;
  readonly responseMode?: ResponseMode;
  /** Card-face mdoc elements (`mso_mdoc`). */
  readonly elements?: readonly RequestedElement[];
  /** A document to sign with the JPKI signing key (`jpki_sign`), at most 64 KiB. */
  readonly sign?: { readonly document: Uint8Array; readonly title: string; readonly mediaType: string };
  /**
   * A signature over a digest the relying party computed (`jpki_sign` with a `jpki_sign_digest`): the
   * 32-byte SHA-256 hash, or its 51-byte DigestInfo when `digestInfo`. It names no request, so only with
   * `login` (whose statement binds the answer), and neither with `sign` nor with `kenhojo`.
   */
  readonly signDigest?: { readonly digest: Uint8Array; readonly digestInfo: boolean; readonly title: string };
  /** 入力補助 records (`jp_kenhojo`), bound to the signature: only together with `sign`. */
  readonly kenhojo?: readonly KenhojoRecordName[];
  /** A JPKI authentication over the request (`jpki_auth`): a pairwise subject identifier. */
  readonly login?: boolean;
}

/** The card-face elements that carry what a signing certificate and the 入力補助 4 info carry. */
const FOUR_INFO_ELEMENTS: readonly RequestedElement[] = [
  'full_name_unicode',
  'resident_address_unicode',
  'birth_date_unicode',
  'sex_unicode',
].map((elementIdentifier) => ({ nameSpace: JP_NAMESPACE, elementIdentifier }));

/** The response-decryption key of a `direct_post.jwt` request: sealed for the service, public for the wallet. */
interface ResponseDecryption {
  readonly sealed: Uint8Array;
  readonly publicJwk: JWK;
}

/**
 * Creates an OpenID4VP request for card-face elements, signed with the relying party's request key
 * (`x509_hash` client id): a fresh nonce and state (single use, unique in the database), a DCQL query,
 * `direct_post.jwt` with a fresh ECDH-ES key by default. Refuses (`ERR_RP_NOT_AUTHORIZED`) any
 * element the relying party is not registered for — a My Number above all.
 */
export async function createPresentation(
  context: VerifierContext,
  services: PresentationServices,
  party: RelyingParty,
  input: PresentationInput,
): Promise<CreatedPresentation> {
  assertRequestable(party, input);
  const credentials = credentialQueriesFor(input);
  const now = context.clock();
  const id = randomId(context, 'V');
  const responseMode = input.responseMode ?? 'direct_post.jwt';
  const decryption = responseMode === 'direct_post.jwt' ? responseDecryption(services, id) : undefined;
  const { jwt, clientId } = await createRequestObject({
    request: {
      response_type: 'vp_token',
      response_mode: responseMode,
      response_uri: `${services.publicUrl}/v1/presentations/${id}/response`,
      nonce: randomId(context, '', 32),
      state: randomId(context, '', 16),
      dcql_query: { credentials },
      ...transactionDataOf(input),
      client_metadata: clientMetadataFor(party, input, decryption),
    },
    reader: await readerKeyOf(context, party.id, services.sealingKey),
    crypto: nodeMdocCrypto,
    now,
    lifetime: PRESENTATION_SECONDS,
  });
  const expiresAt = isoTime(new Date(now.getTime() + PRESENTATION_SECONDS * 1000));
  await recordPresentation(context, { id, party, jwt, decryption, now, expiresAt });
  await appendAudit(context, {
    rpId: party.id,
    action: 'presentation.create',
    subjectId: id,
    result: 'pending',
    details: {
      credentials: credentials.map((credential) => credential.format),
      elements: (input.elements ?? []).map((element) => element.elementIdentifier),
      responseMode,
    },
  });
  const requestUri = `${services.publicUrl}/v1/presentations/${id}/request`;
  return { id, requestUri, clientId, link: authorizationRequestUri({ clientId, requestUri }), expiresAt };
}

/** Refuses a request that asks for nothing, for what the party may not receive, or for unbound records. */
function assertRequestable(party: RelyingParty, input: PresentationInput): void {
  const elements = input.elements ?? [];
  if (elements.length === 0 && !input.sign && !input.signDigest && !input.kenhojo && !input.login)
    throw new VerifierServiceError('ERR_RP_INVALID', 'ask for at least one credential');
  assertMayRequest(
    party,
    // A JPKI signature and the 入力補助 4 info name the holder as the card face does: they are asked for
    // only by a relying party registered for those card-face elements.
    [...elements, ...(input.sign || input.signDigest || input.kenhojo ? FOUR_INFO_ELEMENTS : [])],
    input.kenhojo?.includes('my_number') && party.myNumberPurpose === 'none' ? ['my_number'] : [],
  );
  if (input.kenhojo && !input.sign)
    throw new VerifierServiceError(
      'ERR_RP_INVALID',
      '入力補助 records are verified against the signing certificate of the same presentation: ask for a signature too',
    );
  if (input.kenhojo && !input.kenhojo.includes('basic_four_info'))
    throw new VerifierServiceError(
      'ERR_RP_INVALID',
      '入力補助 records are bound to the signer by their 4 info: ask for basic_four_info with my_number',
    );
  if (input.sign && (input.sign.document.length === 0 || input.sign.document.length > 65_536 || !input.sign.title))
    throw new VerifierServiceError('ERR_RP_INVALID', 'the document to sign has 1 byte to 64 KiB and a title');
  if (input.signDigest) assertDigestRequestable(input, input.signDigest);
}

/** A digest signature: alone of its kind, beside a login that binds it, over a well-formed digest. */
function assertDigestRequestable(input: PresentationInput, signDigest: NonNullable<PresentationInput['signDigest']>) {
  if (input.sign || input.kenhojo)
    throw new VerifierServiceError(
      'ERR_RP_INVALID',
      'signDigest is asked without sign and without kenhojo: 入力補助 records are bound by a document signature only',
    );
  if (!input.login)
    throw new VerifierServiceError(
      'ERR_RP_INVALID',
      'a signature over a digest names no request: ask for login: true beside it, whose statement binds the answer',
    );
  const { digest, digestInfo, title } = signDigest;
  if (!isSignableDigest(digest, digestInfo) || !title)
    throw new VerifierServiceError(
      'ERR_RP_INVALID',
      'signDigest needs a title and a 32-byte SHA-256 hash, or its 51-byte DigestInfo with digestInfo: true',
    );
}

/** The DCQL credential queries (OpenID4VP §6.1) of what the relying party asks for. */
function credentialQueriesFor(input: PresentationInput): DcqlCredentialQuery[] {
  const elements = input.elements ?? [];
  return [
    ...(elements.length > 0 ? dcqlQueryFor(QUERY_IDS.card, MNC_DOCTYPE, elements).credentials : []),
    ...(input.sign || input.signDigest ? [{ id: QUERY_IDS.sign, format: 'jpki_sign' as const }] : []),
    ...(input.kenhojo
      ? [{ id: QUERY_IDS.kenhojo, format: 'jp_kenhojo' as const, meta: { records: input.kenhojo } }]
      : []),
    ...(input.login ? [{ id: QUERY_IDS.login, format: 'jpki_auth' as const }] : []),
  ];
}

/** The `transaction_data` entry carrying the document or the digest to sign (docs/openid4vp-formats.md), if any. */
function transactionDataOf(input: PresentationInput): { transaction_data?: string[] } {
  if (input.signDigest)
    return {
      transaction_data: [
        encodeTransactionData({
          type: 'jpki_sign_digest',
          credential_ids: [QUERY_IDS.sign],
          digest: base64UrlEncode(input.signDigest.digest),
          digest_info: input.signDigest.digestInfo,
          document_title: input.signDigest.title,
        }),
      ],
    };
  if (!input.sign) return {};
  return {
    transaction_data: [
      encodeTransactionData({
        type: 'jpki_sign_document',
        credential_ids: [QUERY_IDS.sign],
        document: base64UrlEncode(input.sign.document),
        document_title: input.sign.title,
        document_media_type: input.sign.mediaType,
      }),
    ],
  };
}

/** A fresh P-256 ECDH-ES key for one `direct_post.jwt` response (OpenID4VP §8.3). */
function responseDecryption(services: PresentationServices, id: string): ResponseDecryption {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    sealed: sealJson(services.sealingKey, SEALED.decryptionKey, jwk),
    publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, use: 'enc', alg: 'ECDH-ES', kid: id },
  };
}

function clientMetadataFor(party: RelyingParty, input: PresentationInput, decryption: ResponseDecryption | undefined) {
  return {
    client_name: party.name,
    purpose: input.purpose,
    ...(decryption
      ? {
          jwks: { keys: [decryption.publicJwk] },
          encrypted_response_enc_values_supported: ['A128GCM', 'A256GCM'],
        }
      : {}),
    vp_formats_supported: {
      mso_mdoc: { issuerauth_alg_values: [-7], deviceauth_alg_values: [-7] },
      jpki_sign: {},
      jpki_auth: {},
      jp_kenhojo: {},
    },
  };
}

/** Stores the pending request: its signed object, the nonce and state it carries, the sealed key. */
async function recordPresentation(
  context: VerifierContext,
  presentation: {
    readonly id: string;
    readonly party: RelyingParty;
    readonly jwt: string;
    readonly decryption: ResponseDecryption | undefined;
    readonly now: Date;
    readonly expiresAt: string;
  },
): Promise<void> {
  const { id, jwt, now } = presentation;
  const payload = new TextDecoder().decode(base64UrlDecode(jwt.split('.')[1]!));
  const request = JSON.parse(payload) as AuthorizationRequest & { state: string };
  await context.db
    .insertInto('presentations')
    .values({
      id,
      rp_id: presentation.party.id,
      nonce: request.nonce,
      state: request.state,
      request: JSON.stringify(request),
      request_jwt: jwt,
      decryption_key_sealed: presentation.decryption?.sealed ?? null,
      status: 'pending',
      created_at: isoTime(now),
      expires_at: presentation.expiresAt,
      responded_at: null,
      result: null,
      claims_sealed: null,
      claims_fetched_at: null,
      last_rejection: null,
    })
    .execute();
}
