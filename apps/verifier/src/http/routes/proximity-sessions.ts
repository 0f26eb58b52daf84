import { createRoute, z, type OpenAPIHono, type RouteHandler } from '@hono/zod-openapi';
import { jsonBody } from '@openmyna/service';

import { proximitySessionFor, startProximitySession } from '../../proximity.js';
import { ProximityViewSchema } from '../../result-schemas.js';
import { routeGroup, type RouteDeps, type VerifierEnv } from '../route-deps.js';
import { ElementSchema, errorResponses, IdParams, noRelayResponse, requestedElementsOf } from '../schemas.js';

/** `POST /v1/proximity-sessions`: the phone's engagement and what to ask it for. */
export const ProximitySessionRequestSchema = z
  .object({
    engagement: z.string().min(5).max(4000).openapi({ description: 'the phone’s `mdoc:` URI (device engagement)' }),
    elements: z.array(ElementSchema).min(1).max(20),
  })
  .openapi('ProximitySessionRequest');

const startRoute = createRoute({
  method: 'post',
  path: '/v1/proximity-sessions',
  security: [{ apiKey: [] }],
  description:
    'Starts an ISO/IEC 18013-5 session at the relying party’s counter: the service reads the phone’s device engagement (the `mdoc:` QR), joins the relay session it names (only this service’s relay), and sends the request for `elements` with reader authentication by the relying party’s key. Poll GET /v1/proximity-sessions/{id} for the verified answer.',
  request: { body: jsonBody(ProximitySessionRequestSchema) },
  responses: {
    201: { description: 'The session, pending', content: { 'application/json': { schema: ProximityViewSchema } } },
    ...errorResponses,
    501: noRelayResponse,
  },
});

const readRoute = createRoute({
  method: 'get',
  path: '/v1/proximity-sessions/{id}',
  security: [{ apiKey: [] }],
  description:
    'The in-person session’s status and, once the phone answered, its result and record; the values come once.',
  request: { params: IdParams },
  responses: {
    200: { description: 'The session', content: { 'application/json': { schema: ProximityViewSchema } } },
    ...errorResponses,
  },
});

function start({ context, services }: RouteDeps): RouteHandler<typeof startRoute, VerifierEnv> {
  return async (c) => {
    const body = c.req.valid('json');
    const started = await startProximitySession(context, services, c.get('party'), {
      engagement: body.engagement,
      elements: requestedElementsOf(body.elements),
    });
    return c.json(started, 201);
  };
}

function read({ context, services }: RouteDeps): RouteHandler<typeof readRoute, VerifierEnv> {
  return async (c) => {
    c.header('cache-control', 'no-store');
    return c.json(await proximitySessionFor(context, services, c.get('party'), c.req.valid('param').id), 200);
  };
}

/** In-person sessions at a relying party's counter (API key). */
export function proximitySessionRoutes(deps: RouteDeps): OpenAPIHono<VerifierEnv> {
  return routeGroup().openapi(startRoute, start(deps)).openapi(readRoute, read(deps));
}
