import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { CardRsaPublicKey } from '@openmyna/card';
import { formatIsoDate } from '@openmyna/core';
import { MNC_DOCTYPE, type MdocTrustAnchor, type StatusChecker } from '@openmyna/mdoc';
import { base64ToBytes } from '@openmyna/pki';
import {
  bearerToken,
  errorEnvelope,
  AuthenticationFailures,
  installServiceBasics,
  perSourceLimit,
  rateLimited,
  type BodyLimits,
  jsonBody,
  RateLimiter,
  registerHealth,
  validationHook,
} from '@openmyna/service';
import { sql } from '@openmyna/storage';
import { createLoginChallenge, verifyJpkiLogin, verifyJpkiSignature, type JpkiTrust } from '@openmyna/verifier';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import QRCode from 'qrcode';

import { appendAudit } from '../audit.js';
import type { VerifierContext } from '../context.js';
import { databaseChallengeStore } from '../login-challenges.js';
import { receiveResponse, requestObjectOf } from '../answer-presentation.js';
import { createPresentation } from '../create-presentation.js';
import { presentationFor } from '../presentation-results.js';
import { proximitySessionFor, startProximitySession } from '../proximity.js';
import type { PresentationServices, ProximityServices } from '../services.js';
import {
  registerRelyingParty,
  relyingPartyByApiKey,
  type ReaderAuthority,
  type RelyingParty,
} from '../relying-parties.js';

export interface VerifierAppOptions {
  readonly context: VerifierContext;
  /** This service's public base URL, as wallets reach it. */
  readonly publicUrl: string;
  /** 32 bytes: seals request-signing keys, response-decryption keys and disclosed values at rest. */
  readonly sealingKey: Uint8Array;
  /** Certifies relying parties' request-signing keys. */
  readonly readerAuthority: ReaderAuthority;
  /** Trusted mdoc issuers (IACA) and the status-list checker. */
  readonly mdoc: { readonly issuerAnchors: readonly MdocTrustAnchor[]; readonly status?: StatusChecker };
  /** JPKI anchors, policies and revocation. */
  readonly jpki: JpkiTrust;
  /** The CV-certificate CA keys that 入力補助 records chain to. */
  readonly kenhojoCaKeys: ReadonlyMap<string, CardRsaPublicKey>;
  readonly adminToken: string;
  readonly logger: Logger;
  /** Requests per second per API key, and the burst (default 20/s, 40). */
  readonly rateLimit?: { readonly perSecond: number; readonly capacity: number };
  /** Requests per second per source address to the wallet-facing endpoints, and the burst (default 10/s, 60). */
  readonly anonymousRateLimit?: { readonly perSecond: number; readonly capacity: number };
  /** Request body limits (default 1 MiB on every route). */
  readonly bodyLimits?: BodyLimits;
  /** Used to call relying parties' webhooks (default global fetch). */
  readonly webhookFetch?: typeof fetch;
  /** The relay of in-person sessions (`POST /v1/proximity-sessions`); without it they answer 501. */
  readonly proximity?: ProximityServices;
}

const envelope = errorEnvelope({
  statuses: {
    ERR_RP_INVALID: 400,
    ERR_RP_NOT_FOUND: 404,
    ERR_RP_NOT_AUTHORIZED: 403,
    ERR_PRESENTATION_NOT_FOUND: 404,
    ERR_PRESENTATION_EXPIRED: 410,
    ERR_PRESENTATION_ANSWERED: 409,
    ERR_PRESENTATION_RESPONSE: 400,
    ERR_PRESENTATION_REJECTED: 400,
    ERR_ENGAGEMENT: 400,
    ERR_PROXIMITY_UNAVAILABLE: 501,
    ERR_AUDIT_SECRET: 400,
  },
  internalMessage: 'the verifier could not complete the request',
});

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');
const errors = {
  400: { description: 'The request was malformed', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'No or wrong credentials', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Not authorized for this', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorSchema } } },
  429: { description: 'Rate limited', content: { 'application/json': { schema: ErrorSchema } } },
} as const;
const B64 = z
  .string()
  .max(200_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/);
const Element = z.object({
  nameSpace: z.string().min(1).max(100),
  elementIdentifier: z.string().min(1).max(100),
  intentToRetain: z.boolean().optional(),
});
/** `{ status, decidedBy?, checks, record, … }`: typed in the SDK; described here as an open object. */
const Outcome = z.record(z.string(), z.unknown()).openapi('VerificationOutcome', {
  description:
    'status (valid | invalid | status-unknown), decidedBy (the deciding check), checks (every named check in order), record (the verification record), and signer or subject where they apply',
});
const asJson = (value: unknown) => value as Record<string, unknown>;

/** A JPKI verification as the API answers it, with what it established (`signer` or `subject`). */
const outcomeJson = (
  result: { status: string; decidedBy?: unknown; checks: unknown; record: unknown },
  established: Record<string, unknown>,
) =>
  asJson({
    status: result.status,
    ...(result.decidedBy ? { decidedBy: result.decidedBy } : {}),
    checks: result.checks,
    record: result.record,
    ...established,
  });

type Env = { Variables: { party: RelyingParty } };

/**
 * The verifier service's HTTP API (Hono): relying-party registration (admin), OpenID4VP presentation
 * requests and the wallet's `direct_post`, JPKI signature and login verification, with API keys,
 * per-key rate limits, an audit log, Prometheus metrics and its OpenAPI 3.1 document.
 */
export function createVerifierApp(options: VerifierAppOptions): OpenAPIHono<Env> {
  const { context, logger } = options;
  const limiter = new RateLimiter(options.rateLimit ?? { perSecond: 20, capacity: 40 });
  const webhookFetch = options.webhookFetch ?? fetch;
  const services: PresentationServices = {
    sealingKey: options.sealingKey,
    publicUrl: options.publicUrl,
    mdoc: options.mdoc,
    jpki: options.jpki,
    kenhojoCaKeys: options.kenhojoCaKeys,
    ...(options.proximity ? { proximity: options.proximity } : {}),
    onBackgroundError: (error) => logger.error({ err: error }, 'in-person session bookkeeping failed'),
    notify: (party, event) => {
      if (!party.webhookUrl) return;
      // Fire and forget: the relying party can always poll. The body carries no disclosed value.
      webhookFetch(party.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'presentation.finished', ...event }),
      }).catch((error: unknown) =>
        logger.warn({ rp: party.id, err: (error as Error).message }, 'webhook delivery failed'),
      );
    },
  };

  const app = new OpenAPIHono<Env>({ defaultHook: validationHook(envelope) });
  // Wrong API keys and wrong admin tokens are counted apart: guessing one does not lock out the other.
  const authenticationFailures = new AuthenticationFailures();
  const registry = installServiceBasics(app, {
    name: 'verifier',
    logger,
    envelope,
    adminToken: options.adminToken,
    authenticationFailures: new AuthenticationFailures(),
    ...(options.bodyLimits ? { bodyLimits: options.bodyLimits } : {}),
  });
  const verifications = new Counter({
    name: 'verifier_verifications_total',
    help: 'Verifications by kind and result',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  // Relying parties' endpoints: an API key, then its rate limit. The wallet-facing request and
  // response URIs of a presentation take neither (the wallet holds no key; the nonce and state do).
  const relyingPartyOnly = createMiddleware<Env>(async (c, next) => {
    const blocked = authenticationFailures.blocked(c, envelope);
    if (blocked) return blocked;
    const token = bearerToken(c.req.header('authorization'));
    const party = token ? await relyingPartyByApiKey(context, token) : undefined;
    if (!party) {
      authenticationFailures.failed(c);
      return envelope.respond(c, 'ERR_UNAUTHORIZED', 'a relying party API key is required');
    }
    const wait = limiter.take(party.id);
    if (wait > 0) return rateLimited(c, envelope, wait, 'too many requests for this API key; slow down');
    c.set('party', party);
    await next();
  });
  // A web wallet runs on its own origin: the wallet-facing URIs answer any origin (no credentials).
  app.use('/v1/presentations/:id/request', cors({ origin: '*' }));
  app.use('/v1/presentations/:id/response', cors({ origin: '*', allowMethods: ['POST'] }));
  // Anyone may call them (the wallet holds no key): limited per source address instead.
  const anonymous = perSourceLimit(envelope, options.anonymousRateLimit ?? { perSecond: 10, capacity: 60 });
  app.use('/v1/presentations/:id/request', anonymous);
  app.use('/v1/presentations/:id/response', anonymous);
  app.use('/v1/jpki/*', relyingPartyOnly);
  app.use('/v1/presentations', relyingPartyOnly);
  app.use('/v1/proximity-sessions', relyingPartyOnly);
  app.use('/v1/proximity-sessions/*', relyingPartyOnly);
  app.on('GET', '/v1/presentations/:id', relyingPartyOnly);
  app.openAPIRegistry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' });

  registerHealth(app, async () => void (await sql`select 1`.execute(context.db)));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/relying-parties',
      security: [{ admin: [] }],
      description:
        'Registers a relying party: its API key (shown once), its request-signing certificate from the reader CA, and what it may receive — a My Number only with a purpose (番号利用事務 or 個人番号関係事務).',
      request: {
        body: jsonBody(
          z
            .object({
              name: z.string().min(1).max(100),
              myNumberPurpose: z.enum(['none', 'bango-riyo-jimu', 'kojin-bango-kankei-jimu']),
              elements: z.array(Element).min(1).max(40).optional(),
              webhookUrl: z.string().url().max(500).optional(),
            })
            .openapi('RelyingPartyRegistration'),
        ),
      },
      responses: {
        201: {
          description: 'Registered',
          content: {
            'application/json': {
              schema: z.object({
                id: z.string(),
                apiKey: z.string(),
                clientId: z.string(),
                requestCertificate: z.string(),
              }),
            },
          },
        },
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { relyingParty, apiKey, clientId } = await registerRelyingParty(context, {
        name: body.name,
        myNumberPurpose: body.myNumberPurpose,
        ...(body.elements
          ? {
              elements: body.elements.map((element) => ({
                docType: MNC_DOCTYPE,
                nameSpace: element.nameSpace,
                elementIdentifier: element.elementIdentifier,
              })),
            }
          : {}),
        ...(body.webhookUrl ? { webhookUrl: body.webhookUrl } : {}),
        readerAuthority: options.readerAuthority,
        sealingKey: options.sealingKey,
        publicUrl: options.publicUrl,
      });
      c.header('cache-control', 'no-store');
      return c.json(
        {
          id: relyingParty.id,
          apiKey,
          clientId,
          requestCertificate: Buffer.from(relyingParty.requestCertificate).toString('base64'),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/presentations',
      security: [{ apiKey: [] }],
      description:
        'Creates an OpenID4VP request signed with the relying party’s request key, for any of: card-face mdoc elements, a JPKI signature over a document (jpki_sign), 入力補助 records bound to that signature (jp_kenhojo), a JPKI login (jpki_auth). Returns the request URI for the wallet, the same-device link, and the cross-device QR code (SVG) of that link.',
      request: {
        body: jsonBody(
          z
            .object({
              elements: z.array(Element).min(1).max(20).optional(),
              sign: z
                .object({
                  document: B64.openapi({ description: 'the document to sign, base64 (at most 64 KiB)' }),
                  title: z.string().min(1).max(200),
                  mediaType: z.string().min(1).max(100).default('text/plain; charset=utf-8'),
                })
                .optional(),
              kenhojo: z
                .array(z.enum(['my_number', 'basic_four_info']))
                .min(1)
                .max(2)
                .optional()
                .openapi({ description: '入力補助 records; needs `sign`, and a My Number purpose for my_number' }),
              login: z.boolean().optional(),
              purpose: z.string().min(1).max(200),
              responseMode: z.enum(['direct_post', 'direct_post.jwt']).optional(),
            })
            .openapi('PresentationRequest'),
        ),
      },
      responses: {
        201: {
          description: 'The request',
          content: {
            'application/json': {
              schema: z
                .object({
                  id: z.string(),
                  requestUri: z.string(),
                  clientId: z.string(),
                  link: z.string(),
                  qrSvg: z.string(),
                  expiresAt: z.string(),
                })
                .openapi('CreatedPresentation'),
            },
          },
        },
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const created = await createPresentation(context, services, c.get('party'), {
        ...(body.elements
          ? {
              elements: body.elements.map(({ nameSpace, elementIdentifier, intentToRetain }) => ({
                nameSpace,
                elementIdentifier,
                ...(intentToRetain === undefined ? {} : { intentToRetain }),
              })),
            }
          : {}),
        ...(body.sign
          ? {
              sign: {
                document: base64ToBytes(body.sign.document),
                title: body.sign.title,
                mediaType: body.sign.mediaType,
              },
            }
          : {}),
        ...(body.kenhojo ? { kenhojo: body.kenhojo } : {}),
        ...(body.login ? { login: true } : {}),
        purpose: body.purpose,
        ...(body.responseMode ? { responseMode: body.responseMode } : {}),
      });
      const qrSvg = await QRCode.toString(created.link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return c.json({ ...created, qrSvg }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/presentations/{id}',
      security: [{ apiKey: [] }],
      description:
        'The presentation’s status and, once answered, its result and verification record. The disclosed values come once, the first time after a valid answer; the service then deletes them. While it is pending, `rejectedAnswers` and `lastRejection` tell of answers not accepted (a refusal in the wallet, or an answer that failed a check) — a hint only: anyone who saw the QR code could have sent them, so they do not end the request.',
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: {
          description: 'The presentation',
          content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('Presentation') } },
        },
        ...errors,
      },
    }),
    async (c) => {
      c.header('cache-control', 'no-store');
      return c.json(asJson(await presentationFor(context, services, c.get('party'), c.req.valid('param').id)), 200);
    },
  );

  const ProximityView = z.record(z.string(), z.unknown()).openapi('ProximitySession', {
    description:
      'id, status (pending | completed | failed), expiresAt; once answered, result (checks and verification record) and, the first time after a valid answer, claims (the disclosed values by namespace), which the service then deletes',
  });
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/proximity-sessions',
      security: [{ apiKey: [] }],
      description:
        'Starts an ISO/IEC 18013-5 session at the relying party’s counter: the service reads the phone’s device engagement (the `mdoc:` QR), joins the relay session it names (only this service’s relay), and sends the request for `elements` with reader authentication by the relying party’s key. Poll GET /v1/proximity-sessions/{id} for the verified answer.',
      request: {
        body: jsonBody(
          z
            .object({
              engagement: z
                .string()
                .min(5)
                .max(4000)
                .openapi({ description: 'the phone’s `mdoc:` URI (device engagement)' }),
              elements: z.array(Element).min(1).max(20),
            })
            .openapi('ProximitySessionRequest'),
        ),
      },
      responses: {
        201: { description: 'The session, pending', content: { 'application/json': { schema: ProximityView } } },
        ...errors,
        501: { description: 'No relay', content: { 'application/json': { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const started = await startProximitySession(context, services, c.get('party'), {
        engagement: body.engagement,
        elements: body.elements.map(({ nameSpace, elementIdentifier, intentToRetain }) => ({
          nameSpace,
          elementIdentifier,
          ...(intentToRetain === undefined ? {} : { intentToRetain }),
        })),
      });
      return c.json(asJson(started), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/proximity-sessions/{id}',
      security: [{ apiKey: [] }],
      description:
        'The in-person session’s status and, once the phone answered, its result and record; the values come once.',
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: { description: 'The session', content: { 'application/json': { schema: ProximityView } } },
        ...errors,
      },
    }),
    async (c) => {
      c.header('cache-control', 'no-store');
      return c.json(asJson(await proximitySessionFor(context, services, c.get('party'), c.req.valid('param').id)), 200);
    },
  );

  app.get('/v1/presentations/:id/request', async (c) =>
    c.body(await requestObjectOf(context, c.req.param('id')), 200, {
      'content-type': 'application/oauth-authz-req+jwt',
      'cache-control': 'no-store',
    }),
  );
  app.post('/v1/presentations/:id/response', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded'))
      return envelope.respond(c, 'ERR_VALIDATION', 'the response is application/x-www-form-urlencoded');
    const form = Object.fromEntries(
      Object.entries(await c.req.parseBody()).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
    const { status } = await receiveResponse(context, services, c.req.param('id'), form);
    verifications.inc({ kind: 'mdoc', result: status });
    return c.json({}, 200);
  });

  const signerView = (identity: {
    basicFourInfo: { name: string; address: string; birthDate: Parameters<typeof formatIsoDate>[0]; sex: string };
  }) => ({
    name: identity.basicFourInfo.name,
    address: identity.basicFourInfo.address,
    birthDate: formatIsoDate(identity.basicFourInfo.birthDate),
    sex: identity.basicFourInfo.sex,
  });
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/jpki/signatures/verify',
      security: [{ apiKey: [] }],
      description:
        'Verifies a JPKI signature (CMS SignedData, encapsulated or with the detached content): chain, key usage, policy, OCSP falling back to CRL; returns the named checks, the signer’s 4 info and the verification record.',
      request: {
        body: jsonBody(z.object({ signedData: B64, content: B64.optional() }).openapi('JpkiSignatureVerification')),
      },
      responses: {
        200: {
          description: 'The outcome',
          content: {
            'application/json': {
              schema: Outcome,
            },
          },
        },
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const party = c.get('party');
      const result = await verifyJpkiSignature(options.jpki, {
        kind: 'cms',
        signedData: base64ToBytes(body.signedData),
        ...(body.content ? { detachedContent: base64ToBytes(body.content) } : {}),
      });
      verifications.inc({ kind: 'jpki-signature', result: result.status });
      await appendAudit(context, {
        rpId: party.id,
        action: 'jpki.signature',
        subjectId: result.record.certificate?.serialNumber ?? '-',
        result: result.status,
        details: { ...(result.decidedBy ? { decidedBy: result.decidedBy.check } : {}) },
      });
      return c.json(outcomeJson(result, result.signer ? { signer: signerView(result.signer.identity) } : {}), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/jpki/login/challenges',
      security: [{ apiKey: [] }],
      description:
        'A single-use login challenge (two minutes) for the wallet to sign with the phone’s JPKI authentication key.',
      responses: {
        201: {
          description: 'The challenge',
          content: {
            'application/json': {
              schema: z.object({
                challengeId: z.string(),
                challenge: z.string(),
                clientId: z.string(),
                expiresAt: z.string(),
              }),
            },
          },
        },
        ...errors,
      },
    }),
    async (c) => {
      const party = c.get('party');
      const challenge = await createLoginChallenge(databaseChallengeStore(context, party.id), {
        clientId: party.id,
        clock: context.clock,
        randomBytes: context.randomBytes,
      });
      return c.json(
        {
          challengeId: challenge.id,
          challenge: challenge.value,
          clientId: challenge.clientId,
          expiresAt: challenge.expiresAt.toISOString(),
        },
        201,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/jpki/login/verify',
      security: [{ apiKey: [] }],
      description:
        'Verifies a JPKI login: the challenge (consumed), the signature by an authentication certificate, its chain and status; returns a stable subject identifier, pairwise for this relying party.',
      request: {
        body: jsonBody(
          z.object({ challengeId: z.string().min(1).max(64), certificate: B64, signature: B64 }).openapi('JpkiLogin'),
        ),
      },
      responses: {
        200: {
          description: 'The outcome',
          content: { 'application/json': { schema: Outcome } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const party = c.get('party');
      const result = await verifyJpkiLogin(options.jpki, databaseChallengeStore(context, party.id), {
        challengeId: body.challengeId,
        clientId: party.id,
        certificate: base64ToBytes(body.certificate),
        signature: base64ToBytes(body.signature),
      });
      verifications.inc({ kind: 'jpki-login', result: result.status });
      await appendAudit(context, {
        rpId: party.id,
        action: 'jpki.login',
        subjectId: result.subject ?? '-',
        result: result.status,
        details: { ...(result.decidedBy ? { decidedBy: result.decidedBy.check } : {}) },
      });
      return c.json(outcomeJson(result, result.subject ? { subject: result.subject } : {}), 200);
    },
  );

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
