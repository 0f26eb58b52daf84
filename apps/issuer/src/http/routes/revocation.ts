import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { Counter, type Registry } from 'prom-client';

import type { HierarchyName } from '../../storage/schema.js';
import { errorResponse } from '../error-envelope.js';
import { errorResponses } from '../schemas.js';
import { issuerRouter, type IssuerRouteServices } from '../services.js';

const Hierarchy = z.enum(['signing', 'authentication']);

const crlRoute = createRoute({
  method: 'get',
  path: '/crl/{hierarchy}/{partition}',
  description: 'The CRL of one municipality partition (`<code>.crl`), DER, cacheable.',
  request: { params: z.object({ hierarchy: Hierarchy, partition: z.string().regex(/^\d{5}\.crl$/) }) },
  responses: {
    200: { description: 'DER CRL', content: { 'application/pkix-crl': { schema: z.any() } } },
    ...errorResponses,
  },
});

/**
 * What relying parties read to learn a credential's status, cacheable and unlimited: the mdoc status
 * list (`/mdoc/status/1`), the CRL partitions and OCSP (RFC 6960 Appendix A: POST, and GET with the
 * request base64 in the path) of both hierarchies.
 */
export function revocationRoutes({ revocation, mdocStatus }: IssuerRouteServices, metrics: Registry): OpenAPIHono<Env> {
  const app = issuerRouter();
  app.get('/mdoc/status/1', async (c) =>
    c.body((await mdocStatus.token()) as Uint8Array<ArrayBuffer>, 200, {
      'content-type': 'application/statuslist+cwt',
      'cache-control': 'public, max-age=60',
    }),
  );
  app.openapi(crlRoute, async (c) => {
    const { hierarchy, partition } = c.req.valid('param');
    const { der, number, maxAgeSeconds } = await revocation.crl(hierarchy, partition.slice(0, 5));
    return c.body(der as Uint8Array<ArrayBuffer>, 200, {
      'content-type': 'application/pkix-crl',
      'cache-control': `public, max-age=${maxAgeSeconds}`,
      etag: `"${hierarchy}-${partition}-${number}"`,
    });
  });
  const ocspAnswers = new Counter({
    name: 'issuer_ocsp_responses_total',
    help: 'OCSP responses by hierarchy',
    labelNames: ['hierarchy'] as const,
    registers: [metrics],
  });
  const ocspAnswer = async (hierarchy: HierarchyName, request: Uint8Array | string) => {
    const body = await revocation.ocsp(hierarchy, request);
    ocspAnswers.inc({ hierarchy });
    return { body: body as Uint8Array<ArrayBuffer>, headers: OCSP_HEADERS };
  };
  app.post('/ocsp/:hierarchy{signing|authentication}', async (c) => {
    const hierarchy = Hierarchy.parse(c.req.param('hierarchy'));
    if (c.req.header('content-type') !== 'application/ocsp-request')
      return errorResponse(c, 'ERR_VALIDATION', 'the body must be application/ocsp-request');
    const answer = await ocspAnswer(hierarchy, new Uint8Array(await c.req.arrayBuffer()));
    return c.body(answer.body, 200, answer.headers);
  });
  app.get('/ocsp/:hierarchy{signing|authentication}/:request{.+}', async (c) => {
    const answer = await ocspAnswer(Hierarchy.parse(c.req.param('hierarchy')), c.req.param('request'));
    return c.body(answer.body, 200, answer.headers);
  });
  return app;
}

const OCSP_HEADERS = { 'content-type': 'application/ocsp-response', 'cache-control': 'public, max-age=60' };
