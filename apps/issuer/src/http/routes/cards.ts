import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { VirtualCardDocumentSchema } from '@openmyna/card';
import { jsonBody } from '@openmyna/service';
import type { Env } from 'hono';

import { issueCard } from '../../cards.js';
import { endCard } from '../../registry.js';
import { errorResponses, PersonId, Reason, ResourceId, Revoked } from '../schemas.js';
import { issuerRouter, type IssuerRouteServices } from '../services.js';

const Pin = z.string().regex(/^\d{4}$/);
const CardPins = z
  .object({
    authenticationPin: Pin,
    signingPassword: z.string().regex(/^(?=.*[A-Z])(?=.*\d)[A-Z\d]{6,16}$/),
    kenhojoPin: Pin,
  })
  .openapi('CardPins');
const IssuedCard = z.object({
  cardId: z.string(),
  passphrase: z.string(),
  securityCode: z.string(),
  // The card package's schema, named for the OpenAPI document (its instances predate the openapi extension).
  card: z.object(VirtualCardDocumentSchema.shape).openapi('VirtualCardDocument'),
});

const issueCardRoute = createRoute({
  method: 'post',
  path: '/admin/persons/{id}/cards',
  security: [{ admin: [] }],
  description:
    'Issues a virtual My Number Card: JPKI certificates (each stored before it is signed), 入力補助 and 券面 records. The response carries the card file and the passphrase that opens it, once.',
  request: { params: z.object({ id: PersonId }), body: jsonBody(CardPins) },
  responses: {
    201: {
      description: 'The card file (openmyna-card/2), its passphrase and the printed security code',
      content: { 'application/json': { schema: IssuedCard } },
    },
    ...errorResponses,
  },
});

const endCardRoute = (status: 'lost' | 'renewed') =>
  createRoute({
    method: 'post',
    path: `/admin/cards/{id}/${status}`,
    security: [{ admin: [] }],
    description: `Marks the card ${status}: its certificates and those of every phone provisioned from it are revoked.`,
    request: { params: ResourceId, body: jsonBody(Reason) },
    responses: {
      200: { description: 'The revoked certificates', content: { 'application/json': { schema: Revoked } } },
      ...errorResponses,
    },
  });

/** Cards (`/admin/persons/{id}/cards`, `/admin/cards/{id}/…`): issue one at the counter, end one. */
export function cardRoutes({ context, options, revocation }: IssuerRouteServices): OpenAPIHono<Env> {
  const app = issuerRouter();
  app.openapi(issueCardRoute, async (c) => {
    const pins = c.req.valid('json');
    const issued = await issueCard(context, {
      personId: c.req.valid('param').id,
      authorities: { signing: options.authorities.signing.ca, authentication: options.authorities.authentication.ca },
      cardFace: options.cardFace,
      pins: { authentication: pins.authenticationPin, signing: pins.signingPassword, kenhojo: pins.kenhojoPin },
      actor: 'admin',
    });
    c.header('cache-control', 'no-store');
    const { cardId, passphrase, securityCode, document } = issued;
    return c.json({ cardId, passphrase, securityCode, card: document }, 201);
  });
  for (const status of ['lost', 'renewed'] as const) {
    app.openapi(endCardRoute(status), async (c) => {
      const { revoked } = await endCard(context, c.req.valid('param').id, status, 'admin', c.req.valid('json').reason);
      for (const hierarchy of ['signing', 'authentication'] as const) revocation.invalidate(hierarchy, revoked);
      return c.json({ revoked }, 200);
    });
  }
  return app;
}
