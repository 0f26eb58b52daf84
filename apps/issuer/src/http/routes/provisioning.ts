import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { MDOC_BATCH_MAX, PhoneBundleSchema, type ProvisioningCompletion as Completion } from '@openmyna/card';
import { jsonBody } from '@openmyna/service';
import type { Env } from 'hono';

import { completeProvisioning, openProvisioningSession } from '../../provisioning.js';
import { Base64, errorResponses, failure, ResourceId } from '../schemas.js';
import { invalidatePhoneCredentials, issuerRouter, type IssuerRouteServices } from '../services.js';

const ProvisioningCompletion = z
  .object({
    cardAuthenticationCertificate: Base64,
    cardAuthenticationSignature: Base64,
    cardSigningCertificate: Base64,
    application: Base64.openapi({
      description:
        'UTF-8 JSON {nonce, phone: {authenticationKey, signingKey, cardFaceKey, deviceKey, batchDeviceKeys?}}, base64. `deviceKey` and the optional `batchDeviceKeys` (P-256 JWKs, all distinct, at most 50 in all) are the batch: one single-use MSO each.',
    }),
    applicationSignature: Base64,
    phoneAttestation: z.object({
      authenticationRequest: Base64,
      signingRequest: Base64,
      cardFaceKeySignature: Base64,
      deviceKeySignature: Base64,
      batchDeviceKeySignatures: z
        .array(Base64)
        .max(MDOC_BATCH_MAX - 1)
        .optional()
        .openapi({ description: 'each of `batchDeviceKeys` over the nonce, in order (ES256, r‖s)' }),
    }),
  })
  .openapi('ProvisioningCompletion') satisfies z.ZodType<Completion>;

const openSessionRoute = createRoute({
  method: 'post',
  path: '/provisioning/sessions',
  description:
    'Opens a provisioning session (DESIGN.md flow 2): a single-use nonce for the card to sign, valid five minutes.',
  responses: {
    201: {
      description: 'The session',
      content: {
        'application/json': { schema: z.object({ sessionId: z.string(), nonce: z.string(), expiresAt: z.string() }) },
      },
    },
  },
});

/** `PhoneBundleSchema` of `@openmyna/card`, named for the OpenAPI document (its instances predate the openapi extension). */
const ProvisioningBundle = z.object(PhoneBundleSchema.shape).openapi('ProvisioningBundle');

const completeRoute = createRoute({
  method: 'post',
  path: '/provisioning/sessions/{id}/complete',
  description:
    'Completes a session with the card’s proofs and the phone’s key attestation; returns everything the phone installs. Each refusal has its code and issues nothing.',
  request: { params: ResourceId, body: jsonBody(ProvisioningCompletion) },
  responses: {
    200: {
      description:
        'The phone’s certificates, 入力補助 and 券面 records and its batch of MSOs: `mdoc` bound to `deviceKey`, `batchMdocs` to `batchDeviceKeys` in order',
      content: { 'application/json': { schema: ProvisioningBundle } },
    },
    403: failure('A card certificate, proof or phone key was refused'),
    410: failure('The session expired'),
    ...errorResponses,
  },
});

/** Provisioning (`/provisioning/sessions`, DESIGN.md flow 2): a phone gets its credentials from the card. */
export function provisioningRoutes(services: IssuerRouteServices): OpenAPIHono<Env> {
  const { context, provisioning } = services;
  const app = issuerRouter();
  app.openapi(openSessionRoute, async (c) => c.json(await openProvisioningSession(context), 201));
  app.openapi(completeRoute, async (c) => {
    const bundle = await completeProvisioning(
      context,
      provisioning,
      c.req.valid('param').id,
      c.req.valid('json'),
      // A superseded phone's certificates answer revoked at once on this instance.
      (serials) => invalidatePhoneCredentials(services, serials),
    );
    c.header('cache-control', 'no-store');
    return c.json(bundle, 200);
  });
  return app;
}
