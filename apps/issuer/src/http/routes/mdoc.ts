import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { MDOC_BATCH_MAX, type MdocRefillRequest as RefillRequest } from '@openmyna/card';
import { jsonBody } from '@openmyna/service';
import type { Env } from 'hono';

import { refillMdocs } from '../../mdoc-refill.js';
import { Base64, errorResponses, failure, proofResponses, ResourceId } from '../schemas.js';
import { issuerRouter, type IssuerRouteServices } from '../services.js';

const DeviceKey = z
  .object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string().max(64), y: z.string().max(64) })
  .openapi('DeviceKey');
const MdocRefillRequest = z
  .object({
    challengeId: z.string().min(1).max(64),
    proof: z.object({ deviceKey: DeviceKey, signature: Base64 }),
    deviceKeys: z.array(DeviceKey).min(1).max(MDOC_BATCH_MAX),
    deviceKeySignatures: z.array(Base64).min(1).max(MDOC_BATCH_MAX),
  })
  .openapi('MdocRefillRequest') satisfies z.ZodType<RefillRequest>;
const MdocRefill = z.object({ mdocs: z.array(z.string()), validUntil: z.string() }).openapi('MdocRefill');

const refillRoute = createRoute({
  method: 'post',
  path: '/phones/{id}/mdoc-refills',
  description: `A fresh batch of single-use MSOs for an active phone, without a PIN: \`proof\` is an ES256 signature (r‖s) over the mdoc-refill statement (\`mdocRefillStatement\` in \`@openmyna/card\`: phone, the \`mdoc-refill\` challenge's nonce, the new keys) by one of the phone's device keys whose MSO is issued and unexpired; each new key signs the same statement. 1 to ${MDOC_BATCH_MAX} new keys, each never given to this phone before; at most 100 MSOs per phone in 24 hours (429). A suspended or revoked phone is refused (409). The batch is recorded as issued only once every MSO is made.`,
  request: { params: ResourceId, body: jsonBody(MdocRefillRequest) },
  responses: {
    200: {
      description: 'The new MSOs (`{docType, issuerSigned}` CBOR, base64), in the order of `deviceKeys`',
      content: { 'application/json': { schema: MdocRefill } },
    },
    ...proofResponses,
    429: failure('The phone reached its daily bound of MSOs'),
    ...errorResponses,
  },
});

/** A phone's refills of single-use MSOs (`/phones/{id}/mdoc-refills`). */
export function mdocRefillRoutes({ context, options }: IssuerRouteServices): OpenAPIHono<Env> {
  const app = issuerRouter();
  app.openapi(refillRoute, async (c) => {
    const result = await refillMdocs(context, options.mdoc, c.req.valid('param').id, c.req.valid('json'));
    c.header('cache-control', 'no-store');
    return c.json({ mdocs: [...result.mdocs], validUntil: result.validUntil }, 200);
  });
  return app;
}
