import { randomUUID } from 'node:crypto';

import { base64UrlDecode, base64UrlEncode } from '@openmyna/core';
import { isSignableDigest } from '@openmyna/mdoc';
import { CompactEncrypt, importJWK, type JWK } from 'jose';

import { isoTime, type VerifierContext } from '../context.js';
import { sealJson, unsealJson } from '../sealing.js';
import type { SignTransactionTable } from '../storage/schema.js';
import { encryptionKeyOf, type OidcClient } from './clients.js';
import { oidcLibrary } from './library.js';
import { sweepExpiredOidc } from './sweep.js';

/** How long a sign transaction may wait for its authorization request. */
export const SIGN_TRANSACTION_SECONDS = 300;
const SEALED_RESULT = 'oidc-sign-result';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a sign transaction request or result is refused: an OAuth-style error code and a description. */
export class SignTransactionRefusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 410,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/** What a relying party posts to start a sign transaction (docs/oidc.md). */
export interface SignTransactionInput {
  /** Base64 (standard or url-safe) of the SHA-256 digest (32 bytes) or of its DER DigestInfo (51 bytes). */
  readonly digest: unknown;
  /** Whether `digest` is a DigestInfo; when absent, told by its length. */
  readonly digest_info?: unknown;
  /** What the holder sees on the phone (default 「電子署名」). */
  readonly title?: unknown;
}

/** Starts a sign transaction for `client`: the digest checked, stored until it expires or is used once. */
export async function createSignTransaction(
  context: VerifierContext,
  client: OidcClient,
  input: SignTransactionInput,
  seconds = SIGN_TRANSACTION_SECONDS,
): Promise<{ id: string; expiresIn: number }> {
  const { bytes, digestInfo } = checkedDigest(input.digest, input.digest_info);
  const title = input.title === undefined ? '電子署名' : input.title;
  if (typeof title !== 'string' || title.length === 0 || title.length > 100 || hasControlCharacter(title))
    throw new SignTransactionRefusal(400, 'invalid_request', 'title is 1 to 100 characters without control characters');
  await sweepExpiredOidc(context);
  const now = context.clock();
  const id = randomUUID();
  await context.db
    .insertInto('sign_transactions')
    .values({
      id,
      client_id: client.clientId,
      rp_id: client.rpId,
      digest: base64UrlEncode(bytes),
      digest_info: digestInfo ? 1 : 0,
      title,
      status: 'created',
      interaction_uid: null,
      grant_id: null,
      result_sealed: null,
      created_at: isoTime(now),
      expires_at: isoTime(new Date(now.getTime() + seconds * 1000)),
    })
    .execute();
  return { id, expiresIn: seconds };
}

const hasControlCharacter = (text: string) =>
  [...text].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);

function checkedDigest(digest: unknown, digestInfo: unknown): { bytes: Uint8Array; digestInfo: boolean } {
  if (typeof digest !== 'string' || !/^[A-Za-z0-9+/_-]{40,72}={0,2}$/.test(digest))
    throw new SignTransactionRefusal(400, 'invalid_request', 'digest is the base64 of a SHA-256 digest or DigestInfo');
  let bytes: Uint8Array;
  try {
    bytes = base64UrlDecode(digest.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
  } catch {
    throw new SignTransactionRefusal(400, 'invalid_request', 'digest is not canonical base64');
  }
  if (digestInfo !== undefined && typeof digestInfo !== 'boolean')
    throw new SignTransactionRefusal(400, 'invalid_request', 'digest_info is true or false');
  const wanted = digestInfo ?? bytes.length === 51;
  if (!isSignableDigest(bytes, wanted))
    throw new SignTransactionRefusal(
      400,
      'invalid_request',
      wanted
        ? 'with digest_info, digest is the 51-byte DER DigestInfo of a SHA-256 digest'
        : 'digest is 32 bytes (SHA-256)',
    );
  return { bytes, digestInfo: wanted };
}

/**
 * The authorization request's `sign_transaction_id` (checked with the other parameters): the `sign` scope
 * and the id come together, and the id names a transaction of this client that is unused and unexpired.
 */
export async function checkSignTransactionParameter(
  context: VerifierContext,
  clientId: string,
  signScope: boolean,
  value: unknown,
): Promise<void> {
  const { errors } = await oidcLibrary();
  if (value === undefined) {
    if (signScope) throw new errors.InvalidRequest('the sign scope needs a sign_transaction_id');
    return;
  }
  if (!signScope) throw new errors.InvalidRequest('a sign_transaction_id needs the sign scope');
  if (typeof value !== 'string' || !UUID.test(value)) throw new errors.InvalidRequest('sign_transaction_id is a UUID');
  const row = await signTransaction(context, value);
  if (!row || row.client_id !== clientId) throw new errors.InvalidRequest('no such sign transaction');
  if (row.status !== 'created') throw new errors.InvalidRequest('the sign transaction was used already');
  if (row.expires_at <= isoTime(context.clock())) throw new errors.InvalidRequest('the sign transaction has expired');
}

export function signTransaction(context: VerifierContext, id: string): Promise<SignTransactionTable | undefined> {
  return context.db.selectFrom('sign_transactions').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Takes transaction `id` for the authorization `interactionUid`: once only, while unexpired. Returns the
 * transaction, or undefined when another authorization took it first or it expired.
 */
export async function takeSignTransaction(
  context: VerifierContext,
  id: string,
  clientId: string,
  interactionUid: string,
): Promise<SignTransactionTable | undefined> {
  const taken = await context.db
    .updateTable('sign_transactions')
    .set({ status: 'in_use', interaction_uid: interactionUid })
    .where('id', '=', id)
    .where('client_id', '=', clientId)
    .where('status', '=', 'created')
    .where('expires_at', '>', isoTime(context.clock()))
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 1) return signTransaction(context, id);
  // The same authorization coming back to its page (a reload) keeps its transaction.
  const row = await signTransaction(context, id);
  return row?.status === 'in_use' && row.interaction_uid === interactionUid ? row : undefined;
}

/** Records the holder's signature and certificate (base64url) for the grant that may read them. */
export async function recordSignResult(
  context: VerifierContext,
  sealingKey: Uint8Array,
  id: string,
  grantId: string,
  result: { readonly signature: string; readonly certificate: string },
): Promise<void> {
  await context.db
    .updateTable('sign_transactions')
    .set({ status: 'signed', grant_id: grantId, result_sealed: sealJson(sealingKey, SEALED_RESULT, result) })
    .where('id', '=', id)
    .where('status', '=', 'in_use')
    .execute();
}

/** Marks a transaction whose authorization failed: it cannot be used again. */
export async function failSignTransaction(context: VerifierContext, id: string): Promise<void> {
  // A signed transaction stays signed: only one still waiting for its signature fails.
  await context.db
    .updateTable('sign_transactions')
    .set({ status: 'failed' })
    .where('id', '=', id)
    .where('status', 'in', ['created', 'in_use'])
    .execute();
}

/**
 * The result of transaction `id` for an access token of `grantId` (the authorization that signed it),
 * as a JWE to the client's encryption key: `{ signature, certificate }`, both standard base64 (the
 * signature value, and the signing certificate's DER).
 */
export async function signResultFor(
  context: VerifierContext,
  sealingKey: Uint8Array,
  client: OidcClient,
  id: string,
  grantId: string | undefined,
): Promise<string> {
  if (!UUID.test(id)) throw new SignTransactionRefusal(404, 'not_found', 'no such sign transaction');
  const row = await signTransaction(context, id);
  if (!row || row.client_id !== client.clientId)
    throw new SignTransactionRefusal(404, 'not_found', 'no such sign transaction');
  if (row.status !== 'signed' || !row.result_sealed)
    throw new SignTransactionRefusal(409, 'not_signed', `the sign transaction is ${row.status.replace('_', ' ')}`);
  if (!grantId || row.grant_id !== grantId)
    throw new SignTransactionRefusal(
      403,
      'insufficient_scope',
      'this access token is not of the authorization that signed',
    );
  const result = unsealJson<{ signature: string; certificate: string }>(sealingKey, SEALED_RESULT, row.result_sealed);
  const key = encryptionKeyOf(client);
  if (!key) throw new SignTransactionRefusal(409, 'invalid_client', 'the client has no encryption key for the result');
  return encryptResult(key, {
    sign_transaction_id: id,
    signature: Buffer.from(base64UrlDecode(result.signature)).toString('base64'),
    certificate: Buffer.from(base64UrlDecode(result.certificate)).toString('base64'),
  });
}

async function encryptResult(key: JWK, payload: object): Promise<string> {
  const alg = key.kty === 'RSA' ? 'RSA-OAEP-256' : 'ECDH-ES';
  const publicKey = await importJWK({ ...key, alg }, alg);
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, enc: 'A256GCM', cty: 'json', ...(key.kid ? { kid: key.kid } : {}) })
    .encrypt(publicKey);
}
