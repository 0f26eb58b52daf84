import { importJWK, type JWK } from 'jose';
import * as client from 'openid-client';

import { OidcFlowError } from './errors.js';

/**
 * The firm's OpenID Connect client at the デジタル認証アプリ-compatible provider: where it is, the client id
 * it was registered with, the redirect URI, and its two private keys (never sent anywhere).
 */
export interface RpDemoOidcOptions {
  /** The provider's issuer, e.g. `<verifier>/api/realms/main`. */
  readonly issuer: string;
  readonly clientId: string;
  /** `<demo>/oidc/callback`, exactly as registered. */
  readonly redirectUri: string;
  /** The private ES256 key of `private_key_jwt` (with its `kid`, as registered). */
  readonly signingKey: JWK;
  /** The private RSA-OAEP-256 key the sign results are encrypted to. */
  readonly encryptionKey: JWK;
  /** `POST` starts a sign transaction, `GET {id}/result` reads it; by default beside the realm. */
  readonly signTransactions?: string;
}

/** The firm's client, made once its provider's discovery document was read. */
export interface OidcRelyingParty {
  readonly options: RpDemoOidcOptions;
  /** The discovered configuration (cached; a failed discovery is tried again next time). */
  configuration(): Promise<client.Configuration>;
  /** The key that opens the sign results. */
  decryptionKey(): Promise<CryptoKey>;
}

/** The firm's client over `options`; nothing is fetched until the first flow. */
export function oidcRelyingParty(options: RpDemoOidcOptions, fetcher?: typeof fetch): OidcRelyingParty {
  let discovered: Promise<client.Configuration> | undefined;
  // A fetch given to the demo (tests) serves the provider too: the discovery and every later request.
  const customFetch: client.CustomFetch | undefined = fetcher && ((url, init) => fetcher(url, init as RequestInit));
  const discover = async () => {
    const key = (await importJWK(options.signingKey, options.signingKey.alg ?? 'ES256')) as CryptoKey;
    const issuer = new URL(options.issuer);
    const configuration = await client.discovery(
      issuer,
      options.clientId,
      { id_token_signed_response_alg: 'RS256' },
      client.PrivateKeyJwt({ key, ...(options.signingKey.kid ? { kid: options.signingKey.kid } : {}) }),
      {
        // The sandbox's provider is plain HTTP on localhost; a deployed one is HTTPS.
        ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
        ...(customFetch ? { [client.customFetch]: customFetch } : {}),
      },
    );
    if (customFetch) configuration[client.customFetch] = customFetch;
    return configuration;
  };
  return {
    options,
    configuration: () => {
      discovered ??= discover().catch((cause: unknown) => {
        discovered = undefined;
        throw new OidcFlowError('ERR_OIDC_PROVIDER_UNAVAILABLE', 'the discovery document was not read', undefined, {
          cause,
        });
      });
      return discovered;
    },
    decryptionKey: async () => (await importJWK(options.encryptionKey, 'RSA-OAEP-256')) as CryptoKey,
  };
}

/**
 * The sign transactions' endpoint of `options`. The discovery document does not name it: it sits beside
 * the realm, `…/api/realms/main` → `…/api/sign-transactions` (under the same path prefix, if any).
 */
export function signTransactionsUrl(options: RpDemoOidcOptions): string {
  if (options.signTransactions) return options.signTransactions;
  const issuer = new URL(options.issuer);
  const base = issuer.pathname.replace(/\/api\/realms\/[^/]+\/?$/, '');
  return `${issuer.origin}${base}/api/sign-transactions`;
}

/** openid-client's codes for a response that is not what this flow expects (`state`, `nonce`, `iss`, …). */
const MISMATCHES = new Set([
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
]);

/**
 * openid-client's errors as the demo's: the callback's `error` (its `state` checked first), a response
 * that is not this flow's, or the provider refusing or unreachable. Our own errors pass as they are.
 */
export function flowErrorOf(error: unknown): OidcFlowError {
  if (error instanceof OidcFlowError) return error;
  if (error instanceof client.AuthorizationResponseError)
    return new OidcFlowError('ERR_OIDC_AUTHORIZATION_ERROR', 'the provider returned an error', error.error, {
      cause: error,
    });
  if (error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError)
    return new OidcFlowError('ERR_OIDC_PROVIDER_UNAVAILABLE', 'the provider refused a request', undefined, {
      cause: error,
    });
  if (error instanceof client.ClientError && MISMATCHES.has(error.code ?? ''))
    return new OidcFlowError('ERR_OIDC_RESPONSE_MISMATCH', 'the response is not this flow’s', undefined, {
      cause: error,
    });
  return new OidcFlowError('ERR_OIDC_PROVIDER_UNAVAILABLE', 'the provider could not be reached', undefined, {
    cause: error,
  });
}
