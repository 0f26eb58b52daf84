import type * as OidcProviderLibrary from 'oidc-provider';

let loading: Promise<typeof OidcProviderLibrary> | undefined;

/**
 * `oidc-provider`, loaded on first use. Its import prints a notice on Node 20 ("Unsupported runtime"),
 * which every `openmyna` command would otherwise print — only a verifier that serves an authorization
 * loads it.
 */
export const oidcLibrary = (): Promise<typeof OidcProviderLibrary> => (loading ??= import('oidc-provider'));
