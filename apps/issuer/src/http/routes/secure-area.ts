import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { SECURE_AREA_PROTOCOL } from '@openmyna/card';
import { jsonBody } from '@openmyna/service';
import type { Env } from 'hono';

import { SecureAreaDeviceKey } from '../../secure-area-messages.js';
import type { SecureAreaService } from '../../secure-area.js';
import { failure } from '../schemas.js';
import { issuerRouter } from '../services.js';

const Id = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
const Base64Url = z.string().regex(/^[A-Za-z0-9_-]+$/);
const SecureAreaPublicKeys = z.object({
  authenticationKey: z.string(),
  signingKey: z.string(),
  cardFaceKey: z.string(),
});
/**
 * What an operation answers, by `op`: `apdu` the response APDU (base64), `pending-sign` the
 * signature (base64), `install` the phone and its token serial, `reset-pins` the references reset;
 * `reset`, `end` and `wipe` nothing.
 */
const SecureAreaResult = z
  .object({
    response: z.string(),
    signature: z.string(),
    phoneId: z.string(),
    tokenSerial: z.string(),
    reset: z.array(z.string()),
  })
  .partial()
  .openapi('SecureAreaResult');

const enrollRoute = createRoute({
  method: 'post',
  path: '/secure-area/devices',
  description:
    'Makes a phone’s keys in the remote secure area — JPKI authentication, JPKI signing and 券面 (RSA-2048) — for the phone’s device-bound P-256 key, and returns their public halves for the provisioning application. The private keys never leave the service.',
  request: { body: jsonBody(z.object({ deviceKey: SecureAreaDeviceKey }).openapi('SecureAreaEnrollment')) },
  responses: {
    201: {
      description: 'The device and its pending public keys (SubjectPublicKeyInfo, base64)',
      content: {
        'application/json': { schema: z.object({ deviceId: z.string(), publicKeys: SecureAreaPublicKeys }) },
      },
    },
    400: failure('The request was malformed'),
  },
});

const openSessionRoute = createRoute({
  method: 'post',
  path: '/secure-area/devices/{id}/sessions',
  description:
    'Opens a session for the device: every message of it is signed by the device key over the protocol name, the session, this challenge and the message, and carries the next sequence number (from 0). Its first accepted message ends the device’s earlier session in this instance. Sessions live in the instance that opened them: several instances route a session’s messages to it.',
  request: { params: Id },
  responses: {
    201: {
      description: 'The session and its challenge',
      content: {
        'application/json': {
          schema: z.object({ sessionId: z.string(), challenge: z.string(), expiresAt: z.string() }),
        },
      },
    },
    404: failure('No such device'),
    410: failure('The device’s keys were destroyed (wiped or revoked)'),
  },
});

const messageRoute = createRoute({
  method: 'post',
  path: '/secure-area/devices/{id}/sessions/{session}',
  description:
    'One operation of the session (`SecureAreaMessage` in `@openmyna/card`: apdu, reset, end, pending-sign, install, reset-pins, wipe): `message` is its JSON, base64url; `signature` the device key’s ES256 (r‖s, base64url) over `openmyna-secure-area/1 ‖ 0 ‖ session ‖ 0 ‖ challenge ‖ 0 ‖ message`.',
  request: {
    params: Id.extend({ session: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
    body: jsonBody(
      z.object({ message: Base64Url.max(1_000_000), signature: Base64Url.max(200) }).openapi('SecureAreaSignedMessage'),
    ),
  },
  responses: {
    200: { description: 'The operation’s result', content: { 'application/json': { schema: SecureAreaResult } } },
    400: failure('The message is not an operation'),
    403: failure('Not signed by the device key, or refused'),
    404: failure('No such session'),
    409: failure('Out of order, replayed, or the device is not in the state the operation needs'),
  },
});

/** The remote secure area's routes (`openmyna-secure-area/1`; docs/wallet.md). */
export function secureAreaRoutes(service: SecureAreaService): OpenAPIHono<Env> {
  const app = issuerRouter();
  app.get('/secure-area', (c) => c.json({ protocol: SECURE_AREA_PROTOCOL }, 200));
  app.openapi(enrollRoute, async (c) => {
    const enrolled = await service.enroll(c.req.valid('json').deviceKey);
    c.header('cache-control', 'no-store');
    return c.json(enrolled, 201);
  });
  app.openapi(openSessionRoute, async (c) => {
    const session = await service.openSession(c.req.valid('param').id);
    c.header('cache-control', 'no-store');
    return c.json(session, 201);
  });
  app.openapi(messageRoute, async (c) => {
    const { id, session } = c.req.valid('param');
    const { message, signature } = c.req.valid('json');
    const result = await service.message(session, message, signature, id);
    c.header('cache-control', 'no-store');
    return c.json(result, 200);
  });
  return app;
}
