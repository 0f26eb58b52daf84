import { OpenAPIHono } from '@hono/zod-openapi';
import {
  AuthenticationFailures,
  bearerToken,
  installServiceBasics,
  memoryTokenBuckets,
  perSourceLimit,
  rateLimited,
  registerHealth,
  validationHook,
} from '@openmyna/service';
import { sql } from '@openmyna/storage';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import { Counter } from 'prom-client';

import { relyingPartyByApiKey } from '../relying-parties.js';
import type { PresentationServices } from '../services.js';
import { verifierEnvelope as envelope } from './error-statuses.js';
import type { VerifierAppOptions } from './options.js';
import type { RouteDeps, VerifierEnv } from './route-deps.js';
import { installOidc } from '../oidc/routes.js';
import { DEFAULT_OIDC_PATHS } from '../oidc/paths.js';
import { jpkiLoginRoutes } from './routes/jpki-login.js';
import { oidcClientRoutes } from './routes/oidc-clients.js';
import { jpkiSignatureRoutes } from './routes/jpki-signatures.js';
import { presentationRoutes } from './routes/presentations.js';
import { proximitySessionRoutes } from './routes/proximity-sessions.js';
import { relyingPartyRoutes } from './routes/relying-parties.js';
import { webhookRoutes } from './routes/webhooks.js';

export type { VerifierAppOptions } from './options.js';

/**
 * The verifier service's HTTP API (Hono): relying-party registration (admin), OpenID4VP presentation
 * requests and the wallet's `direct_post`, JPKI signature and login verification, with API keys,
 * per-key rate limits, an audit log, Prometheus metrics and its OpenAPI 3.1 document.
 */
export function createVerifierApp(options: VerifierAppOptions): OpenAPIHono<VerifierEnv> {
  const { context, logger } = options;
  const app = new OpenAPIHono<VerifierEnv>({ defaultHook: validationHook(envelope) });
  const registry = installServiceBasics(app, {
    name: 'verifier',
    logger,
    envelope,
    adminToken: options.adminToken,
    authenticationFailures: new AuthenticationFailures(
      AuthenticationFailures.DEFAULTS,
      (options.rateLimits ?? memoryTokenBuckets)('verifier:admin-failures', AuthenticationFailures.DEFAULTS),
    ),
    ...(options.bodyLimits ? { bodyLimits: options.bodyLimits } : {}),
  });
  const verifications = new Counter({
    name: 'verifier_verifications_total',
    help: 'Verifications by kind and result',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  if (options.webhooks) registry.registerMetric(options.webhooks.outcomes);
  installAccessRules(app, options);
  app.openAPIRegistry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' });
  registerHealth(app, async () => void (await sql`select 1`.execute(context.db)));
  const deps: RouteDeps = { context, options, services: presentationServicesOf(options), verifications };
  app
    .route('/', relyingPartyRoutes(deps))
    .route('/', webhookRoutes(deps))
    .route('/', presentationRoutes(deps))
    .route('/', proximitySessionRoutes(deps))
    .route('/', jpkiSignatureRoutes(deps))
    .route('/', jpkiLoginRoutes(deps))
    .route('/', oidcClientRoutes(deps, options.oidc?.paths?.issuer ?? DEFAULT_OIDC_PATHS.issuer));
  // The デジタル認証アプリ-compatible OpenID Provider (docs/oidc.md), limited per source as the wallet's URIs.
  const oidcIssuer = options.oidc?.paths?.issuer ?? DEFAULT_OIDC_PATHS.issuer;
  const oidcLimit = options.anonymousRateLimit ?? { perSecond: 10, capacity: 60 };
  const oidcSources = perSourceLimit(
    envelope,
    oidcLimit,
    (options.rateLimits ?? memoryTokenBuckets)('verifier:oidc', oidcLimit),
  );
  app.use(`${oidcIssuer}/*`, oidcSources);
  app.use(`${options.oidc?.paths?.signTransactions ?? DEFAULT_OIDC_PATHS.signTransactions}/*`, oidcSources);
  app.use(options.oidc?.paths?.signTransactions ?? DEFAULT_OIDC_PATHS.signTransactions, oidcSources);
  installOidc(app, deps, options.oidc);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'openmyna verifier',
      version: '0.1.0',
      description:
        'Verification for relying parties: OpenID4VP presentation requests and responses, JPKI signatures and login, the relying-party registry.',
    },
  });
  return app;
}

/** What presentations run with, from the app's options: the webhook dispatcher's wake, the log for background work. */
function presentationServicesOf(options: VerifierAppOptions): PresentationServices {
  const { logger, webhooks } = options;
  return {
    sealingKey: options.sealingKey,
    publicUrl: options.publicUrl,
    mdoc: options.mdoc,
    jpki: options.jpki,
    kenhojoCaKeys: options.kenhojoCaKeys,
    ...(options.proximity ? { proximity: options.proximity } : {}),
    ...(webhooks ? { webhookQueued: () => webhooks.wake() } : {}),
    onBackgroundError: (error) => logger.error({ err: error }, 'in-person session bookkeeping failed'),
  };
}

/**
 * Who may call what. Relying parties' endpoints: an API key, then its rate limit. The wallet-facing
 * request and response URIs of a presentation take neither (the wallet holds no key; the nonce and
 * state do): they answer any origin and are limited per source address.
 */
function installAccessRules(app: OpenAPIHono<VerifierEnv>, options: VerifierAppOptions): void {
  // Memory by default; with --redis one budget for every instance (a 503 while Redis is unreachable).
  const buckets = options.rateLimits ?? memoryTokenBuckets;
  const perKey = options.rateLimit ?? { perSecond: 20, capacity: 40 };
  const limiter = buckets('verifier:api-key', perKey);
  // Wrong API keys and wrong admin tokens are counted apart: guessing one does not lock out the other.
  const authenticationFailures = new AuthenticationFailures(
    AuthenticationFailures.DEFAULTS,
    buckets('verifier:api-key-failures', AuthenticationFailures.DEFAULTS),
  );
  const relyingPartyOnly = createMiddleware<VerifierEnv>(async (c, next) => {
    const blocked = await authenticationFailures.blocked(c, envelope);
    if (blocked) return blocked;
    const token = bearerToken(c.req.header('authorization'));
    const party = token ? await relyingPartyByApiKey(options.context, token) : undefined;
    if (!party) {
      await authenticationFailures.failed(c);
      return envelope.respond(c, 'ERR_UNAUTHORIZED', 'a relying party API key is required');
    }
    const wait = await limiter.take(party.id);
    if (wait > 0) return rateLimited(c, envelope, wait, 'too many requests for this API key; slow down');
    c.set('party', party);
    await next();
  });
  // A web wallet runs on its own origin: the wallet-facing URIs answer any origin (no credentials).
  app.use('/v1/presentations/:id/request', cors({ origin: '*' }));
  app.use('/v1/presentations/:id/response', cors({ origin: '*', allowMethods: ['POST'] }));
  const perSource = options.anonymousRateLimit ?? { perSecond: 10, capacity: 60 };
  const anonymous = perSourceLimit(envelope, perSource, buckets('verifier:anonymous', perSource));
  app.use('/v1/presentations/:id/request', anonymous);
  app.use('/v1/presentations/:id/response', anonymous);
  app.use('/v1/jpki/*', relyingPartyOnly);
  app.use('/v1/presentations', relyingPartyOnly);
  app.use('/v1/proximity-sessions', relyingPartyOnly);
  app.use('/v1/proximity-sessions/*', relyingPartyOnly);
  app.on('GET', '/v1/presentations/:id', relyingPartyOnly);
}
