/**
 * Where the デジタル認証アプリ-compatible OpenID Provider answers (docs/oidc.md). The defaults follow the
 * published path layout: the provider under `/api/realms/main` (its token endpoint is
 * `/api/realms/main/protocol/openid-connect/token`, the other OpenID Connect endpoints beside it), the
 * sign transactions at `/api/sign-transactions`. A client written against the reference needs only a new
 * base URL.
 */
export interface OidcPaths {
  /** The issuer's path under the service's public URL, and where the provider is mounted. */
  readonly issuer: string;
  /** Below `issuer`. */
  readonly authorization: string;
  readonly token: string;
  readonly userinfo: string;
  readonly jwks: string;
  /** Below `issuer`: the page that shows the QR code and the same-device link. */
  readonly interaction: string;
  /** Absolute: `POST` starts a sign transaction, `GET {id}/result` fetches its result. */
  readonly signTransactions: string;
}

export const DEFAULT_OIDC_PATHS: OidcPaths = {
  issuer: '/api/realms/main',
  authorization: '/protocol/openid-connect/auth',
  token: '/protocol/openid-connect/token',
  userinfo: '/protocol/openid-connect/userinfo',
  jwks: '/protocol/openid-connect/certs',
  interaction: '/interaction',
  signTransactions: '/api/sign-transactions',
};

/** The scopes of the reference: `openid`, the 4 info one by one, and `sign`. */
export const OIDC_SCOPES = ['openid', 'name', 'address', 'birthdate', 'gender', 'sign'] as const;
export type OidcScope = (typeof OIDC_SCOPES)[number];
export const FOUR_INFO_SCOPES: readonly OidcScope[] = ['name', 'address', 'birthdate', 'gender'];

/** The OpenID Provider's options (`VerifierAppOptions.oidc`). */
export interface OidcOptions {
  /** Where each endpoint answers (default: the reference's layout, {@link DEFAULT_OIDC_PATHS}). */
  readonly paths?: Partial<OidcPaths>;
  /** How long a sign transaction waits for its authorization request (default 300 s). */
  readonly signTransactionSeconds?: number;
}

/** How long each artifact lives, in seconds. */
export const OIDC_TTL = {
  /** The holder answers on the phone within a presentation's 300 s. */
  interaction: 600,
  authorizationCode: 60,
  accessToken: 600,
  clientCredentials: 600,
  idToken: 600,
} as const;
