import { createRoute, z, type OpenAPIHono, type RouteHandler } from '@hono/zod-openapi';
import { base64Decode, formatIsoDate } from '@openmyna/core';
import { jsonBody } from '@openmyna/service';
import { verifyJpkiSignature } from '@openmyna/verifier';

import { appendAudit } from '../../audit.js';
import { routeGroup, type RouteDeps, type VerifierEnv } from '../route-deps.js';
import { Base64Schema, errorResponses } from '../schemas.js';
import { JpkiSignatureOutcomeSchema, outcomeOf } from './jpki-outcome.js';

/** `POST /v1/jpki/signatures/verify`: CMS SignedData, and the content when it is detached. */
export const JpkiSignatureVerificationSchema = z
  .object({ signedData: Base64Schema, content: Base64Schema.optional() })
  .openapi('JpkiSignatureVerification');

const verifyRoute = createRoute({
  method: 'post',
  path: '/v1/jpki/signatures/verify',
  security: [{ apiKey: [] }],
  description:
    'Verifies a JPKI signature (CMS SignedData, encapsulated or with the detached content): chain, key usage, policy, OCSP falling back to CRL; returns the named checks, the signer’s 4 info and the verification record.',
  request: { body: jsonBody(JpkiSignatureVerificationSchema) },
  responses: {
    200: { description: 'The outcome', content: { 'application/json': { schema: JpkiSignatureOutcomeSchema } } },
    ...errorResponses,
  },
});

function verify({ context, options, verifications }: RouteDeps): RouteHandler<typeof verifyRoute, VerifierEnv> {
  return async (c) => {
    const body = c.req.valid('json');
    const result = await verifyJpkiSignature(options.jpki, {
      kind: 'cms',
      signedData: base64Decode(body.signedData),
      ...(body.content ? { detachedContent: base64Decode(body.content) } : {}),
    });
    verifications.inc({ kind: 'jpki-signature', result: result.status });
    await appendAudit(context, {
      rpId: c.get('party').id,
      action: 'jpki.signature',
      subjectId: result.record.certificate?.serialNumber ?? '-',
      result: result.status,
      details: { ...(result.decidedBy ? { decidedBy: result.decidedBy.check } : {}) },
    });
    const info = result.signer?.identity.basicFourInfo;
    const signer = info
      ? { name: info.name, address: info.address, birthDate: formatIsoDate(info.birthDate), sex: info.sex }
      : undefined;
    return c.json({ ...outcomeOf(result), ...(signer ? { signer } : {}) }, 200);
  };
}

/** JPKI signature verification for relying parties (API key). */
export function jpkiSignatureRoutes(deps: RouteDeps): OpenAPIHono<VerifierEnv> {
  return routeGroup().openapi(verifyRoute, verify(deps));
}
