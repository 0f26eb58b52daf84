import { createRoute, z, type OpenAPIHono, type RouteHandler } from '@hono/zod-openapi';
import { base64Decode } from '@openmyna/core';
import { jsonBody } from '@openmyna/service';
import QRCode from 'qrcode';

import { receiveResponse, requestObjectOf } from '../../answer-presentation.js';
import { createPresentation } from '../../create-presentation.js';
import { presentationFor } from '../../presentation-results.js';
import { PresentationViewSchema } from '../../result-schemas.js';
import { verifierEnvelope } from '../error-statuses.js';
import { routeGroup, type RouteDeps, type VerifierEnv } from '../route-deps.js';
import { Base64Schema, ElementSchema, errorResponses, IdParams, requestedElementsOf } from '../schemas.js';

/** `POST /v1/presentations`: what a relying party asks for. */
export const PresentationRequestSchema = z
  .object({
    elements: z.array(ElementSchema).min(1).max(20).optional(),
    sign: z
      .object({
        document: Base64Schema.openapi({ description: 'the document to sign, base64 (at most 64 KiB)' }),
        title: z.string().min(1).max(200),
        mediaType: z.string().min(1).max(100).default('text/plain; charset=utf-8'),
      })
      .optional(),
    kenhojo: z
      .array(z.enum(['my_number', 'basic_four_info']))
      .min(1)
      .max(2)
      .optional()
      .openapi({ description: '入力補助 records; needs `sign`, and a My Number purpose for my_number' }),
    login: z.boolean().optional(),
    purpose: z.string().min(1).max(200),
    responseMode: z.enum(['direct_post', 'direct_post.jwt']).optional(),
  })
  .openapi('PresentationRequest');

/** What creating a presentation request returns: the wallet's links and the cross-device QR code. */
export const CreatedPresentationSchema = z
  .object({
    id: z.string(),
    requestUri: z.string(),
    clientId: z.string(),
    link: z.string(),
    qrSvg: z.string(),
    expiresAt: z.string(),
  })
  .openapi('CreatedPresentation');

const createRouteConfig = createRoute({
  method: 'post',
  path: '/v1/presentations',
  security: [{ apiKey: [] }],
  description:
    'Creates an OpenID4VP request signed with the relying party’s request key, for any of: card-face mdoc elements, a JPKI signature over a document (jpki_sign), 入力補助 records bound to that signature (jp_kenhojo), a JPKI login (jpki_auth). Returns the request URI for the wallet, the same-device link, and the cross-device QR code (SVG) of that link.',
  request: { body: jsonBody(PresentationRequestSchema) },
  responses: {
    201: { description: 'The request', content: { 'application/json': { schema: CreatedPresentationSchema } } },
    ...errorResponses,
  },
});

const readRoute = createRoute({
  method: 'get',
  path: '/v1/presentations/{id}',
  security: [{ apiKey: [] }],
  description:
    'The presentation’s status and, once answered, its result and verification record. The disclosed values come once, the first time after a valid answer; the service then deletes them. While it is pending, `rejectedAnswers` and `lastRejection` tell of answers not accepted (a refusal in the wallet, or an answer that failed a check) — a hint only: anyone who saw the QR code could have sent them, so they do not end the request.',
  request: { params: IdParams },
  responses: {
    200: { description: 'The presentation', content: { 'application/json': { schema: PresentationViewSchema } } },
    ...errorResponses,
  },
});

function create({ context, services }: RouteDeps): RouteHandler<typeof createRouteConfig, VerifierEnv> {
  return async (c) => {
    const { elements, sign, kenhojo, login, purpose, responseMode } = c.req.valid('json');
    const created = await createPresentation(context, services, c.get('party'), {
      ...(elements ? { elements: requestedElementsOf(elements) } : {}),
      ...(sign
        ? { sign: { document: base64Decode(sign.document), title: sign.title, mediaType: sign.mediaType } }
        : {}),
      ...(kenhojo ? { kenhojo } : {}),
      ...(login ? { login: true } : {}),
      purpose,
      ...(responseMode ? { responseMode } : {}),
    });
    const qrSvg = await QRCode.toString(created.link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return c.json({ ...created, qrSvg }, 201);
  };
}

function read({ context, services }: RouteDeps): RouteHandler<typeof readRoute, VerifierEnv> {
  return async (c) => {
    c.header('cache-control', 'no-store');
    return c.json(await presentationFor(context, services, c.get('party'), c.req.valid('param').id), 200);
  };
}

/**
 * Presentations: a relying party creates and reads them (API key); the wallet fetches the request
 * object and posts its answer (`direct_post`, OpenID4VP §8.2) without one.
 */
export function presentationRoutes(deps: RouteDeps): OpenAPIHono<VerifierEnv> {
  const { context, services, verifications } = deps;
  const routes = routeGroup().openapi(createRouteConfig, create(deps)).openapi(readRoute, read(deps));
  routes.get('/v1/presentations/:id/request', async (c) =>
    c.body(await requestObjectOf(context, c.req.param('id')), 200, {
      'content-type': 'application/oauth-authz-req+jwt',
      'cache-control': 'no-store',
    }),
  );
  routes.post('/v1/presentations/:id/response', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded'))
      return verifierEnvelope.respond(c, 'ERR_VALIDATION', 'the response is application/x-www-form-urlencoded');
    const form = Object.fromEntries(
      Object.entries(await c.req.parseBody()).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
    const { status } = await receiveResponse(context, services, c.req.param('id'), form);
    verifications.inc({ kind: 'mdoc', result: status });
    return c.json({}, 200);
  });
  return routes;
}
