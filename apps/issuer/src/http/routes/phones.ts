import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { jsonBody } from '@openmyna/service';
import type { Env } from 'hono';

import { changePhone, phonesOf, type PhoneAction } from '../../phones.js';
import { errorResponses, PersonId, PhoneStateChange, Reason, ResourceId } from '../schemas.js';
import { invalidatePhoneCredentials, issuerRouter, type IssuerRouteServices } from '../services.js';

const PhoneList = z.object({
  phones: z.array(
    z.object({
      id: z.string(),
      cardId: z.string(),
      status: z.string(),
      provisionedAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
});

const listPhonesRoute = createRoute({
  method: 'get',
  path: '/admin/persons/{id}/phones',
  security: [{ admin: [] }],
  description:
    'The phones provisioned for a person, newest first: what an operator needs to suspend or revoke a lost one.',
  request: { params: z.object({ id: PersonId }) },
  responses: {
    200: { description: 'The phones', content: { 'application/json': { schema: PhoneList } } },
    ...errorResponses,
  },
});

const DOES: Record<PhoneAction, string> = { suspend: 'Suspends', resume: 'Resumes', revoke: 'Revokes' };

const changePhoneRoute = (action: PhoneAction) =>
  createRoute({
    method: 'post',
    path: `/admin/phones/{id}/${action}`,
    security: [{ admin: [] }],
    description: `${DOES[action]} a phone with its certificates and mdoc.`,
    request: { params: ResourceId, body: jsonBody(Reason) },
    responses: {
      200: {
        description: 'The new state and the certificates that changed',
        content: { 'application/json': { schema: PhoneStateChange } },
      },
      ...errorResponses,
    },
  });

/** Phones as an operator manages them (`/admin/persons/{id}/phones`, `/admin/phones/{id}/…`). */
export function phoneAdminRoutes(services: IssuerRouteServices): OpenAPIHono<Env> {
  const { context } = services;
  const app = issuerRouter();
  app.openapi(listPhonesRoute, async (c) => c.json({ phones: await phonesOf(context, c.req.valid('param').id) }, 200));
  for (const action of ['suspend', 'resume', 'revoke'] as const) {
    app.openapi(changePhoneRoute(action), async (c) => {
      const result = await changePhone(context, c.req.valid('param').id, action, 'admin', c.req.valid('json').reason);
      invalidatePhoneCredentials(services, result.serials);
      return c.json(result, 200);
    });
  }
  return app;
}
