import { generateKeyPairSync } from 'node:crypto';

import {
  createRequestObject,
  authorizationRequestUri,
  dcqlItemsRequest,
  dcqlQueryFor,
  MNC_DOCTYPE,
  MY_NUMBER_ELEMENT,
  readAuthorizationResponse,
  sessionTranscriptForRequest,
  type AuthorizationRequest,
  type CborValue,
  type MdocTrustAnchor,
  type ResponseMode,
  type StatusChecker,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { verifyMdocPresentation, type VerificationRecord } from '@openmyna/verifier';
import { importJWK, type JWK } from 'jose';

import { appendAudit } from './audit.js';
import { isoTime, randomId, type VerifierContext } from './context.js';
import { VerifierServiceError } from './errors.js';
import { authorizationOf, readerKeyOf, relyingParty, type RelyingParty } from './relying-parties.js';
import { sealJson, unsealJson } from './sealing.js';
import type { PresentationStatus } from './storage/schema.js';

/** How long a presentation request may be answered. */
export const PRESENTATION_SECONDS = 300;
/** The credential query id of the card-face mdoc in our requests. */
export const CARD_QUERY_ID = 'card';
const DECRYPTION_KEY = 'presentation-decryption-key';
const CLAIMS = 'presentation-claims';

/** What presentations need beside the database. */
export interface PresentationServices {
  readonly sealingKey: Uint8Array;
  /** This service's public base URL (request and response URIs are under it). */
  readonly publicUrl: string;
  readonly mdoc: { readonly issuerAnchors: readonly MdocTrustAnchor[]; readonly status?: StatusChecker };
  /** Tells a relying party that a presentation finished (its webhook). Never carries disclosed values. */
  readonly notify?: (party: RelyingParty, event: { readonly id: string; readonly status: string }) => void;
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

/** The verification result as a relying party reads it: the record, never salts or signatures. */
export interface PresentationResult {
  readonly status: 'valid' | 'invalid' | 'status-unknown';
  readonly decidedBy?: { readonly check: string; readonly reason?: string };
  readonly record: VerificationRecord;
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
  input: {
    readonly elements: readonly RequestedElement[];
    readonly purpose: string;
    readonly responseMode?: ResponseMode;
  },
): Promise<CreatedPresentation> {
  if (input.elements.length === 0) throw new VerifierServiceError('ERR_RP_INVALID', 'ask for at least one element');
  const refused = input.elements.filter(
    (wanted) =>
      !party.elements.some(
        (element) => element.nameSpace === wanted.nameSpace && element.elementIdentifier === wanted.elementIdentifier,
      ) ||
      (wanted.elementIdentifier === MY_NUMBER_ELEMENT.elementIdentifier && party.myNumberPurpose === 'none'),
  );
  if (refused.length > 0)
    throw new VerifierServiceError(
      'ERR_RP_NOT_AUTHORIZED',
      `${party.name} is not registered to receive ${refused.map((element) => element.elementIdentifier).join(', ')}`,
    );
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
      dcql_query: dcqlQueryFor(CARD_QUERY_ID, MNC_DOCTYPE, input.elements),
      client_metadata: {
        client_name: party.name,
        purpose: input.purpose,
        ...(decryption
          ? {
              jwks: { keys: [decryption.publicJwk] },
              encrypted_response_enc_values_supported: ['A128GCM', 'A256GCM'],
            }
          : {}),
        vp_formats_supported: { mso_mdoc: { issuerauth_alg_values: [-7], deviceauth_alg_values: [-7] } },
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
    })
    .execute();
  await appendAudit(context, {
    rpId: party.id,
    action: 'presentation.create',
    subjectId: id,
    result: 'pending',
    details: { elements: input.elements.map((element) => element.elementIdentifier), responseMode },
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
 * Receives the wallet's `direct_post` (OpenID4VP §8.2): the request must be open and unanswered (it is
 * claimed atomically — a replayed response finds it taken), the response decrypted (`direct_post.jwt`)
 * with the request's state, then verified for this relying party ({@link verifyMdocPresentation}: the
 * mdoc checks against the request's DCQL query, the status list, and `rp.authorization`). The result
 * and record are kept; disclosed values are sealed until the relying party fetches them once.
 */
export async function receiveResponse(
  context: VerifierContext,
  services: PresentationServices,
  id: string,
  form: Readonly<Record<string, string>>,
): Promise<{ status: PresentationStatus }> {
  const row = await presentationRow(context, id);
  const now = context.clock();
  if (isoTime(now) > row.expires_at)
    throw new VerifierServiceError('ERR_PRESENTATION_EXPIRED', 'this request has expired');
  const claimed = await context.db
    .updateTable('presentations')
    .set({ status: 'processing', responded_at: isoTime(now) })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (claimed.numUpdatedRows !== 1n)
    throw new VerifierServiceError('ERR_PRESENTATION_ANSWERED', 'this request was already answered');
  const party = await relyingParty(context, row.rp_id);
  const request = JSON.parse(row.request) as AuthorizationRequest;
  let result: PresentationResult;
  let claims: Record<string, Record<string, unknown>> | undefined;
  try {
    const decryptionKey = row.decryption_key_sealed
      ? ((await importJWK(
          unsealJson<JsonWebKey>(services.sealingKey, DECRYPTION_KEY, new Uint8Array(row.decryption_key_sealed)),
          'ECDH-ES',
        )) as CryptoKey)
      : undefined;
    const presentations = await readAuthorizationResponse({
      form,
      responseMode: request.response_mode,
      expectedState: row.state,
      ...(decryptionKey ? { decryptionKey } : {}),
    });
    const response = presentations[CARD_QUERY_ID]?.[0];
    if (!response || Object.keys(presentations).length !== 1 || presentations[CARD_QUERY_ID]!.length !== 1)
      throw new VerifierServiceError(
        'ERR_PRESENTATION_RESPONSE',
        `vp_token must carry one "${CARD_QUERY_ID}" presentation`,
      );
    const verification = await verifyMdocPresentation({
      response,
      sessionTranscript: await sessionTranscriptForRequest(request, nodeMdocCrypto),
      issuerAnchors: services.mdoc.issuerAnchors,
      time: now,
      crypto: nodeMdocCrypto,
      docType: MNC_DOCTYPE,
      request: dcqlItemsRequest(request.dcql_query.credentials[0]!),
      ...(services.mdoc.status ? { status: services.mdoc.status } : {}),
      rp: authorizationOf(party),
    });
    result = {
      status: verification.status,
      ...(verification.decidedBy
        ? {
            decidedBy: {
              check: verification.decidedBy.check,
              ...(verification.decidedBy.reason ? { reason: verification.decidedBy.reason } : {}),
            },
          }
        : {}),
      record: verification.record,
    };
    if (verification.status !== 'invalid') {
      claims = {};
      for (const document of verification.documents)
        for (const [nameSpace, elements] of document.elements)
          claims[nameSpace] = Object.fromEntries([...elements].map(([name, value]) => [name, jsonOf(value)]));
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    result = {
      status: 'invalid',
      decidedBy: { check: 'response.format', reason },
      record: {
        method: 'mdoc',
        verifiedAt: isoTime(now),
        result: 'invalid',
        decidedBy: 'response.format',
        checks: [{ check: 'response.format', status: 'fail' }],
      },
    };
  }
  const status: PresentationStatus = result.status === 'valid' ? 'completed' : 'failed';
  await context.db
    .updateTable('presentations')
    .set({
      status,
      result: JSON.stringify(result),
      claims_sealed: claims ? sealJson(services.sealingKey, CLAIMS, claims) : null,
      // The key is no longer needed once the response is read.
      decryption_key_sealed: null,
    })
    .where('id', '=', id)
    .execute();
  await appendAudit(context, {
    rpId: party.id,
    action: 'presentation.verify',
    subjectId: id,
    result: result.status,
    details: {
      ...(result.decidedBy ? { decidedBy: result.decidedBy.check } : {}),
      disclosed: result.record.disclosed ?? [],
    },
  });
  services.notify?.(party, { id, status: result.status });
  return { status };
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
}> {
  const row = await presentationRow(context, id);
  // Another relying party's presentation does not exist for this one.
  if (row.rp_id !== party.id)
    throw new VerifierServiceError('ERR_PRESENTATION_NOT_FOUND', 'no such presentation request');
  let claims: Record<string, Record<string, unknown>> | undefined;
  let fetchedAt = row.claims_fetched_at ?? undefined;
  if (row.claims_sealed) {
    const taken = await context.db
      .updateTable('presentations')
      .set({ claims_sealed: null, claims_fetched_at: isoTime(context.clock()) })
      .where('id', '=', id)
      .where('claims_fetched_at', 'is', null)
      .executeTakeFirst();
    if (taken.numUpdatedRows === 1n) {
      claims = unsealJson(services.sealingKey, CLAIMS, new Uint8Array(row.claims_sealed));
      fetchedAt = isoTime(context.clock());
    }
  }
  return {
    id,
    status: row.status,
    ...(row.result ? { result: JSON.parse(row.result) as PresentationResult } : {}),
    ...(claims ? { claims } : {}),
    ...(fetchedAt ? { claimsFetchedAt: fetchedAt } : {}),
  };
}
