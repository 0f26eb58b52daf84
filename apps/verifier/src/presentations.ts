import { createHash, generateKeyPairSync } from 'node:crypto';

import { nodeCardSignatureCheck } from '@openmyna/card/node';
import type { CardRsaPublicKey } from '@openmyna/card';
import { formatIsoDate, OpenMynaError } from '@openmyna/core';
import {
  authorizationRequestUri,
  createRequestObject,
  dcqlItemsRequest,
  dcqlQueryFor,
  encodeTransactionData,
  jpkiSignDocumentFor,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  parseDcqlQuery,
  readAuthorizationResponse,
  sessionTranscriptForRequest,
  type AuthorizationRequest,
  type CborValue,
  type DcqlCredentialQuery,
  type KenhojoRecordName,
  type MdocTrustAnchor,
  type ResponseMode,
  type StatusChecker,
  type VerifiedDocument,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { fail, pass, summarize, type CheckResult, type JpkiIdentity, type VerificationSummary } from '@openmyna/pki';
import { isUniqueViolation } from '@openmyna/storage';
import {
  decodeJpkiAuthPresentation,
  decodeKenhojoPresentation,
  loginStatement,
  loginSubject,
  verifyJpkiAuthentication,
  verifyJpkiSignature,
  verifyKenhojo,
  verifyMdocPresentation,
  type JpkiTrust,
  type VerificationRecord,
} from '@openmyna/verifier';
import { importJWK, type JWK } from 'jose';

import { appendAudit } from './audit.js';
import { isoTime, randomId, type VerifierContext } from './context.js';
import { VerifierServiceError } from './errors.js';
import { assertMayRequest, authorizationOf, readerKeyOf, relyingParty, type RelyingParty } from './relying-parties.js';
import type { ProximityServices } from './proximity.js';
import { sealJson, unsealJson } from './sealing.js';
import type { PresentationStatus } from './storage/schema.js';

/** How long a presentation request may be answered. */
export const PRESENTATION_SECONDS = 300;
/** The credential query ids of our requests, one per kind of credential. */
export const QUERY_IDS = { card: 'card', sign: 'sign', kenhojo: 'kenhojo', login: 'login' } as const;
const DECRYPTION_KEY = 'presentation-decryption-key';
const CLAIMS = 'presentation-claims';

/** What presentations need beside the database. */
export interface PresentationServices {
  readonly sealingKey: Uint8Array;
  /** This service's public base URL (request and response URIs are under it). */
  readonly publicUrl: string;
  readonly mdoc: { readonly issuerAnchors: readonly MdocTrustAnchor[]; readonly status?: StatusChecker };
  /** JPKI anchors, policies and revocation, for `jpki_sign` and `jpki_auth`. */
  readonly jpki: JpkiTrust;
  /** The CV-certificate CA keys 入力補助 records chain to, for `jp_kenhojo`. */
  readonly kenhojoCaKeys: ReadonlyMap<string, CardRsaPublicKey>;
  /** Tells a relying party that a presentation finished (its webhook). Never carries disclosed values. */
  readonly notify?: (party: RelyingParty, event: { readonly id: string; readonly status: string }) => void;
  /** The relay for in-person sessions at a relying party's counter; without it they are refused. */
  readonly proximity?: ProximityServices;
  /** Where a failure of background work (an in-person session's bookkeeping) is reported. */
  readonly onBackgroundError?: (error: unknown) => void;
}

/** An element a relying party asks for. */
export interface RequestedElement {
  readonly nameSpace: string;
  readonly elementIdentifier: string;
  /** Whether the relying party will keep it (shown to the holder). */
  readonly intentToRetain?: boolean;
}

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

/** The verification result as a relying party reads it: the records, never salts or signatures. */
export interface PresentationResult {
  readonly status: 'valid' | 'invalid' | 'status-unknown';
  readonly decidedBy?: { readonly check: string; readonly reason?: string };
  /** Every named check of every credential, in order. */
  readonly checks: readonly { readonly check: string; readonly status: string }[];
  /** One verification record per credential presented. */
  readonly records: readonly VerificationRecord[];
}

/** The card-face elements that carry what a signing certificate and the 入力補助 4 info carry. */
const FOUR_INFO_ELEMENTS: readonly RequestedElement[] = [
  'full_name_unicode',
  'resident_address_unicode',
  'birth_date_unicode',
  'sex_unicode',
].map((elementIdentifier) => ({ nameSpace: JP_NAMESPACE, elementIdentifier }));

/** What a relying party asks for: any of card-face elements, a JPKI signature, 入力補助 records, a login. */
export interface PresentationInput {
  readonly purpose: string;
  readonly responseMode?: ResponseMode;
  /** Card-face mdoc elements (`mso_mdoc`). */
  readonly elements?: readonly RequestedElement[];
  /** A document to sign with the JPKI signing key (`jpki_sign`), at most 64 KiB. */
  readonly sign?: { readonly document: Uint8Array; readonly title: string; readonly mediaType: string };
  /** 入力補助 records (`jp_kenhojo`), bound to the signature: only together with `sign`. */
  readonly kenhojo?: readonly KenhojoRecordName[];
  /** A JPKI authentication over the request (`jpki_auth`): a pairwise subject identifier. */
  readonly login?: boolean;
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
  const elements = input.elements ?? [];
  if (elements.length === 0 && !input.sign && !input.kenhojo && !input.login)
    throw new VerifierServiceError('ERR_RP_INVALID', 'ask for at least one credential');
  assertMayRequest(
    party,
    // A JPKI signature and the 入力補助 4 info name the holder as the card face does: they are asked for
    // only by a relying party registered for those card-face elements.
    [...elements, ...(input.sign || input.kenhojo ? FOUR_INFO_ELEMENTS : [])],
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
  const credentials: DcqlCredentialQuery[] = [
    ...(elements.length > 0 ? dcqlQueryFor(QUERY_IDS.card, MNC_DOCTYPE, elements).credentials : []),
    ...(input.sign ? [{ id: QUERY_IDS.sign, format: 'jpki_sign' as const }] : []),
    ...(input.kenhojo
      ? [{ id: QUERY_IDS.kenhojo, format: 'jp_kenhojo' as const, meta: { records: input.kenhojo } }]
      : []),
    ...(input.login ? [{ id: QUERY_IDS.login, format: 'jpki_auth' as const }] : []),
  ];
  const transactionData = input.sign
    ? [
        encodeTransactionData({
          type: 'jpki_sign_document',
          credential_ids: [QUERY_IDS.sign],
          document: Buffer.from(input.sign.document).toString('base64url'),
          document_title: input.sign.title,
          document_media_type: input.sign.mediaType,
        }),
      ]
    : undefined;
  const now = context.clock();
  const id = randomId(context, 'V');
  const responseMode = input.responseMode ?? 'direct_post.jwt';
  let decryption: { sealed: Uint8Array; publicJwk: JWK } | undefined;
  if (responseMode === 'direct_post.jwt') {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    decryption = {
      sealed: sealJson(services.sealingKey, DECRYPTION_KEY, jwk),
      publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, use: 'enc', alg: 'ECDH-ES', kid: id },
    };
  }
  const { jwt, clientId } = await createRequestObject({
    request: {
      response_type: 'vp_token',
      response_mode: responseMode,
      response_uri: `${services.publicUrl}/v1/presentations/${id}/response`,
      nonce: randomId(context, '', 32),
      state: randomId(context, '', 16),
      dcql_query: { credentials },
      ...(transactionData ? { transaction_data: transactionData } : {}),
      client_metadata: {
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
      },
    },
    reader: await readerKeyOf(context, party.id, services.sealingKey),
    crypto: nodeMdocCrypto,
    now,
    lifetime: PRESENTATION_SECONDS,
  });
  const request = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as AuthorizationRequest & {
    state: string;
  };
  const expiresAt = isoTime(new Date(now.getTime() + PRESENTATION_SECONDS * 1000));
  await context.db
    .insertInto('presentations')
    .values({
      id,
      rp_id: party.id,
      nonce: request.nonce,
      state: request.state,
      request: JSON.stringify(request),
      request_jwt: jwt,
      decryption_key_sealed: decryption?.sealed ?? null,
      status: 'pending',
      created_at: isoTime(now),
      expires_at: expiresAt,
      responded_at: null,
      result: null,
      claims_sealed: null,
      claims_fetched_at: null,
      last_rejection: null,
    })
    .execute();
  await appendAudit(context, {
    rpId: party.id,
    action: 'presentation.create',
    subjectId: id,
    result: 'pending',
    details: {
      credentials: credentials.map((credential) => credential.format),
      elements: elements.map((element) => element.elementIdentifier),
      responseMode,
    },
  });
  const requestUri = `${services.publicUrl}/v1/presentations/${id}/request`;
  return { id, requestUri, clientId, link: authorizationRequestUri({ clientId, requestUri }), expiresAt };
}

async function presentationRow(context: VerifierContext, id: string) {
  const row = await context.db.selectFrom('presentations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new VerifierServiceError('ERR_PRESENTATION_NOT_FOUND', 'no such presentation request');
  return row;
}

/** The signed request object for the wallet, while the request is open. */
export async function requestObjectOf(context: VerifierContext, id: string): Promise<string> {
  const row = await presentationRow(context, id);
  if (row.status !== 'pending')
    throw new VerifierServiceError('ERR_PRESENTATION_ANSWERED', 'this request was answered');
  if (isoTime(context.clock()) > row.expires_at)
    throw new VerifierServiceError('ERR_PRESENTATION_EXPIRED', 'this request has expired');
  return row.request_jwt;
}

/** The disclosed mdoc elements as relying parties read them: `{ nameSpace: { element: JSON value } }`. */
export function mdocClaimsOf(documents: readonly VerifiedDocument[]): Record<string, Record<string, unknown>> {
  const claims: Record<string, Record<string, unknown>> = {};
  for (const document of documents)
    for (const [nameSpace, elements] of document.elements)
      claims[nameSpace] = Object.fromEntries([...elements].map(([name, value]) => [name, jsonOf(value)]));
  return claims;
}

/** CBOR element values as JSON: byte strings base64, full-dates and tdates as their text. */
function jsonOf(value: CborValue): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return (value as CborValue[]).map(jsonOf);
  if (value instanceof Map)
    return Object.fromEntries(
      [...(value as Map<CborValue, CborValue>)].map(([k, v]) => [
        typeof k === 'string' ? k : JSON.stringify(jsonOf(k)),
        jsonOf(v),
      ]),
    );
  if (typeof value === 'object' && value !== null && 'value' in value)
    return jsonOf((value as { value: CborValue }).value);
  return value;
}

/**
 * Receives the wallet's `direct_post` (OpenID4VP §8.2). First what anyone could fake is checked, without
 * touching the presentation: the request must be open and unexpired, and the form must carry the
 * request's `state` (inside the decrypted response for `direct_post.jwt`). Then every credential is
 * verified for this relying party ({@link verifyPresentations}).
 *
 * Only the holder's own answer ends a request. The request object is public — whoever sees the QR code
 * can fetch it and learn `state` — so a refusal (unsigned by nature) and an answer that fails
 * verification are counted and the last one kept ({@link presentationFor}'s `lastRejection`), but the
 * request stays open; the refusal answers 200, the failed answer 400 `ERR_PRESENTATION_REJECTED` naming
 * the check. A verified answer (valid, or status-unknown when revocation could not be checked) ends the
 * request in one conditional update: of two racing answers one wins, the other finds it answered. The
 * disclosed values are sealed until the relying party fetches them once, and only for a valid answer.
 */
export async function receiveResponse(
  context: VerifierContext,
  services: PresentationServices,
  id: string,
  form: Readonly<Record<string, string>>,
): Promise<{ status: PresentationStatus }> {
  const row = await presentationRow(context, id);
  const now = context.clock();
  if (row.status !== 'pending')
    throw new VerifierServiceError('ERR_PRESENTATION_ANSWERED', 'this request was already answered');
  if (isoTime(now) > row.expires_at)
    throw new VerifierServiceError('ERR_PRESENTATION_EXPIRED', 'this request has expired');
  const request = JSON.parse(row.request) as AuthorizationRequest;
  const answer = await readAnswer(services, request, row.state, row.decryption_key_sealed, form);
  const party = await relyingParty(context, row.rp_id);
  if ('declined' in answer) {
    await rejectAnswer(context, party, id, failedResult('wallet.response', answer.declined), now);
    return { status: 'pending' };
  }
  let result: PresentationResult;
  let claims: Record<string, Record<string, unknown>> | undefined;
  try {
    ({ result, claims } = await verifyPresentations(context, services, party, id, request, answer.presentations, now));
  } catch (error) {
    // Our typed errors name what was wrong without echoing the input; anything else is the service's
    // own failure, which goes on to the log as a 500. Either way the answer is not accepted.
    const known = error instanceof OpenMynaError;
    const check = known ? 'response.format' : 'verifier.internal';
    const reason = known ? error.message : 'the verifier could not complete the verification';
    await rejectAnswer(context, party, id, failedResult(check, reason), now);
    if (!known) throw error;
    throw new VerifierServiceError('ERR_PRESENTATION_REJECTED', `the answer was not accepted: ${reason}`);
  }
  if (result.status === 'invalid') {
    await rejectAnswer(context, party, id, result, now);
    const decided = result.decidedBy;
    throw new VerifierServiceError(
      'ERR_PRESENTATION_REJECTED',
      `the answer was not accepted: ${decided ? `${decided.check}: ${decided.reason}` : 'a check failed'}`,
    );
  }
  const status = statusOf(result);
  const recorded = await context.db
    .updateTable('presentations')
    .set({
      status,
      responded_at: isoTime(now),
      result: JSON.stringify(result),
      // Values only with a valid answer: status-unknown presentations release nothing.
      claims_sealed: claims && result.status === 'valid' ? sealJson(services.sealingKey, CLAIMS, claims) : null,
      // The key is no longer needed once the request is answered.
      decryption_key_sealed: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (recorded.numUpdatedRows !== 1n)
    throw new VerifierServiceError('ERR_PRESENTATION_ANSWERED', 'this request was already answered');
  await appendAudit(context, {
    rpId: party.id,
    action: 'presentation.verify',
    subjectId: id,
    result: result.status,
    details: {
      ...(result.decidedBy ? { decidedBy: result.decidedBy.check } : {}),
      disclosed: result.records.flatMap((record) => record.disclosed ?? []),
      methods: result.records.map((record) => record.method),
    },
  });
  services.notify?.(party, { id, status: result.status });
  return { status };
}

/** Counts an answer that was not accepted and keeps it as the last; the request stays open. */
async function rejectAnswer(
  context: VerifierContext,
  party: RelyingParty,
  id: string,
  result: PresentationResult,
  now: Date,
): Promise<void> {
  const rejection: PresentationRejection = {
    at: isoTime(now),
    check: result.decidedBy?.check ?? 'unknown',
    reason: result.decidedBy?.reason ?? 'a check failed',
  };
  await context.db
    .updateTable('presentations')
    .set((eb) => ({
      rejected_answers: eb('rejected_answers', '+', 1),
      last_rejection: JSON.stringify(rejection),
    }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
  await appendAudit(context, {
    rpId: party.id,
    action: 'presentation.reject',
    subjectId: id,
    result: result.status,
    details: { decidedBy: rejection.check, methods: result.records.map((record) => record.method) },
  });
}

/**
 * An answer the verifier did not accept, as the relying party sees it on its still-open request: when,
 * and which check decided. It is a hint, not a verdict: a wallet's refusal is unsigned, and anyone who saw
 * the QR code could have sent it.
 */
export interface PresentationRejection {
  readonly at: string;
  readonly check: string;
  readonly reason: string;
}

/**
 * The wallet's form, read without changing anything: a refusal (`error`, with the request's `state`) or
 * the `vp_token` (decrypted for `direct_post.jwt`, whose `state` must be the request's). A form that is
 * neither — another state, no state, undecryptable — is refused as `ERR_PRESENTATION_RESPONSE`.
 */
async function readAnswer(
  services: PresentationServices,
  request: AuthorizationRequest,
  state: string,
  decryptionKeySealed: Uint8Array | null,
  form: Readonly<Record<string, string>>,
): Promise<{ declined: string } | { presentations: Record<string, Uint8Array[]> }> {
  const declined = walletErrorOf(form, state);
  if (declined) return { declined };
  const decryptionKey = decryptionKeySealed
    ? ((await importJWK(
        unsealJson<JsonWebKey>(services.sealingKey, DECRYPTION_KEY, new Uint8Array(decryptionKeySealed)),
        'ECDH-ES',
      )) as CryptoKey)
    : undefined;
  try {
    return {
      presentations: await readAuthorizationResponse({
        form,
        responseMode: request.response_mode,
        expectedState: state,
        ...(decryptionKey ? { decryptionKey } : {}),
      }),
    };
  } catch (error) {
    // Whatever the form held, it cannot be read: the sender's fault, and nothing has changed.
    const reason = error instanceof OpenMynaError ? error.message : 'the authorization response cannot be read';
    throw new VerifierServiceError('ERR_PRESENTATION_RESPONSE', reason, { cause: error });
  }
}

/** OpenID4VP error codes a wallet may answer with (§8.5, RFC 6749 §4.1.2.1), by what they mean here. */
const WALLET_ERRORS: Readonly<Record<string, string>> = {
  access_denied: 'the holder declined in the wallet',
  invalid_request: 'the wallet found the request invalid',
  invalid_request_object: 'the wallet found the request object invalid',
  invalid_client: 'the wallet did not trust the requester',
  vp_formats_not_supported: 'the wallet does not hold what was asked for',
  invalid_transaction_data: 'the wallet could not show the document to sign',
};

/**
 * The wallet's error response (OpenID4VP §8.5, posted as `direct_post`): `error` (and `state`, which must
 * be the request's). Returns why, in the service's words — never the wallet's free text — or undefined
 * when the form is an answer rather than an error.
 */
function walletErrorOf(form: Readonly<Record<string, string>>, state: string): string | undefined {
  const error = form['error'];
  if (error === undefined) return undefined;
  if (form['state'] !== state)
    throw new VerifierServiceError('ERR_PRESENTATION_RESPONSE', 'the error response carries another state');
  return WALLET_ERRORS[error] ?? 'the wallet answered with an error';
}

/**
 * Verifies every credential of an answer against the request: `mso_mdoc` by the mdoc checks and the
 * RP's registration; `jpki_sign` by the signature over the request's document (chain, key usage,
 * policy, revocation) and `jpki.replay` (each signature accepted once); `jp_kenhojo` by the records'
 * checks and their binding to that signature's certificate; `jpki_auth` by the authentication
 * signature over the request's nonce and client id. The answer must carry exactly the credentials
 * asked for, one presentation each.
 */
async function verifyPresentations(
  context: VerifierContext,
  services: PresentationServices,
  party: RelyingParty,
  id: string,
  request: AuthorizationRequest,
  presentations: Readonly<Record<string, Uint8Array[]>>,
  now: Date,
): Promise<{ result: PresentationResult; claims: Record<string, Record<string, unknown>> | undefined }> {
  const query = parseDcqlQuery(request.dcql_query);
  const asked = query.credentials.map((credential) => credential.id).sort();
  if (
    JSON.stringify(Object.keys(presentations).sort()) !== JSON.stringify(asked) ||
    Object.values(presentations).some((list) => list.length !== 1)
  )
    throw new VerifierServiceError(
      'ERR_PRESENTATION_RESPONSE',
      `vp_token must carry one presentation each of ${asked.join(', ')}`,
    );
  const checks: CheckResult[] = [];
  const records: VerificationRecord[] = [];
  const claims: Record<string, Record<string, unknown>> = {};
  let signer: JpkiIdentity | undefined;
  // The signature first: the 入力補助 records are bound to its certificate.
  const order = ['mso_mdoc', 'jpki_sign', 'jp_kenhojo', 'jpki_auth'];
  for (const credential of [...query.credentials].sort((a, b) => order.indexOf(a.format) - order.indexOf(b.format))) {
    const bytes = presentations[credential.id]![0]!;
    switch (credential.format) {
      case 'mso_mdoc': {
        const verification = await verifyMdocPresentation({
          response: bytes,
          sessionTranscript: await sessionTranscriptForRequest(request, nodeMdocCrypto),
          issuerAnchors: services.mdoc.issuerAnchors,
          time: now,
          crypto: nodeMdocCrypto,
          docType: MNC_DOCTYPE,
          request: dcqlItemsRequest(credential),
          ...(services.mdoc.status ? { status: services.mdoc.status } : {}),
          rp: authorizationOf(party),
        });
        checks.push(...verification.checks);
        records.push(verification.record);
        Object.assign(claims, mdocClaimsOf(verification.documents));
        break;
      }
      case 'jpki_sign': {
        const document = jpkiSignDocumentFor(request, credential.id);
        const kenhojoQuery = query.credentials.find((other) => other.format === 'jp_kenhojo');
        const verification = await verifyJpkiSignature(
          services.jpki,
          { kind: 'cms', signedData: bytes, detachedContent: document.bytes },
          {
            // The answer proves it was made for this request, with exactly these 入力補助 records.
            binding: {
              clientId: request.client_id,
              nonce: request.nonce,
              ...(kenhojoQuery ? { kenhojoPresentation: presentations[kenhojoQuery.id]![0]! } : {}),
            },
          },
        );
        checks.push(...verification.checks);
        records.push(verification.record);
        if (verification.status !== 'invalid' && verification.signer) {
          // Keyed by the signature value: re-encoding the unsigned parts around it makes no new signature.
          checks.push(await acceptOnce(context, id, verification.signatureValue ?? bytes, now));
          signer = verification.signer.identity;
          const info = signer.basicFourInfo;
          claims[credential.id] = {
            name: info.name,
            address: info.address,
            birth_date: formatIsoDate(info.birthDate),
            sex: info.sex,
          };
        }
        break;
      }
      case 'jp_kenhojo': {
        const verification = verifyKenhojo(decodeKenhojoPresentation(bytes), {
          caKeys: services.kenhojoCaKeys,
          signer,
          requested: credential.meta?.records ?? [],
          rp: { id: party.id, myNumber: party.myNumberPurpose !== 'none' },
          clock: () => now,
          signatureCheck: nodeCardSignatureCheck,
        });
        checks.push(...verification.checks);
        records.push(verification.record);
        if (verification.status === 'valid')
          claims[credential.id] = {
            ...(verification.myNumber ? { my_number: verification.myNumber } : {}),
            ...(verification.basicFourInfo
              ? {
                  name: verification.basicFourInfo.name,
                  address: verification.basicFourInfo.address,
                  birth_date: formatIsoDate(verification.basicFourInfo.birthDate),
                  sex: verification.basicFourInfo.sex,
                }
              : {}),
          };
        break;
      }
      case 'jpki_auth': {
        const presented = decodeJpkiAuthPresentation(bytes);
        const verification = await verifyJpkiAuthentication(services.jpki, {
          certificate: presented.certificate,
          signature: presented.signature,
          content: loginStatement({ value: request.nonce, clientId: request.client_id }),
        });
        checks.push(...verification.checks);
        records.push(verification.record);
        if (verification.status === 'valid' && verification.certificate)
          claims[credential.id] = { subject: loginSubject(request.client_id, verification.certificate) };
        break;
      }
    }
  }
  const summary = summarize(checks);
  return { result: resultOf(summary, records), claims: summary.status === 'valid' ? claims : undefined };
}

/** A verification summary as relying parties read it: the deciding check, every check's status, the records. */
export function resultOf(summary: VerificationSummary, records: readonly VerificationRecord[]): PresentationResult {
  // Whom a record names is personal data: it comes only with a valid answer, as the values do. One
  // record can be valid on its own (the 入力補助 records) while the answer is not (the signature's
  // revocation unknown); then no record names anyone.
  const kept = summary.status === 'valid' ? records : records.map(({ subject: _subject, ...record }) => record);
  return {
    status: summary.status,
    ...(summary.decidedBy
      ? {
          decidedBy: {
            check: summary.decidedBy.check,
            ...(summary.decidedBy.reason ? { reason: summary.decidedBy.reason } : {}),
          },
        }
      : {}),
    checks: summary.checks.map(({ check, status }) => ({ check, status })),
    records: kept,
  };
}

/** `jpki.replay`: records the digest of a signature value; one presented before fails. */
async function acceptOnce(
  context: VerifierContext,
  id: string,
  signature: Uint8Array,
  now: Date,
): Promise<CheckResult> {
  try {
    await context.db
      .insertInto('presented_signatures')
      .values({ digest: createHash('sha256').update(signature).digest('hex'), presentation_id: id, at: isoTime(now) })
      .execute();
    return pass('jpki.replay');
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return fail('jpki.replay', 'this signature was presented before');
  }
}

/**
 * A presentation as its relying party reads it: status, result and record — and, the first time
 * after a valid answer, the disclosed values, which are then deleted from the service.
 */
export async function presentationFor(
  context: VerifierContext,
  services: PresentationServices,
  party: RelyingParty,
  id: string,
): Promise<{
  id: string;
  status: PresentationStatus;
  result?: PresentationResult;
  claims?: Record<string, Record<string, unknown>>;
  claimsFetchedAt?: string;
  rejectedAnswers?: number;
  lastRejection?: PresentationRejection;
}> {
  const row = await presentationRow(context, id);
  // Another relying party's presentation does not exist for this one.
  if (row.rp_id !== party.id)
    throw new VerifierServiceError('ERR_PRESENTATION_NOT_FOUND', 'no such presentation request');
  // Unanswered past its time: nobody can answer it any more (the request object and response refuse).
  if (row.status === 'pending' && isoTime(context.clock()) > row.expires_at)
    return {
      id,
      status: 'failed',
      result: failedResult('presentation.expired', 'nobody answered the request in time'),
    };
  // Claimed but never finished (the verifier died while verifying): failed for good, here and in the database.
  if (row.status === 'processing' && isInterrupted(row.expires_at, context.clock())) {
    await repairInterruptedPresentations(context);
    return { id, status: 'failed', result: INTERRUPTED };
  }
  return {
    id,
    status: row.status,
    ...(row.result ? { result: JSON.parse(row.result) as PresentationResult } : {}),
    ...(row.rejected_answers > 0 ? { rejectedAnswers: row.rejected_answers } : {}),
    ...(row.last_rejection ? { lastRejection: JSON.parse(row.last_rejection) as PresentationRejection } : {}),
    ...(await takeClaimsOnce(context, services, 'presentations', CLAIMS, row)),
  };
}

/**
 * How long after its expiry a claimed presentation may still be verifying. A verification takes
 * milliseconds, or seconds when OCSP is slow; one still `processing` this long after the request expired
 * belongs to a verifier that died.
 */
export const PROCESSING_GRACE_SECONDS = 120;
const INTERRUPTED = failedResult('presentation.interrupted', 'the verification of the answer was interrupted');
const isInterrupted = (expiresAt: string, now: Date) =>
  isoTime(new Date(now.getTime() - PROCESSING_GRACE_SECONDS * 1000)) > expiresAt;

/**
 * Fails every presentation left `processing` by a verifier that died while verifying (killed, or the
 * machine lost): at start-up, and whenever a relying party reads one. Values are never released for
 * them — none were sealed. Returns how many were repaired.
 */
export async function repairInterruptedPresentations(context: VerifierContext): Promise<number> {
  const cutoff = isoTime(new Date(context.clock().getTime() - PROCESSING_GRACE_SECONDS * 1000));
  const repaired = await context.db
    .updateTable('presentations')
    .set({ status: 'failed', result: JSON.stringify(INTERRUPTED), claims_sealed: null, decryption_key_sealed: null })
    .where('status', '=', 'processing')
    .where('expires_at', '<', cutoff)
    .executeTakeFirst();
  return Number(repaired.numUpdatedRows);
}

/** The stored status of an answered request: completed only when valid (status-unknown is not). */
export const statusOf = (result: PresentationResult): PresentationStatus =>
  result.status === 'valid' ? 'completed' : 'failed';

/** A result that fails on one check before any credential was verified (nobody answered, the phone declined). */
export function failedResult(check: string, reason: string): PresentationResult {
  return { status: 'invalid', decidedBy: { check, reason }, checks: [{ check, status: 'fail' }], records: [] };
}

/**
 * The disclosed values of a row, once: the first reader atomically clears them (and stamps the time);
 * every later read gets only that time.
 */
export async function takeClaimsOnce(
  context: VerifierContext,
  services: PresentationServices,
  table: 'presentations' | 'proximity_sessions',
  label: string,
  row: { readonly id: string; readonly claims_sealed: Uint8Array | null; readonly claims_fetched_at: string | null },
): Promise<{ claims?: Record<string, Record<string, unknown>>; claimsFetchedAt?: string }> {
  if (row.claims_sealed) {
    const now = isoTime(context.clock());
    const taken = await context.db
      .updateTable(table)
      .set({ claims_sealed: null, claims_fetched_at: now })
      .where('id', '=', row.id)
      .where('claims_fetched_at', 'is', null)
      .executeTakeFirst();
    if (taken.numUpdatedRows === 1n)
      return {
        claims: unsealJson(services.sealingKey, label, new Uint8Array(row.claims_sealed)),
        claimsFetchedAt: now,
      };
  }
  return row.claims_fetched_at ? { claimsFetchedAt: row.claims_fetched_at } : {};
}
