import { createRoute, z, type OpenAPIHono, type RouteHandler } from '@hono/zod-openapi';
import { base64Decode } from '@openmyna/core';
import { jsonBody } from '@openmyna/service';
import { createLoginChallenge, verifyJpkiLogin } from '@openmyna/verifier';

import { appendAudit } from '../../audit.js';
import { databaseChallengeStore } from '../../login-challenges.js';
import { routeGroup, type RouteDeps, type VerifierEnv } from '../route-deps.js';
import { Base64Schema, errorResponses } from '../schemas.js';
import { JpkiLoginOutcomeSchema, outcomeOf } from './jpki-outcome.js';

/** A single-use login challenge for the wallet to sign. */
export const LoginChallengeSchema = z
  .object({ challengeId: z.string(), challenge: z.string(), clientId: z.string(), expiresAt: z.string() })
  .openapi('LoginChallenge');

/** `POST /v1/jpki/login/verify`: the challenge answered with the authentication key. */
export const JpkiLoginSchema = z
  .object({ challengeId: z.string().min(1).max(64), certificate: Base64Schema, signature: Base64Schema })
  .openapi('JpkiLogin');

const challengeRoute = createRoute({
  method: 'post',
  path: '/v1/jpki/login/challenges',
  security: [{ apiKey: [] }],
  description:
    'A single-use login challenge (two minutes) for the wallet to sign with the phone’s JPKI authentication key.',
  responses: {
    201: { description: 'The challenge', content: { 'application/json': { schema: LoginChallengeSchema } } },
    ...errorResponses,
  },
});

const verifyRoute = createRoute({
  method: 'post',
  path: '/v1/jpki/login/verify',
  security: [{ apiKey: [] }],
  description:
    'Verifies a JPKI login: the challenge (consumed), the signature by an authentication certificate, its chain and status; returns a stable subject identifier, pairwise for this relying party.',
  request: { body: jsonBody(JpkiLoginSchema) },
  responses: {
    200: { description: 'The outcome', content: { 'application/json': { schema: JpkiLoginOutcomeSchema } } },
    ...errorResponses,
  },
});

function challenge({ context }: RouteDeps): RouteHandler<typeof challengeRoute, VerifierEnv> {
  return async (c) => {
    const party = c.get('party');
    const created = await createLoginChallenge(databaseChallengeStore(context, party.id), {
      clientId: party.id,
      clock: context.clock,
      randomBytes: context.randomBytes,
    });
    return c.json(
      {
        challengeId: created.id,
        challenge: created.value,
        clientId: created.clientId,
        expiresAt: created.expiresAt.toISOString(),
      },
      201,
    );
  };
}

function verify({ context, options, verifications }: RouteDeps): RouteHandler<typeof verifyRoute, VerifierEnv> {
  return async (c) => {
    const body = c.req.valid('json');
    const party = c.get('party');
    const result = await verifyJpkiLogin(options.jpki, databaseChallengeStore(context, party.id), {
      challengeId: body.challengeId,
      clientId: party.id,
      certificate: base64Decode(body.certificate),
      signature: base64Decode(body.signature),
    });
    verifications.inc({ kind: 'jpki-login', result: result.status });
    await appendAudit(context, {
      rpId: party.id,
      action: 'jpki.login',
      subjectId: result.subject ?? '-',
      result: result.status,
      details: { ...(result.decidedBy ? { decidedBy: result.decidedBy.check } : {}) },
    });
    return c.json({ ...outcomeOf(result), ...(result.subject ? { subject: result.subject } : {}) }, 200);
  };
}

/** JPKI login for relying parties (API key): a challenge, then its verification. */
export function jpkiLoginRoutes(deps: RouteDeps): OpenAPIHono<VerifierEnv> {
  return routeGroup().openapi(challengeRoute, challenge(deps)).openapi(verifyRoute, verify(deps));
}
