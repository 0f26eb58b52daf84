import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { jsonBody } from '@openmyna/service';
import type { Env } from 'hono';

import {
  authorizePinReset,
  holderChangesPhone,
  openHolderChallenge,
  type HolderLifecycleRequest as LifecycleRequest,
  type PinResetRequest as ResetRequest,
} from '../../holder.js';
import { Base64, errorResponses, PhoneStateChange, proofResponses, ResourceId } from '../schemas.js';
import { invalidatePhoneCredentials, issuerRouter, type IssuerRouteServices } from '../services.js';

const ChallengeId = z.string().min(1).max(64);
const HolderChallenge = z
  .object({ challengeId: z.string(), nonce: z.string(), expiresAt: z.string() })
  .openapi('HolderChallenge');
const HolderLifecycleRequest = z
  .object({
    challengeId: ChallengeId,
    action: z.enum(['suspend', 'resume', 'revoke']),
    proof: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('phone-authentication'), signature: Base64 }),
      z.object({ kind: z.literal('card-authentication'), certificate: Base64, signature: Base64 }),
    ]),
  })
  .openapi('HolderLifecycleRequest') satisfies z.ZodType<LifecycleRequest>;
const PinResetRequest = z
  .object({
    challengeId: ChallengeId,
    pins: z.array(z.string().max(16)).min(1).max(4),
    phoneNonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
    cardSigningCertificate: Base64,
    signature: Base64,
  })
  .openapi('PinResetRequest') satisfies z.ZodType<ResetRequest>;

const challengeRoute = createRoute({
  method: 'post',
  path: '/phones/{id}/challenges',
  description:
    'Opens a single-use challenge (five minutes) for a holder’s request about this phone: `lifecycle` (suspend, resume, revoke), `pin-reset` or `mdoc-refill`.',
  request: {
    params: ResourceId,
    body: jsonBody(z.object({ purpose: z.enum(['lifecycle', 'pin-reset', 'mdoc-refill']) })),
  },
  responses: {
    201: { description: 'The challenge', content: { 'application/json': { schema: HolderChallenge } } },
    ...errorResponses,
  },
});

const lifecycleRoute = createRoute({
  method: 'post',
  path: '/phones/{id}/lifecycle',
  description:
    'The holder suspends, resumes or revokes this phone. The proof is an RSASSA-PKCS1-v1_5 SHA-256 signature over the lifecycle statement (`lifecycleStatement` in `@openmyna/card`) by the phone’s JPKI authentication key (suspend, revoke) or the card’s (any action; the way for a lost phone).',
  request: { params: ResourceId, body: jsonBody(HolderLifecycleRequest) },
  responses: {
    200: {
      description: 'The new state and the certificates that changed',
      content: { 'application/json': { schema: PhoneStateChange } },
    },
    ...proofResponses,
    ...errorResponses,
  },
});

const pinResetRoute = createRoute({
  method: 'post',
  path: '/phones/{id}/pin-resets',
  description:
    'Authorizes a reset of the phone’s PINs with the stronger factor, the holder’s card: its JPKI signing key (behind the card’s signing password) signs the PIN-reset statement. Returns an ES256 token the phone verifies with the key it pinned at provisioning.',
  request: { params: ResourceId, body: jsonBody(PinResetRequest) },
  responses: {
    200: {
      description: 'The authorization (compact JWS, typ openmyna-pin-reset+jwt)',
      content: { 'application/json': { schema: z.object({ authorization: z.string(), expiresAt: z.string() }) } },
    },
    ...proofResponses,
    ...errorResponses,
  },
});

/** A holder's own requests about their phone (`/phones/{id}/…`): challenges, lifecycle, PIN resets. */
export function holderRoutes(services: IssuerRouteServices): OpenAPIHono<Env> {
  const { context, provisioning, options } = services;
  const app = issuerRouter();
  app.openapi(challengeRoute, async (c) =>
    c.json(await openHolderChallenge(context, c.req.valid('param').id, c.req.valid('json').purpose), 201),
  );
  app.openapi(lifecycleRoute, async (c) => {
    const { cardAnchors } = provisioning;
    const result = await holderChangesPhone(context, cardAnchors, c.req.valid('param').id, c.req.valid('json'));
    invalidatePhoneCredentials(services, result.serials);
    return c.json(result, 200);
  });
  app.openapi(pinResetRoute, async (c) => {
    const result = await authorizePinReset(
      context,
      { cardAnchors: provisioning.cardAnchors, authority: options.pinResetAuthority },
      c.req.valid('param').id,
      c.req.valid('json'),
    );
    c.header('cache-control', 'no-store');
    return c.json(result, 200);
  });
  return app;
}
