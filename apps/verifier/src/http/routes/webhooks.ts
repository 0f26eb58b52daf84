import { createRoute, z, type OpenAPIHono, type RouteHandler } from '@hono/zod-openapi';

import { relyingParty } from '../../relying-parties.js';
import { webhooksOf } from '../../webhook-outbox.js';
import { routeGroup, type RouteDeps, type VerifierEnv } from '../route-deps.js';
import { errorResponses, IdParams } from '../schemas.js';

const WEBHOOK_STATE = z.enum(['pending', 'delivered', 'expired']);

/** One webhook event as the administrator sees it: where it is, never its receiver's answers. */
export const WebhookEventSchema = z
  .object({
    eventId: z.string(),
    subjectId: z.string().openapi({ description: 'the presentation or in-person session' }),
    state: WEBHOOK_STATE,
    attempts: z.number().int(),
    createdAt: z.string(),
    nextAttemptAt: z.string().optional(),
    lastAttemptAt: z.string().optional(),
    lastError: z.string().optional().openapi({ description: '`HTTP 503`, `timeout` or `network error`' }),
    finishedAt: z.string().optional().openapi({ description: 'when it was delivered or expired' }),
  })
  .openapi('WebhookEvent');

/** A relying party's webhook events: how many in each state, and the latest. */
export const WebhookEventsSchema = z
  .object({
    counts: z.object({ pending: z.number().int(), delivered: z.number().int(), expired: z.number().int() }),
    events: z.array(WebhookEventSchema),
  })
  .openapi('WebhookEvents');

const LATEST = 50;

const listRoute = createRoute({
  method: 'get',
  path: '/admin/relying-parties/{id}/webhooks',
  security: [{ admin: [] }],
  description: `A relying party's webhook events from the outbox: counts by state and the latest ${LATEST}, newest first.`,
  request: { params: IdParams },
  responses: {
    200: { description: 'Its webhook events', content: { 'application/json': { schema: WebhookEventsSchema } } },
    ...errorResponses,
  },
});

function list({ context }: RouteDeps): RouteHandler<typeof listRoute, VerifierEnv> {
  return async (c) => {
    const party = await relyingParty(context, c.req.valid('param').id);
    const { counts, events } = await webhooksOf(context.db, party.id, LATEST);
    return c.json(
      {
        counts,
        events: events.map((row) => ({
          eventId: row.id,
          subjectId: row.subject_id,
          state: row.state,
          attempts: Number(row.attempts),
          createdAt: row.created_at,
          ...(row.state === 'pending' ? { nextAttemptAt: row.next_attempt_at } : {}),
          ...(row.last_attempt_at ? { lastAttemptAt: row.last_attempt_at } : {}),
          ...(row.last_error ? { lastError: row.last_error } : {}),
          ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
        })),
      },
      200,
    );
  };
}

/** Webhook delivery, for the administrator (admin bearer token on `/admin/*`). */
export function webhookRoutes(deps: RouteDeps): OpenAPIHono<VerifierEnv> {
  return routeGroup().openapi(listRoute, list(deps));
}
