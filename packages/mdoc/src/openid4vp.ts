import { base64Decode, base64Encode, base64UrlDecode, base64UrlEncode } from '@openmyna/core';
import { fail, pass, type CheckResult } from '@openmyna/pki';
import {
  calculateJwkThumbprint,
  compactDecrypt,
  CompactEncrypt,
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type JWK,
} from 'jose';

import { utf8 } from './bytes.js';
import {
  validateMdocChain,
  type MdocChainCache,
  type MdocTrustAnchor,
  type ValidatedLeaf,
} from './certificate-chain.js';
import { ecPublicJwk, type MdocCrypto } from './crypto.js';
import { parseDcqlQuery, type DcqlQuery } from './dcql.js';
import type { ReaderKey } from './device-request.js';
import { MdocError } from './errors.js';
import { openId4VpSessionTranscript, type SessionTranscript } from './session-transcript.js';
import { decodeBase64UrlField, decodeTransactionData, jpkiSignEntryFor } from './transaction-data.js';

/** The response modes we support (OpenID4VP 1.0 §8.2, §8.3). */
export type ResponseMode = 'direct_post' | 'direct_post.jwt';

/**
 * An Authorization Request (OpenID4VP 1.0 §5) as carried in a signed request object (RFC 9101),
 * restricted to what the card-face wallet answers: a DCQL query and a direct_post response.
 */
export interface AuthorizationRequest {
  readonly client_id: string;
  readonly response_type: 'vp_token';
  readonly response_mode: ResponseMode;
  readonly response_uri: string;
  readonly nonce: string;
  readonly state?: string;
  readonly dcql_query: DcqlQuery;
  /** §5.1 / §8.4: base64url JSON objects naming what a credential's presentation authorizes. */
  readonly transaction_data?: readonly string[];
  readonly client_metadata?: {
    /** The verifier's response-encryption key(s) for `direct_post.jwt`. */
    readonly jwks?: { readonly keys: readonly JWK[] };
    readonly encrypted_response_enc_values_supported?: readonly string[];
    readonly vp_formats_supported?: Record<string, unknown>;
    readonly client_name?: string;
    /** Why the verifier asks, shown on the consent screen. */
    readonly purpose?: string;
  };
  readonly aud?: string;
  readonly iat?: number;
  readonly exp?: number;
}

/** §5.9.3: `x509_hash:` + base64url SHA-256 of the DER leaf certificate that signs the request. */
export async function x509HashClientId(certificate: Uint8Array, crypto: MdocCrypto): Promise<string> {
  return `x509_hash:${base64UrlEncode(await crypto.digest('SHA-256', certificate))}`;
}

const REQUEST_TYP = 'oauth-authz-req+jwt';
const SELF_ISSUED_AUDIENCE = 'https://self-issued.me/v2';
const encodeJson = (value: unknown): string => base64UrlEncode(utf8(JSON.stringify(value)));

/**
 * Signs a request object (RFC 9101 §4, OpenID4VP 1.0 §5.9.3) with the reader's key: JWS ES256, `typ`
 * `oauth-authz-req+jwt`, `x5c` the reader chain, `client_id` the `x509_hash:` of the leaf.
 *
 * @example
 * ```ts
 * const jwt = await createRequestObject({ request: { response_type: 'vp_token', response_mode: 'direct_post', ... }, reader, crypto, now });
 * ```
 */
export async function createRequestObject(options: {
  readonly request: Omit<AuthorizationRequest, 'client_id' | 'aud' | 'iat' | 'exp'>;
  readonly reader: ReaderKey;
  readonly crypto: MdocCrypto;
  readonly now: Date;
  /** Lifetime of the request object in seconds. Default 300. */
  readonly lifetime?: number;
}): Promise<{ jwt: string; clientId: string }> {
  const clientId = await x509HashClientId(options.reader.certificateChain[0]!, options.crypto);
  const iat = Math.floor(options.now.getTime() / 1000);
  const header = {
    alg: 'ES256',
    typ: REQUEST_TYP,
    // RFC 7515 §4.1.6: x5c entries are standard (not url-safe) base64 of the DER.
    x5c: options.reader.certificateChain.map((der) => base64Encode(der)),
  };
  const payload: AuthorizationRequest = {
    ...options.request,
    client_id: clientId,
    aud: SELF_ISSUED_AUDIENCE,
    iat,
    exp: iat + (options.lifetime ?? 300),
  };
  const signingInput = `${encodeJson(header)}.${encodeJson(payload)}`;
  // RFC 7518 §3.4: the ES256 JWS signature is r‖s, which is what the key returns.
  const signature = await options.reader.key.signEs256(utf8(signingInput));
  return { jwt: `${signingInput}.${base64UrlEncode(signature)}`, clientId };
}

/** What the wallet learns from a verified request object. */
export interface VerifiedAuthorizationRequest {
  readonly request: AuthorizationRequest;
  readonly reader: ValidatedLeaf;
}

/**
 * The wallet's checks of a request object: `request.decode`, the reader chain (`request.certificate.*`,
 * `request.chain.*` to a configured reader CA), `request.signature`, `request.client-id` (the
 * `x509_hash` of the signing certificate, and equal to `expectedClientId` when the link carried one),
 * `request.parameters` (response type and mode, nonce, response URI, DCQL), `request.validity`.
 */
export async function verifyRequestObject(options: {
  readonly jwt: string;
  readonly readerAnchors: readonly MdocTrustAnchor[];
  readonly time: Date;
  readonly crypto: MdocCrypto;
  readonly expectedClientId?: string;
  readonly chainCache?: MdocChainCache;
}): Promise<{ checks: CheckResult[]; verified?: VerifiedAuthorizationRequest }> {
  const checks: CheckResult[] = [];
  let chain: Uint8Array[];
  try {
    const header = decodeProtectedHeader(options.jwt);
    if (header.typ !== REQUEST_TYP || header.alg !== 'ES256')
      throw new Error(`typ must be ${REQUEST_TYP} and alg ES256`);
    if (!Array.isArray(header.x5c) || header.x5c.length === 0) throw new Error('x5c is missing');
    chain = header.x5c.map((entry) => base64Decode(entry));
  } catch (error) {
    checks.push(fail('request.decode', (error as Error).message));
    return { checks };
  }
  checks.push(pass('request.decode'));
  const validated = await validateMdocChain({
    chain,
    anchors: options.readerAnchors,
    role: 'reader',
    time: options.time,
    crypto: options.crypto,
    prefix: 'request',
    cache: options.chainCache,
  });
  checks.push(...validated.checks);
  if (!validated.leaf) return { checks };
  let request: AuthorizationRequest;
  try {
    const key = await importJWK({ ...ecPublicJwk(validated.leaf.publicKey), alg: 'ES256' }, 'ES256');
    const { payload } = await compactVerify(options.jwt, key, { algorithms: ['ES256'] });
    request = JSON.parse(new TextDecoder().decode(payload)) as AuthorizationRequest;
  } catch (error) {
    checks.push(fail('request.signature', `the request object signature does not verify: ${(error as Error).message}`));
    return { checks };
  }
  checks.push(pass('request.signature'));
  const clientId = await x509HashClientId(chain[0]!, options.crypto);
  if (!checkRequestClaims(request, clientId, options, checks)) return { checks };
  return { checks, verified: { request, reader: validated.leaf } };
}

/**
 * The signed request's claims, in order: client_id (§5.9.3 x509_hash), the parameters we support,
 * and exp/iat (with 60 s of skew). Pushes each check; false at the first failure.
 */
function checkRequestClaims(
  request: AuthorizationRequest,
  clientId: string,
  options: { readonly expectedClientId?: string; readonly time: Date },
  checks: CheckResult[],
): boolean {
  if (
    request.client_id !== clientId ||
    (options.expectedClientId !== undefined && options.expectedClientId !== clientId)
  ) {
    checks.push(fail('request.client-id', 'client_id is not the x509_hash of the signing certificate'));
    return false;
  }
  checks.push(pass('request.client-id'));
  const problem = parameterProblem(request);
  if (problem) {
    checks.push(fail('request.parameters', problem));
    return false;
  }
  checks.push(pass('request.parameters'));
  const now = options.time.getTime() / 1000;
  if (
    typeof request.exp !== 'number' ||
    now > request.exp ||
    (typeof request.iat === 'number' && request.iat > now + 60)
  ) {
    checks.push(fail('request.validity', 'the request object has expired or is not yet valid'));
    return false;
  }
  checks.push(pass('request.validity'));
  return true;
}

function parameterProblem(request: AuthorizationRequest): string | undefined {
  if (request.response_type !== 'vp_token') return 'response_type must be vp_token';
  if (request.response_mode !== 'direct_post' && request.response_mode !== 'direct_post.jwt')
    return 'response_mode must be direct_post or direct_post.jwt';
  if (typeof request.nonce !== 'string' || request.nonce.length < 16)
    return 'nonce must be a string of at least 16 characters';
  if (request.state !== undefined && typeof request.state !== 'string') return 'state must be a string';
  if (request.aud !== SELF_ISSUED_AUDIENCE) return `aud must be ${SELF_ISSUED_AUDIENCE}`;
  let uri: URL;
  try {
    uri = new URL(request.response_uri);
  } catch {
    return 'response_uri is not a URL';
  }
  // §8.2: the response goes to an HTTPS endpoint; plain HTTP only to this machine (the sandbox).
  if (
    uri.protocol !== 'https:' &&
    !(uri.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(uri.hostname))
  ) {
    return 'response_uri must be https';
  }
  if (request.response_mode === 'direct_post.jwt' && !encryptionKeyOf(request))
    return 'direct_post.jwt needs an ECDH-ES P-256 key in client_metadata.jwks';
  try {
    const query = parseDcqlQuery(request.dcql_query);
    const entries: unknown = request.transaction_data ?? [];
    if (!Array.isArray(entries) || entries.some((entry) => typeof entry !== 'string'))
      return 'transaction_data must be an array of strings';
    const ids = new Set(query.credentials.map((credential) => credential.id));
    for (const entry of entries as string[])
      if (decodeTransactionData(entry).credential_ids.some((id) => !ids.has(id)))
        return 'a transaction_data entry names a credential the query does not ask for';
    const login = query.credentials.some((credential) => credential.format === 'jpki_auth');
    for (const credential of query.credentials)
      // A digest signature names no request: only the login statement beside it binds the answer.
      if (credential.format === 'jpki_sign' && jpkiSignEntryFor(request, credential.id).kind === 'digest' && !login)
        return `the jpki_sign_digest of the query "${credential.id}" needs a jpki_auth query in the same request`;
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

function encryptionKeyOf(request: AuthorizationRequest): JWK | undefined {
  return request.client_metadata?.jwks?.keys.find(
    (key) => key.kty === 'EC' && key.crv === 'P-256' && (key.use === undefined || key.use === 'enc'),
  );
}

/** The transcript of an OpenID4VP presentation (Appendix B.2.6.1), thumbprinting the encryption key when there is one. */
export async function sessionTranscriptForRequest(
  request: AuthorizationRequest,
  crypto: MdocCrypto,
): Promise<SessionTranscript> {
  const key = request.response_mode === 'direct_post.jwt' ? encryptionKeyOf(request) : undefined;
  const jwkThumbprint = key
    ? base64UrlDecode(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: key.x!, y: key.y! }, 'sha256'))
    : null;
  return openId4VpSessionTranscript(
    { clientId: request.client_id, nonce: request.nonce, responseUri: request.response_uri, jwkThumbprint },
    crypto,
  );
}

/**
 * The wallet's answer (§8.1–§8.3): `vp_token` maps each credential query id to its presentations
 * (base64url DeviceResponses); `direct_post` posts it as form fields, `direct_post.jwt` as one JWE
 * (ECDH-ES to the verifier's key, A128GCM unless the verifier lists only others).
 */
export async function createAuthorizationResponse(options: {
  readonly request: AuthorizationRequest;
  readonly presentations: Readonly<Record<string, readonly Uint8Array[]>>;
}): Promise<Record<string, string>> {
  const vpToken = Object.fromEntries(
    Object.entries(options.presentations).map(([id, list]) => [id, list.map((bytes) => base64UrlEncode(bytes))]),
  );
  const { request } = options;
  if (request.response_mode === 'direct_post') {
    return { vp_token: JSON.stringify(vpToken), ...(request.state ? { state: request.state } : {}) };
  }
  const key = encryptionKeyOf(request);
  if (!key) throw new MdocError('ERR_OPENID4VP', 'the request has no response-encryption key');
  const supported = request.client_metadata?.encrypted_response_enc_values_supported ?? ['A128GCM'];
  const enc = ['A128GCM', 'A256GCM'].find((value) => supported.includes(value));
  if (!enc) throw new MdocError('ERR_OPENID4VP', 'the verifier supports no content encryption we offer');
  const body = { vp_token: vpToken, ...(request.state ? { state: request.state } : {}) };
  const jwe = await new CompactEncrypt(utf8(JSON.stringify(body)))
    .setProtectedHeader({ alg: 'ECDH-ES', enc, ...(key.kid ? { kid: key.kid } : {}) })
    .encrypt(await importJWK({ kty: 'EC', crv: 'P-256', x: key.x!, y: key.y! }, 'ECDH-ES'));
  return { response: jwe };
}

/**
 * The verifier's reading of a `direct_post` body: decrypts `response` for `direct_post.jwt` with
 * `decryptionKey`, checks `state`, and returns the presentations by credential query id.
 * Throws `ERR_OPENID4VP`.
 */
export async function readAuthorizationResponse(options: {
  readonly form: Readonly<Record<string, string>>;
  readonly responseMode: ResponseMode;
  readonly expectedState?: string;
  readonly decryptionKey?: CryptoKey;
}): Promise<Record<string, Uint8Array[]>> {
  let body: Record<string, unknown>;
  try {
    if (options.responseMode === 'direct_post.jwt') {
      if (!options.form['response'] || !options.decryptionKey) throw new Error('an encrypted "response" is required');
      const { plaintext } = await compactDecrypt(options.form['response'], options.decryptionKey, {
        keyManagementAlgorithms: ['ECDH-ES'],
        contentEncryptionAlgorithms: ['A128GCM', 'A256GCM'],
      });
      const decoded = JSON.parse(new TextDecoder().decode(plaintext)) as unknown;
      if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded))
        throw new Error('the decrypted response is not a JSON object');
      body = decoded as Record<string, unknown>;
    } else {
      if (options.form['response'] !== undefined) throw new Error('an encrypted response was not requested');
      body = { vp_token: JSON.parse(options.form['vp_token'] ?? 'null') as unknown, state: options.form['state'] };
    }
  } catch (error) {
    // JSON.parse quotes the input it could not read: only its kind of failure is named.
    const reason = error instanceof SyntaxError ? 'it is not JSON' : (error as Error).message;
    throw new MdocError('ERR_OPENID4VP', `the authorization response is malformed: ${reason}`, { cause: error });
  }
  // §8.2: state, when the request carried one, must come back unchanged.
  if (options.expectedState !== undefined && body['state'] !== options.expectedState)
    throw new MdocError('ERR_OPENID4VP', 'state does not match the request');
  const token = body['vp_token'];
  if (typeof token !== 'object' || token === null || Array.isArray(token))
    throw new MdocError('ERR_OPENID4VP', 'vp_token must be an object keyed by credential query id');
  const presentations: Record<string, Uint8Array[]> = {};
  for (const [id, list] of Object.entries(token as Record<string, unknown>)) {
    // The message names no key: the sender chose them (one could be a My Number).
    if (!Array.isArray(list) || list.length === 0 || list.some((entry) => typeof entry !== 'string')) {
      throw new MdocError('ERR_OPENID4VP', 'every vp_token entry must be a non-empty array of strings');
    }
    presentations[id] = (list as string[]).map((entry) => {
      return decodeBase64UrlField(entry, 'a vp_token entry');
    });
  }
  return presentations;
}

/** Same-device link (§5.7): `openid4vp://?client_id=…&request_uri=…`. */
export function authorizationRequestUri(options: {
  readonly clientId: string;
  readonly requestUri: string;
  readonly scheme?: string;
}): string {
  const query = new URLSearchParams({ client_id: options.clientId, request_uri: options.requestUri });
  return `${options.scheme ?? 'openid4vp'}://?${query.toString()}`;
}

/** Reads a same-device link or the cross-device QR text. Throws `ERR_OPENID4VP`. */
export function parseAuthorizationRequestUri(uri: string): { clientId: string; requestUri: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (error) {
    throw new MdocError('ERR_OPENID4VP', 'the request link is not a URL', { cause: error });
  }
  const clientId = url.searchParams.get('client_id');
  const requestUri = url.searchParams.get('request_uri');
  if (!clientId || !requestUri)
    throw new MdocError('ERR_OPENID4VP', 'the request link needs client_id and request_uri');
  return { clientId, requestUri };
}
