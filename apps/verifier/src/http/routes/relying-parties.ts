import { createRoute, z, type OpenAPIHono, type RouteHandler } from '@hono/zod-openapi';
import { base64Encode } from '@openmyna/core';
import { MNC_DOCTYPE } from '@openmyna/mdoc';
import { jsonBody } from '@openmyna/service';

import { registerRelyingParty } from '../../relying-parties.js';
import { routeGroup, type RouteDeps, type VerifierEnv } from '../route-deps.js';
import { ElementSchema, errorResponses } from '../schemas.js';

/** `POST /admin/relying-parties`: what an administrator registers. */
export const RelyingPartyRegistrationSchema = z
  .object({
    name: z.string().min(1).max(100),
    myNumberPurpose: z.enum(['none', 'bango-riyo-jimu', 'kojin-bango-kankei-jimu']),
    elements: z.array(ElementSchema).min(1).max(40).optional(),
    webhookUrl: z.string().url().max(500).optional(),
  })
  .openapi('RelyingPartyRegistration');

/** What registration returns, once: the API key is never shown again. */
export const RegisteredRelyingPartySchema = z
  .object({ id: z.string(), apiKey: z.string(), clientId: z.string(), requestCertificate: z.string() })
  .openapi('RegisteredRelyingParty');

const registerRoute = createRoute({
  method: 'post',
  path: '/admin/relying-parties',
  security: [{ admin: [] }],
  description:
    'Registers a relying party: its API key (shown once), its request-signing certificate from the reader CA, and what it may receive — a My Number only with a purpose (番号利用事務 or 個人番号関係事務).',
  request: { body: jsonBody(RelyingPartyRegistrationSchema) },
  responses: {
    201: { description: 'Registered', content: { 'application/json': { schema: RegisteredRelyingPartySchema } } },
    ...errorResponses,
  },
});

function register({ context, options }: RouteDeps): RouteHandler<typeof registerRoute, VerifierEnv> {
  return async (c) => {
    const body = c.req.valid('json');
    const { relyingParty, apiKey, clientId } = await registerRelyingParty(context, {
      name: body.name,
      myNumberPurpose: body.myNumberPurpose,
      ...(body.elements
        ? {
            elements: body.elements.map(({ nameSpace, elementIdentifier }) => ({
              docType: MNC_DOCTYPE,
              nameSpace,
              elementIdentifier,
            })),
          }
        : {}),
      ...(body.webhookUrl ? { webhookUrl: body.webhookUrl } : {}),
      readerAuthority: options.readerAuthority,
      sealingKey: options.sealingKey,
      publicUrl: options.publicUrl,
    });
    c.header('cache-control', 'no-store');
    const requestCertificate = base64Encode(relyingParty.requestCertificate);
    return c.json({ id: relyingParty.id, apiKey, clientId, requestCertificate }, 201);
  };
}

/** The relying-party registry, for the administrator (admin bearer token on `/admin/*`). */
export function relyingPartyRoutes(deps: RouteDeps): OpenAPIHono<VerifierEnv> {
  return routeGroup().openapi(registerRoute, register(deps));
}
