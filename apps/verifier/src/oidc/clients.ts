import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

import { JP_NAMESPACE } from '@openmyna/mdoc';
import type { JWK } from 'jose';

import { appendAudit } from '../audit.js';
import { isoTime, type VerifierContext } from '../context.js';
import { VerifierServiceError } from '../errors.js';
import { assertMayRequest, relyingParty, type RelyingParty } from '../relying-parties.js';
import { FOUR_INFO_SCOPES, OIDC_SCOPES, type OidcScope } from './paths.js';

/** A relying party's OpenID Connect client. */
export interface OidcClient {
  readonly clientId: string;
  readonly rpId: string;
  readonly redirectUris: readonly string[];
  readonly jwks: { readonly keys: readonly JWK[] };
  readonly scopes: readonly OidcScope[];
}

/** What an administrator registers for a relying party. */
export interface OidcClientInput {
  readonly redirectUris: readonly string[];
  readonly jwks: { readonly keys: readonly JWK[] };
  readonly scopes: readonly string[];
}

/** The card-face elements whose values the 4-info scopes (and a signature's certificate) carry. */
const FOUR_INFO_ELEMENTS = ['full_name_unicode', 'resident_address_unicode', 'birth_date_unicode', 'sex_unicode'].map(
  (elementIdentifier) => ({ nameSpace: JP_NAMESPACE, elementIdentifier }),
);

/** JWK members that only a private key has: a client's JWK Set must hold none of them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

/**
 * Registers (or replaces) the OpenID Connect client of relying party `rpId`: its exact redirect URIs,
 * its public JWK Set (signature keys for `private_key_jwt`; with `sign`, one encryption key for the sign
 * results) and its scopes. The 4-info scopes and `sign` only for a party registered for the 4 info
 * elements (`ERR_RP_NOT_AUTHORIZED`), as a presentation of them. The client id is kept on replacement.
 */
export async function registerOidcClient(
  context: VerifierContext,
  rpId: string,
  input: OidcClientInput,
): Promise<OidcClient> {
  const party = await relyingParty(context, rpId);
  const scopes = checkedScopes(party, input.scopes);
  const redirectUris = input.redirectUris.map(checkedRedirectUri);
  if (redirectUris.length === 0 || redirectUris.length > 10)
    throw new VerifierServiceError('ERR_RP_INVALID', 'register 1 to 10 redirect URIs');
  const jwks = checkedJwks(input.jwks, scopes.includes('sign'));
  const now = isoTime(context.clock());
  const existing = await context.db
    .selectFrom('oidc_clients')
    .select('client_id')
    .where('rp_id', '=', rpId)
    .executeTakeFirst();
  const clientId = existing?.client_id ?? newClientId(context);
  const row = {
    redirect_uris: JSON.stringify(redirectUris),
    jwks: JSON.stringify(jwks),
    scopes: scopes.join(' '),
    updated_at: now,
  };
  if (existing) await context.db.updateTable('oidc_clients').set(row).where('client_id', '=', clientId).execute();
  else
    await context.db
      .insertInto('oidc_clients')
      .values({ client_id: clientId, rp_id: rpId, created_at: now, ...row })
      .execute();
  await appendAudit(context, {
    rpId,
    action: 'oidc-client.register',
    subjectId: clientId,
    result: 'ok',
    details: { scopes, redirectUris: redirectUris.length },
  });
  return { clientId, rpId, redirectUris, jwks, scopes };
}

/** The client `clientId`, or undefined. */
export async function oidcClient(context: VerifierContext, clientId: string): Promise<OidcClient | undefined> {
  const row = await context.db
    .selectFrom('oidc_clients')
    .selectAll()
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    clientId: row.client_id,
    rpId: row.rp_id,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    jwks: JSON.parse(row.jwks) as { keys: JWK[] },
    scopes: row.scopes.split(' ') as OidcScope[],
  };
}

/** The client of relying party `rpId`, or undefined. */
export async function oidcClientOf(context: VerifierContext, rpId: string): Promise<OidcClient | undefined> {
  const row = await context.db
    .selectFrom('oidc_clients')
    .select('client_id')
    .where('rp_id', '=', rpId)
    .executeTakeFirst();
  return row ? oidcClient(context, row.client_id) : undefined;
}

/** The encryption key of a client's JWK Set (its sign results are encrypted to it). */
export function encryptionKeyOf(client: OidcClient): JWK | undefined {
  return client.jwks.keys.find((key) => key.use === 'enc');
}

/** `[0-9A-Za-z]`, 24 characters: within the reference's `[0-9a-zA-Z]{1,255}`. */
function newClientId(context: VerifierContext): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  // 248 = 4 × 62: the bytes above it are dropped, so every character is equally likely.
  const bytes = [...context.randomBytes(48)].filter((byte) => byte < 248).slice(0, 22);
  if (bytes.length < 22) return newClientId(context);
  return 'RP' + bytes.map((byte) => alphabet[byte % 62]).join('');
}

function checkedScopes(party: RelyingParty, asked: readonly string[]): OidcScope[] {
  const unknown = asked.filter((scope) => !(OIDC_SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0)
    throw new VerifierServiceError(
      'ERR_RP_INVALID',
      `unknown scopes ${unknown.map((scope) => JSON.stringify(scope.slice(0, 40))).join(', ')}; the scopes are ${OIDC_SCOPES.join(' ')}`,
    );
  const scopes = OIDC_SCOPES.filter((scope) => scope === 'openid' || asked.includes(scope));
  // The 4 info come from the signing certificate, as a signature's do: only to a party registered for them.
  if (scopes.some((scope) => scope === 'sign' || FOUR_INFO_SCOPES.includes(scope)))
    assertMayRequest(party, FOUR_INFO_ELEMENTS);
  return scopes;
}

function checkedRedirectUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new VerifierServiceError('ERR_RP_INVALID', 'a redirect URI is not a URL');
  }
  const local = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !local)
    throw new VerifierServiceError('ERR_RP_INVALID', 'redirect URIs are https (http only to this machine)');
  if (uri.includes('#') || uri.length > 255)
    throw new VerifierServiceError('ERR_RP_INVALID', 'a redirect URI has no fragment and at most 255 characters');
  return uri;
}

/** A key the provider and the sign results can use: it imports, RSA of 2048 bits or more, or P-256. */
function checkUsableKey(key: JWK): void {
  let imported: KeyObject;
  try {
    imported = createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
  } catch {
    throw new VerifierServiceError('ERR_RP_INVALID', 'a key of the JWK Set is not a usable public key');
  }
  if (imported.asymmetricKeyType === 'rsa' && (imported.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
    throw new VerifierServiceError('ERR_RP_INVALID', 'RSA keys of the JWK Set have 2048 bits or more');
}

function checkedJwks(jwks: { readonly keys: readonly JWK[] }, withSign: boolean): { keys: JWK[] } {
  const keys = (Array.isArray(jwks?.keys) ? jwks.keys : []) as readonly JWK[];
  if (keys.length === 0 || keys.length > 10)
    throw new VerifierServiceError('ERR_RP_INVALID', 'the JWK Set has 1 to 10 keys');
  for (const key of keys) {
    if (PRIVATE_MEMBERS.some((member) => member in key))
      throw new VerifierServiceError(
        'ERR_RP_INVALID',
        'the JWK Set holds a private or symmetric key: register public keys only',
      );
    if (!(key.kty === 'RSA' && key.n && key.e) && !(key.kty === 'EC' && key.crv === 'P-256' && key.x && key.y))
      throw new VerifierServiceError('ERR_RP_INVALID', 'JWK Set keys are RSA or EC P-256 public keys');
    if (key.use !== undefined && key.use !== 'sig' && key.use !== 'enc')
      throw new VerifierServiceError('ERR_RP_INVALID', 'a key\'s "use" is sig or enc');
    checkUsableKey(key);
  }
  if (!keys.some((key) => key.use !== 'enc'))
    throw new VerifierServiceError('ERR_RP_INVALID', 'the JWK Set needs a signature key for private_key_jwt');
  const encryption = keys.filter((key) => key.use === 'enc');
  if (encryption.length > 1)
    throw new VerifierServiceError('ERR_RP_INVALID', 'the JWK Set has at most one encryption key');
  if (withSign && encryption.length === 0)
    throw new VerifierServiceError(
      'ERR_RP_INVALID',
      'the sign scope needs an encryption key ("use": "enc") in the JWK Set: sign results are encrypted to it',
    );
  return { keys: keys.map((key) => ({ ...key })) };
}
