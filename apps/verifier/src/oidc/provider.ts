import { generateKeyPairSync, hkdfSync } from 'node:crypto';

import { calculateJwkThumbprint, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import type * as OidcProviderModule from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

import { isoTime, type VerifierContext } from '../context.js';
import { sealJson, unsealJson } from '../sealing.js';
import { databaseAdapter } from './adapter.js';
import { oidcLibrary } from './library.js';
import { OIDC_SCOPES, OIDC_TTL, type OidcPaths } from './paths.js';
import { checkSignTransactionParameter } from './sign-transactions.js';

/** The `acr` of every authentication: the JPKI authentication key on the phone, behind its PIN. */
export const OIDC_ACR = 'aal3';
/** The `amr`: a hardware-protected key (RFC 8176 `hwk`) unlocked by a PIN (`pin`). */
export const OIDC_AMR = ['hwk', 'pin'];

const SIGNING_KEY_ID = 'id-token-rs256';
const SEALED_SIGNING_KEY = 'oidc-id-token-signing-key';
const SEALED_ACCOUNT = 'oidc-account-claims';

/** The claims one authorization established, by OpenID Connect name. */
export interface AccountClaims {
  readonly name?: string;
  readonly address?: { readonly formatted: string };
  readonly birthdate?: string;
  readonly gender?: string;
}

/**
 * The OpenID Provider (`oidc-provider`, OpenID Certified) with the デジタル認証アプリ API's shape: code flow
 * only, PKCE S256 required, `private_key_jwt` only, no implicit, hybrid or password grants, client
 * credentials for the sign transactions, `state` and `nonce` required, the reference's scopes, the
 * holder authenticated with the card (the phone) for every authorization — never a remembered session.
 */
export async function createOidcProvider(options: {
  readonly context: VerifierContext;
  readonly sealingKey: Uint8Array;
  readonly publicUrl: string;
  readonly paths: OidcPaths;
}): Promise<Provider> {
  const { context, sealingKey, paths } = options;
  const library = await oidcLibrary();
  const configuration = oidcConfiguration(context, sealingKey, paths, await idTokenSigningKey(context, sealingKey));
  configuration.interactions = { ...configuration.interactions, policy: cardEachTimePolicy(library.interactionPolicy) };
  // Where the sign transactions are, beside the standard metadata (the reference leaves clients to know it).
  configuration.discovery = { sign_transactions_endpoint: `${options.publicUrl}${paths.signTransactions}` };
  const provider = new library.default(`${options.publicUrl}${paths.issuer}`, configuration);
  provider.proxy = true;
  return provider;
}

/** The protocol as the reference has it: what every client of this provider gets. */
const PROTOCOL: Configuration = {
  responseTypes: ['code'],
  clientAuthMethods: ['private_key_jwt'],
  clientDefaults: {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt',
    id_token_signed_response_alg: 'RS256',
    require_auth_time: true,
  },
  enabledJWA: {
    clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
    idTokenSigningAlgValues: ['RS256'],
  },
  pkce: { required: () => true },
  scopes: [...OIDC_SCOPES],
  claims: {
    acr: null,
    amr: null,
    auth_time: null,
    iss: null,
    // The ID token always says how the holder authenticated (OpenID Connect leaves acr and amr voluntary).
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    name: ['name'],
    address: ['address'],
    birthdate: ['birthdate'],
    gender: ['gender'],
  },
  acrValues: [OIDC_ACR, 'crl'],
  subjectTypes: ['public'],
  allowOmittingSingleRegisteredRedirectUri: false,
  conformIdTokenClaims: true,
  issueRefreshToken: () => false,
  features: {
    // Only what the reference offers: no pushed requests, DPoP, resource indicators or logout endpoint.
    devInteractions: { enabled: false },
    pushedAuthorizationRequests: { enabled: false },
    dPoP: { enabled: false },
    resourceIndicators: { enabled: false },
    rpInitiatedLogout: { enabled: false },
    clientCredentials: { enabled: true },
    claimsParameter: { enabled: false },
    introspection: { enabled: false },
    revocation: { enabled: false },
    userinfo: { enabled: true },
  },
  ttl: {
    Interaction: OIDC_TTL.interaction,
    Session: OIDC_TTL.interaction,
    Grant: OIDC_TTL.accessToken,
    AuthorizationCode: OIDC_TTL.authorizationCode,
    AccessToken: OIDC_TTL.accessToken,
    ClientCredentials: OIDC_TTL.clientCredentials,
    IdToken: OIDC_TTL.idToken,
  },
};

/** The holder proves possession of the card on every authorization: a browser session never stands in. */
function cardEachTimePolicy(interactionPolicy: typeof OidcProviderModule.interactionPolicy) {
  const policy = interactionPolicy.base();
  policy
    .get('login')!
    .checks.add(
      new interactionPolicy.Check(
        'card_each_time',
        'the holder authenticates with the JPKI authentication key for every authorization',
        (ctx) =>
          ctx.oidc.result?.['login']
            ? interactionPolicy.Check.NO_NEED_TO_PROMPT
            : interactionPolicy.Check.REQUEST_PROMPT,
      ),
      0,
    );
  return policy;
}

function oidcConfiguration(
  context: VerifierContext,
  sealingKey: Uint8Array,
  paths: OidcPaths,
  signingKey: JWK,
): Configuration {
  return {
    adapter: databaseAdapter(context),
    jwks: { keys: [signingKey] },
    cookies: { keys: [cookieKey(sealingKey)] },
    ...PROTOCOL,
    extraParams: {
      // Runs for every authorization request, after the client and redirect URI are known: the reference's
      // constraints on the standard parameters, and its sign_transaction_id.
      sign_transaction_id: (ctx: KoaContextWithOIDC, value: unknown) =>
        checkAuthorizationParameters(ctx, context, value),
    },
    routes: {
      authorization: paths.authorization,
      token: paths.token,
      userinfo: paths.userinfo,
      jwks: paths.jwks,
    },
    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction) => `${paths.issuer}${paths.interaction}/${interaction.uid}`,
    },
    // The claims of the authorization the code or access token belongs to, never of a later one.
    findAccount: (_ctx, sub, token) => ({
      accountId: sub,
      claims: async () => ({ sub, ...(await accountClaims(context, sealingKey, token?.grantId)) }),
    }),
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

/** Stores what the authorization of `grantId` established about the holder, for its tokens' lifetime. */
export async function saveAccount(
  context: VerifierContext,
  sealingKey: Uint8Array,
  grantId: string,
  claims: AccountClaims,
): Promise<void> {
  const row = {
    claims_sealed: sealJson(sealingKey, SEALED_ACCOUNT, claims),
    expires_at: new Date(Date.now() + OIDC_TTL.accessToken * 1000).toISOString(),
  };
  await context.db
    .insertInto('oidc_accounts')
    .values({ grant_id: grantId, ...row })
    .onConflict((conflict) => conflict.column('grant_id').doUpdateSet(row))
    .execute();
}

async function accountClaims(
  context: VerifierContext,
  sealingKey: Uint8Array,
  grantId: string | undefined,
): Promise<AccountClaims> {
  if (!grantId) return {};
  const row = await context.db
    .selectFrom('oidc_accounts')
    .select(['claims_sealed', 'expires_at'])
    .where('grant_id', '=', grantId)
    .executeTakeFirst();
  if (!row || row.expires_at <= new Date().toISOString()) return {};
  return unsealJson<AccountClaims>(sealingKey, SEALED_ACCOUNT, row.claims_sealed);
}

/** The reference's constraints on the authorization request's parameters, as `invalid_request`. */
async function checkAuthorizationParameters(
  ctx: KoaContextWithOIDC,
  context: VerifierContext,
  signTransactionId: unknown,
): Promise<void> {
  const { errors } = await oidcLibrary();
  const params = ctx.oidc.params as Record<string, unknown>;
  const visible = /^[\x20-\x7e]{1,255}$/;
  for (const name of ['state', 'nonce'] as const) {
    const value = params[name];
    if (typeof value !== 'string' || !visible.test(value))
      throw new errors.InvalidRequest(`${name} is required: 1 to 255 visible ASCII characters`);
  }
  if (typeof params['code_challenge'] !== 'string' || !/^[0-9A-Za-z_-]{1,128}$/.test(params['code_challenge']))
    throw new errors.InvalidRequest('code_challenge is required: 1 to 128 characters of [0-9A-Za-z_-]');
  if (params['code_challenge_method'] !== 'S256') throw new errors.InvalidRequest('code_challenge_method must be S256');
  const scopes = typeof params['scope'] === 'string' ? params['scope'].split(' ') : [];
  const clientId = ctx.oidc.client?.clientId ?? '';
  await checkSignTransactionParameter(context, clientId, scopes.includes('sign'), signTransactionId);
}

/** The ID-token signing key: made by the first instance, sealed in the database, shared by all. */
async function idTokenSigningKey(context: VerifierContext, sealingKey: Uint8Array): Promise<JWK> {
  const read = async () => {
    const row = await context.db
      .selectFrom('oidc_keys')
      .select('key_sealed')
      .where('id', '=', SIGNING_KEY_ID)
      .executeTakeFirst();
    return row ? unsealJson<JWK>(sealingKey, SEALED_SIGNING_KEY, row.key_sealed) : undefined;
  };
  const existing = await read();
  if (existing) return existing;
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as JWK;
  const key: JWK = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
  // Two instances starting together: one insert wins, and both use its key.
  await context.db
    .insertInto('oidc_keys')
    .values({
      id: SIGNING_KEY_ID,
      key_sealed: sealJson(sealingKey, SEALED_SIGNING_KEY, key),
      created_at: isoTime(context.clock()),
    })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  return (await read())!;
}

/** The provider's cookie-signing key, derived from the sealing key (the same on every instance). */
function cookieKey(sealingKey: Uint8Array): string {
  return Buffer.from(hkdfSync('sha256', sealingKey, new Uint8Array(0), 'openmyna/oidc-cookies/v1', 32)).toString(
    'base64url',
  );
}
