import type { OpenAPIHono } from '@hono/zod-openapi';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context, Hono } from 'hono';
import type { Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { ErrorEnvelopeHandlers } from './error-envelope.js';
import type { AuthenticationFailures } from './rate-limit.js';
import { installRequestGuard, type BodyLimits } from './request-guard.js';
import { bearerToken, secretsEqual } from './tokens.js';

/** A failed request validation, as the OpenAPI layer reports it. */
interface ValidationFailure {
  readonly success: boolean;
  readonly error?: { readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[] };
}

/**
 * The OpenAPI layer's hook for invalid requests: `ERR_VALIDATION` naming each path and zod's message —
 * never the rejected value (a My Number, say).
 */
export function validationHook(envelope: ErrorEnvelopeHandlers) {
  return (result: ValidationFailure, c: Context): Response | undefined => {
    if (result.success) return undefined;
    const detail = (result.error?.issues ?? [])
      .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
    return envelope.respond(c, 'ERR_VALIDATION', detail);
  };
}

/**
 * What every openmyna service does around its routes: request counts and latency per route in a
 * Prometheus registry (served at `/metrics` with Node's process metrics), one pino line per request
 * (method, route, status, duration — no bodies, no tokens), the request guard (body limits, JSON
 * depth and text checks: {@link installRequestGuard}), the admin bearer token on `/admin/*` (compared in
 * constant time; failures limited per source), and the error envelope for thrown errors and unknown
 * paths. Returns the registry, for the service's own metrics.
 */
export function installServiceBasics(
  // Any Hono app: the services' environments differ.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app: Hono<any, any, any>,
  options: {
    /** Metric name prefix, e.g. `issuer`. */
    readonly name: string;
    readonly logger: Logger;
    readonly envelope: ErrorEnvelopeHandlers;
    readonly adminToken: string;
    /** Failed authentications per source, shared with the service's own credential checks. */
    readonly authenticationFailures: AuthenticationFailures;
    /** Request body limits (default 1 MiB on every route). */
    readonly bodyLimits?: BodyLimits;
  },
): Registry {
  const { logger, envelope } = options;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: `${options.name}_http_requests_total`,
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: `${options.name}_http_request_seconds`,
    help: 'HTTP request latency',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2],
    registers: [registry],
  });
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath;
    requests.inc({ route, status: String(c.res.status) });
    latency.observe({ route }, (performance.now() - started) / 1000);
    logger.info(
      { method: c.req.method, route, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });
  installRequestGuard(app, envelope, options.bodyLimits);
  app.use('/admin/*', async (c, next) => {
    const blocked = await options.authenticationFailures.blocked(c, envelope);
    if (blocked) return blocked;
    if (!secretsEqual(bearerToken(c.req.header('authorization')) ?? '', options.adminToken)) {
      await options.authenticationFailures.failed(c);
      return envelope.respond(c, 'ERR_UNAUTHORIZED', 'an admin bearer token is required');
    }
    await next();
  });
  app.onError((error, c) => envelope.handle(error, c, logger));
  app.notFound((c) => envelope.respond(c, 'ERR_NOT_FOUND', 'no such endpoint'));
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  return registry;
}

/**
 * `GET /healthz` in the OpenAPI document: `{ status: 'ok' }` once `check` (a database round trip)
 * resolves; a failing check is a 500 through the error envelope.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerHealth(app: OpenAPIHono<any, any, any>, check: () => Promise<void>): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      responses: {
        200: {
          description: 'The service and its database answer',
          content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
        },
      },
    }),
    async (c) => {
      await check();
      return c.json({ status: 'ok' as const }, 200);
    },
  );
}

/** A required JSON request body of an OpenAPI route. */
export const jsonBody = <T>(schema: T) => ({ required: true as const, content: { 'application/json': { schema } } });
