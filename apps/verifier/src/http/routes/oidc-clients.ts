import { createRoute, z, type OpenAPIHono, type RouteHandler } from '@hono/zod-openapi';
import { jsonBody } from '@openmyna/service';
import type { JWK } from 'jose';

import { registerOidcClient } from '../../oidc/clients.js';
import { OIDC_SCOPES } from '../../oidc/paths.js';
import { routeGroup, type RouteDeps, type VerifierEnv } from '../route-deps.js';
import { errorResponses } from '../schemas.js';

/** A public JWK as a client registers it (the registry checks the members that matter). */
const JwkSchema = z
  .object({
    kty: z.enum(['RSA', 'EC']),
    use: z.enum(['sig', 'enc']).optional(),
    kid: z.string().max(200).optional(),
    alg: z.string().max(20).optional(),
    n: z.string().max(1400).optional(),
    e: z.string().max(20).optional(),
    crv: z.string().max(10).optional(),
    x: z.string().max(100).optional(),
    y: z.string().max(100).optional(),
  })
  .passthrough();

/** `PUT /admin/relying-parties/{id}/oidc-client`: what an administrator registers (docs/oidc.md). */
export const OidcClientRegistrationSchema = z
  .object({
    redirectUris: z.array(z.string().min(1).max(255)).min(1).max(10),
    jwks: z.object({ keys: z.array(JwkSchema).min(1).max(10) }),
    scopes: z.array(z.enum(OIDC_SCOPES)).min(1).max(OIDC_SCOPES.length),
  })
  .openapi('OidcClientRegistration');

export const OidcClientSchema = z
  .object({
    clientId: z.string(),
    issuer: z.string(),
    redirectUris: z.array(z.string()),
    scopes: z.array(z.string()),
  })
  .openapi('OidcClient');

const registerRoute = createRoute({
  method: 'put',
  path: '/admin/relying-parties/{id}/oidc-client',
  security: [{ admin: [] }],
  description:
    "Registers (or replaces) a relying party's OpenID Connect client for the デジタル認証アプリ-compatible provider: exact redirect URIs, its public JWK Set (signature keys for private_key_jwt, one encryption key for sign results) and its scopes — the 4 info and sign only for a party registered for the 4 info.",
  request: { params: z.object({ id: z.string().min(1).max(100) }), body: jsonBody(OidcClientRegistrationSchema) },
  responses: {
    200: { description: 'Registered', content: { 'application/json': { schema: OidcClientSchema } } },
    ...errorResponses,
  },
});

function register({ context, options }: RouteDeps, issuer: string): RouteHandler<typeof registerRoute, VerifierEnv> {
  return async (c) => {
    const body = c.req.valid('json');
    const client = await registerOidcClient(context, c.req.valid('param').id, {
      redirectUris: body.redirectUris,
      jwks: { keys: body.jwks.keys as JWK[] },
      scopes: body.scopes,
    });
    return c.json(
      {
        clientId: client.clientId,
        issuer: `${options.publicUrl}${issuer}`,
        redirectUris: [...client.redirectUris],
        scopes: [...client.scopes],
      },
      200,
    );
  };
}

/** The OIDC client registry, for the administrator. */
export function oidcClientRoutes(deps: RouteDeps, issuer: string): OpenAPIHono<VerifierEnv> {
  return routeGroup().openapi(registerRoute, register(deps, issuer));
}
