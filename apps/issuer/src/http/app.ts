import { OpenAPIHono } from '@hono/zod-openapi';
import { trustAnchor } from '@openmyna/pki';
import {
  AuthenticationFailures,
  installServiceBasics,
  memoryTokenBuckets,
  perSourceLimit,
  type TokenBucketOptions,
  registerHealth,
  validationHook,
} from '@openmyna/service';
import { sql } from '@openmyna/storage';
import type { Env, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

import { MdocStatusPublisher } from '../mdoc-status.js';
import type { ProvisioningAuthorities } from '../provisioning.js';
import { RevocationServices } from '../revocation-services.js';
import { SecureAreaService } from '../secure-area.js';
import { envelope } from './error-envelope.js';
import type { IssuerAppOptions } from './options.js';
import { cardRoutes } from './routes/cards.js';
import { holderRoutes } from './routes/holder.js';
import { mdocRefillRoutes } from './routes/mdoc.js';
import { personRoutes } from './routes/persons.js';
import { phoneAdminRoutes } from './routes/phones.js';
import { provisioningRoutes } from './routes/provisioning.js';
import { revocationRoutes } from './routes/revocation.js';
import { secureAreaRoutes } from './routes/secure-area.js';
import type { IssuerRouteServices } from './services.js';

export type { IssuerAppOptions } from './options.js';

/**
 * The issuing authority's HTTP API (Hono): registry administration, cards, phone provisioning and the
 * holder's requests, the remote secure area, CRL partitions and OCSP for both hierarchies, health and
 * Prometheus metrics, and its OpenAPI 3.1 document at `/openapi.json`.
 *
 * @example
 * serve({ fetch: createIssuerApp(options).fetch, port: 8080 });
 */
export function createIssuerApp(options: IssuerAppOptions): OpenAPIHono {
  const services = routeServices(options);
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook(envelope) });
  const metrics = installServiceBasics(app, {
    name: 'issuer',
    logger: options.logger,
    envelope,
    adminToken: options.adminToken,
    authenticationFailures: new AuthenticationFailures(
      AuthenticationFailures.DEFAULTS,
      (options.rateLimits ?? memoryTokenBuckets)('issuer:admin-failures', AuthenticationFailures.DEFAULTS),
    ),
    ...(options.bodyLimits ? { bodyLimits: options.bodyLimits } : {}),
  });
  // One bucket per source address for every anonymous endpoint that writes a row.
  const anonymous = sourceLimit(
    options,
    'issuer:anonymous',
    options.anonymousRateLimit ?? { perSecond: 10, capacity: 60 },
  );
  limitHolderRoutes(app, anonymous);
  allowStatusReads(app);
  const secureArea =
    options.secureArea === false
      ? undefined
      : new SecureAreaService(options.context, { pinResetAuthority: options.pinResetAuthority.publicJwk });
  if (secureArea) limitSecureAreaRoutes(app, options, anonymous);
  app.openAPIRegistry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer' });
  registerHealth(app, async () => void (await sql`select 1`.execute(options.context.db)));

  app.route('/', personRoutes(services));
  app.route('/', cardRoutes(services));
  app.route('/', provisioningRoutes(services));
  app.route('/', phoneAdminRoutes(services));
  app.route('/', holderRoutes(services));
  app.route('/', mdocRefillRoutes(services));
  if (secureArea) app.route('/', secureAreaRoutes(secureArea));
  app.route('/', revocationRoutes(services, metrics));

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'openmyna issuing authority',
      version: '0.1.0',
      description: 'Registry, cards, provisioning, lifecycle, CRL and OCSP for the openmyna hierarchy.',
    },
  });
  return app;
}

function routeServices(options: IssuerAppOptions): IssuerRouteServices {
  const { context, authorities, extraCardAnchors } = options;
  const provisioning: ProvisioningAuthorities = {
    signing: authorities.signing.ca,
    authentication: authorities.authentication.ca,
    cardAnchors: {
      signing: [trustAnchor(authorities.signing.ca.certificate), ...(extraCardAnchors?.signing ?? [])],
      authentication: [
        trustAnchor(authorities.authentication.ca.certificate),
        ...(extraCardAnchors?.authentication ?? []),
      ],
    },
    cardFace: options.cardFace,
    mdoc: options.mdoc,
    pinResetAuthority: options.pinResetAuthority,
  };
  return {
    context,
    options,
    revocation: new RevocationServices(context, authorities, options.statusChanges),
    mdocStatus: new MdocStatusPublisher(
      context,
      options.mdoc.documentSigner,
      options.mdoc.statusListUri,
      options.statusChanges,
    ),
    provisioning,
  };
}

/**
 * The holder's endpoints answer a web wallet on any origin (no credentials: the proofs are in the
 * body). Anyone may call them, and each call writes a row: limited per source address. OCSP, CRLs and
 * the status list are cacheable reads and stay unlimited.
 */
function limitHolderRoutes(app: OpenAPIHono<Env>, anonymous: MiddlewareHandler): void {
  app.use('/provisioning/*', cors({ origin: '*', allowMethods: ['POST'] }));
  app.use('/phones/*', cors({ origin: '*', allowMethods: ['POST'] }));
  app.use('/provisioning/*', anonymous);
  app.use('/phones/*', anonymous);
}

/**
 * A browser (the web wallet on its own origin) reads the status of its certificates and mdocs
 * cross-origin: OCSP (GET, and POST whose `application/ocsp-request` body needs a preflight), the CRL
 * partitions and the mdoc status list answer any origin, without credentials (public, read-only
 * data). Nothing else gains CORS here: the admin API stays same-origin only.
 */
function allowStatusReads(app: OpenAPIHono<Env>): void {
  // Named headers, never the preflight's own list echoed back (what Hono's cors does without them).
  const read = { origin: '*', maxAge: 600, allowMethods: ['GET'], allowHeaders: ['accept'] };
  app.use('/ocsp/*', cors({ ...read, allowMethods: ['GET', 'POST'], allowHeaders: ['content-type', 'accept'] }));
  app.use('/crl/*', cors(read));
  app.use('/mdoc/status/*', cors(read));
}

/**
 * Making keys costs three RSA-2048 key generations: enrolling has its own, tighter bucket per address
 * (1/s, burst 10 by default) and at most 4 at once in the instance (ERR_SECURE_AREA_BUSY beyond).
 * Opening a session is a row read (the holder's bucket); a session's messages are signed by a device
 * key and run one at a time, and an operation is tens of them: a wider bucket per address.
 */
function limitSecureAreaRoutes(app: OpenAPIHono<Env>, options: IssuerAppOptions, anonymous: MiddlewareHandler): void {
  app.use('/secure-area', cors({ origin: '*', allowMethods: ['GET'] }));
  app.use('/secure-area/*', cors({ origin: '*', allowMethods: ['POST'] }));
  app.use(
    '/secure-area/devices',
    sourceLimit(
      options,
      'issuer:secure-area-enrollment',
      options.secureAreaEnrollmentRateLimit ?? { perSecond: 1, capacity: 10 },
    ),
  );
  app.use('/secure-area/devices/:id/sessions', anonymous);
  app.use(
    '/secure-area/devices/:id/sessions/:session',
    sourceLimit(options, 'issuer:secure-area-session', { perSecond: 100, capacity: 400 }),
  );
}

/** A per-source limit named `name`, its buckets where the options keep them (memory, or Redis). */
function sourceLimit(options: IssuerAppOptions, name: string, bucket: TokenBucketOptions): MiddlewareHandler {
  return perSourceLimit(envelope, bucket, (options.rateLimits ?? memoryTokenBuckets)(name, bucket));
}
