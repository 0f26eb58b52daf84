import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { MDOC_BATCH_MAX } from '@openmyna/card';
import { parseIsoDate } from '@openmyna/core';
import type { EcPrivateKey } from '@openmyna/mdoc';
import { trustAnchor, type TrustAnchor } from '@openmyna/pki';
import { cors } from 'hono/cors';
import {
  AuthenticationFailures,
  installServiceBasics,
  jsonBody,
  perSourceLimit,
  registerHealth,
  validationHook,
  type BodyLimits,
} from '@openmyna/service';
import { sql } from '@openmyna/storage';
import type { Env } from 'hono';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';

import type { IssuerContext } from '../context.js';
import { createPerson, endCard, getPerson, updatePerson } from '../registry.js';
import { issueCard, type CardFaceIssuers } from '../cards.js';
import { MdocStatusPublisher } from '../mdoc-status.js';
import { authorizePinReset, holderChangesPhone, openHolderChallenge, type PinResetAuthority } from '../holder.js';
import { changePhone, phonesOf } from '../phones.js';
import { refillMdocs } from '../mdoc-refill.js';
import { completeProvisioning, openProvisioningSession, type ProvisioningAuthorities } from '../provisioning.js';
import { RevocationServices, type HierarchyAuthority } from '../revocation-services.js';
import type { HierarchyName } from '../storage/schema.js';
import { SecureAreaService } from '../secure-area.js';
import { envelope, errorResponse } from './error-envelope.js';
import { registerSecureArea } from './secure-area-routes.js';

export interface IssuerAppOptions {
  readonly context: IssuerContext;
  /** Both JPKI hierarchies, each with its delegated OCSP responder. */
  readonly authorities: Record<HierarchyName, HierarchyAuthority>;
  /** The municipalities' 入力補助 and 券面 record issuers. */
  readonly cardFace: CardFaceIssuers;
  /** The mdoc document signer, and the URL this service's status list is published at (`…/mdoc/status/1`). */
  readonly mdoc: {
    readonly documentSigner: { readonly key: EcPrivateKey; readonly certificate: Uint8Array };
    readonly statusListUri: string;
  };
  /** Roots card certificates may also chain to (J-LIS's, where real cards are accepted); ours always count. */
  readonly extraCardAnchors?: {
    readonly signing: readonly TrustAnchor[];
    readonly authentication: readonly TrustAnchor[];
  };
  /** Signs PIN-reset authorizations; phones pin its public key at provisioning. */
  readonly pinResetAuthority: PinResetAuthority;
  /** Bearer token of the registry administrators. */
  readonly adminToken: string;
  readonly logger: Logger;
  /** Requests per second per source address to the holder's endpoints, and the burst (default 10/s, 60). */
  readonly anonymousRateLimit?: { readonly perSecond: number; readonly capacity: number };
  /** Offer the remote secure area (`/secure-area/…`, docs/wallet.md); default true. */
  readonly secureArea?: boolean;
  /** Enrollments in the remote secure area (three RSA key generations each) per source address (default 1/s, burst 10). */
  readonly secureAreaEnrollmentRateLimit?: { readonly perSecond: number; readonly capacity: number };
  /** Request body limits (default 1 MiB on every route). */
  readonly bodyLimits?: BodyLimits;
}

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');
const errorResponses = {
  400: { description: 'The request was malformed', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'No or wrong admin token', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorSchema } } },
  409: { description: 'In conflict with the registry', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

const PersonId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
/** `YYYY-MM-DD` that names a day of the calendar (not 9999-99-99). */
const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((text) => {
    try {
      parseIsoDate(text);
      return true;
    } catch {
      return false;
    }
  }, 'not a date of the calendar');
const PersonCreate = z
  .object({
    id: PersonId.optional(),
    name: z.string().min(1).max(100).openapi({ example: '番号　花子' }),
    nameKana: z.string().min(1).max(100),
    address: z.string().min(1).max(200),
    birthDate: IsoDate.openapi({ example: '1980-02-17' }),
    sex: z.enum(['0', '1', '2', '9']).openapi({ description: 'ISO/IEC 5218' }),
    myNumber: z.string().regex(/^\d{12}$/),
    residentCode: z.string().regex(/^\d{11}$/),
    municipalityCode: z.string().regex(/^\d{5,6}$/),
    photo: z.string().max(200_000).openapi({ description: 'JPEG, base64' }),
  })
  .openapi('PersonCreate');
const PersonView = z
  .object({
    id: z.string(),
    name: z.string(),
    nameKana: z.string(),
    address: z.string(),
    birthDate: z.string(),
    sex: z.string(),
    municipalityCode: z.string(),
    myNumberLast4: z.string().openapi({ description: 'only the last four digits' }),
    version: z.number().int(),
  })
  .openapi('Person');
const PersonUpdate = z
  .object({
    name: z.string().min(1).max(100).optional(),
    nameKana: z.string().min(1).max(100).optional(),
    address: z.string().min(1).max(200).optional(),
    birthDate: IsoDate.optional(),
    sex: z.enum(['0', '1', '2', '9']).optional(),
    municipalityCode: z
      .string()
      .regex(/^\d{5,6}$/)
      .optional(),
    reason: z.string().min(1).max(200).openapi({ example: '転居届' }),
  })
  .openapi('PersonUpdate');
const Revoked = z.object({ revoked: z.array(z.string()) }).openapi('Revoked');
const Hierarchy = z.enum(['signing', 'authentication']);

/**
 * The issuing authority's HTTP API (Hono): registry administration, CRL partitions and OCSP for both
 * hierarchies, health and Prometheus metrics, and its OpenAPI 3.1 document at `/openapi.json`.
 */
export function createIssuerApp(options: IssuerAppOptions): OpenAPIHono {
  const { context, logger } = options;
  const revocation = new RevocationServices(context, options.authorities);
  const mdocStatus = new MdocStatusPublisher(context, options.mdoc.documentSigner, options.mdoc.statusListUri);
  const provisioning: ProvisioningAuthorities = {
    signing: options.authorities.signing.ca,
    authentication: options.authorities.authentication.ca,
    cardAnchors: {
      signing: [trustAnchor(options.authorities.signing.ca.certificate), ...(options.extraCardAnchors?.signing ?? [])],
      authentication: [
        trustAnchor(options.authorities.authentication.ca.certificate),
        ...(options.extraCardAnchors?.authentication ?? []),
      ],
    },
    cardFace: options.cardFace,
    mdoc: options.mdoc,
    pinResetAuthority: options.pinResetAuthority,
  };

  const app = new OpenAPIHono<Env>({ defaultHook: validationHook(envelope) });
  const registry = installServiceBasics(app, {
    name: 'issuer',
    logger,
    envelope,
    adminToken: options.adminToken,
    authenticationFailures: new AuthenticationFailures(),
    ...(options.bodyLimits ? { bodyLimits: options.bodyLimits } : {}),
  });
  // The holder's endpoints answer a web wallet on any origin (no credentials: the proofs are in the body).
  app.use('/provisioning/*', cors({ origin: '*', allowMethods: ['POST'] }));
  app.use('/phones/*', cors({ origin: '*', allowMethods: ['POST'] }));
  // Anyone may call them, and each call writes a row: limited per source address. OCSP, CRLs and the
  // status list are cacheable reads and stay unlimited.
  const anonymous = perSourceLimit(envelope, options.anonymousRateLimit ?? { perSecond: 10, capacity: 60 });
  app.use('/provisioning/*', anonymous);
  app.use('/phones/*', anonymous);
  const secureArea =
    options.secureArea === false
      ? undefined
      : new SecureAreaService(context, {
          pinResetAuthority: options.pinResetAuthority.publicJwk,
        });
  if (secureArea) {
    app.use('/secure-area', cors({ origin: '*', allowMethods: ['GET'] }));
    app.use('/secure-area/*', cors({ origin: '*', allowMethods: ['POST'] }));
    // Making keys costs three RSA key generations, opening a session a row read: limited per address.
    // A session's messages are signed by a device key and run one at a time, and an operation is tens
    // of them: a wider bucket per address.
    // Enrolling runs three RSA-2048 key generations: its own, tighter bucket (1/s, burst 10 by default),
    // and at most 4 at once in the instance (ERR_SECURE_AREA_BUSY beyond).
    app.use(
      '/secure-area/devices',
      perSourceLimit(envelope, options.secureAreaEnrollmentRateLimit ?? { perSecond: 1, capacity: 10 }),
    );
    app.use('/secure-area/devices/:id/sessions', anonymous);
    app.use('/secure-area/devices/:id/sessions/:session', perSourceLimit(envelope, { perSecond: 100, capacity: 400 }));
  }
  const ocspAnswers = new Counter({
    name: 'issuer_ocsp_responses_total',
    help: 'OCSP responses by hierarchy',
    labelNames: ['hierarchy'] as const,
    registers: [registry],
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer' });

  registerHealth(app, async () => void (await sql`select 1`.execute(context.db)));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/persons',
      security: [{ admin: [] }],
      request: { body: jsonBody(PersonCreate) },
      responses: {
        201: { description: 'Registered', content: { 'application/json': { schema: z.object({ id: z.string() }) } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const id = await createPerson(
        context,
        {
          ...(body.id ? { id: body.id } : {}),
          basicFourInfo: {
            name: body.name,
            address: body.address,
            birthDate: parseIsoDate(body.birthDate),
            sex: body.sex,
          },
          nameKana: body.nameKana,
          myNumber: body.myNumber,
          residentCode: body.residentCode,
          municipalityCode: body.municipalityCode,
          photo: new Uint8Array(Buffer.from(body.photo, 'base64')),
        },
        'admin',
      );
      return c.json({ id }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/persons/{id}',
      security: [{ admin: [] }],
      request: { params: z.object({ id: PersonId }) },
      responses: {
        200: {
          description: 'The resident (My Number masked)',
          content: { 'application/json': { schema: PersonView } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const person = await getPerson(context, c.req.valid('param').id);
      const { basicFourInfo: info } = person;
      return c.json(
        {
          id: person.id,
          name: info.name,
          nameKana: person.nameKana,
          address: info.address,
          birthDate: `${info.birthDate.year}-${String(info.birthDate.month).padStart(2, '0')}-${String(info.birthDate.day).padStart(2, '0')}`,
          sex: info.sex,
          municipalityCode: person.municipalityCode,
          myNumberLast4: person.myNumber.slice(-4),
          version: person.version,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/persons/{id}',
      security: [{ admin: [] }],
      description:
        'A change of name, address, birth date or sex revokes every signing certificate of the person (card and phones) in the same transaction.',
      request: {
        params: z.object({ id: PersonId }),
        body: jsonBody(PersonUpdate),
      },
      responses: {
        200: {
          description: 'Updated; the revoked signing certificates',
          content: { 'application/json': { schema: Revoked } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { reason, ...changes } = c.req.valid('json');
      const definedChanges = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      const { revoked } = await updatePerson(context, c.req.valid('param').id, definedChanges, 'admin', reason);
      revocation.invalidate('signing', revoked);
      return c.json({ revoked }, 200);
    },
  );

  const Pin = z.string().regex(/^\d{4}$/);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/persons/{id}/cards',
      security: [{ admin: [] }],
      description:
        'Issues a virtual My Number Card: JPKI certificates (each stored before it is signed), 入力補助 and 券面 records. The response carries the card file and the passphrase that opens it, once.',
      request: {
        params: z.object({ id: PersonId }),
        body: jsonBody(
          z
            .object({
              authenticationPin: Pin,
              signingPassword: z.string().regex(/^(?=.*[A-Z])(?=.*\d)[A-Z\d]{6,16}$/),
              kenhojoPin: Pin,
            })
            .openapi('CardPins'),
        ),
      },
      responses: {
        201: {
          description: 'The card file (openmyna-card/1), its passphrase and the printed security code',
          content: {
            'application/json': {
              schema: z.object({
                cardId: z.string(),
                passphrase: z.string(),
                securityCode: z.string(),
                card: z.record(z.string(), z.unknown()),
              }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const pins = c.req.valid('json');
      const issued = await issueCard(context, {
        personId: c.req.valid('param').id,
        authorities: { signing: options.authorities.signing.ca, authentication: options.authorities.authentication.ca },
        cardFace: options.cardFace,
        pins: { authentication: pins.authenticationPin, signing: pins.signingPassword, kenhojo: pins.kenhojoPin },
        actor: 'admin',
      });
      c.header('cache-control', 'no-store');
      return c.json(
        {
          cardId: issued.cardId,
          passphrase: issued.passphrase,
          securityCode: issued.securityCode,
          card: issued.document as unknown as Record<string, unknown>,
        },
        201,
      );
    },
  );

  for (const status of ['lost', 'renewed'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/admin/cards/{id}/${status}`,
        security: [{ admin: [] }],
        description: `Marks the card ${status}: its certificates and those of every phone provisioned from it are revoked.`,
        request: {
          params: z.object({ id: z.string().min(1).max(64) }),
          body: jsonBody(z.object({ reason: z.string().min(1).max(200) })),
        },
        responses: {
          200: { description: 'The revoked certificates', content: { 'application/json': { schema: Revoked } } },
          ...errorResponses,
        },
      }),
      async (c) => {
        const { revoked } = await endCard(
          context,
          c.req.valid('param').id,
          status,
          'admin',
          c.req.valid('json').reason,
        );
        for (const hierarchy of ['signing', 'authentication'] as const) revocation.invalidate(hierarchy, revoked);
        return c.json({ revoked }, 200);
      },
    );
  }

  const B64 = z
    .string()
    .max(100_000)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/);
  const Completion = z
    .object({
      cardAuthenticationCertificate: B64,
      cardAuthenticationSignature: B64,
      cardSigningCertificate: B64,
      application: B64.openapi({
        description:
          'UTF-8 JSON {nonce, phone: {authenticationKey, signingKey, cardFaceKey, deviceKey, batchDeviceKeys?}}, base64. `deviceKey` and the optional `batchDeviceKeys` (P-256 JWKs, all distinct, at most 50 in all) are the batch: one single-use MSO each.',
      }),
      applicationSignature: B64,
      phoneAttestation: z.object({
        authenticationRequest: B64,
        signingRequest: B64,
        cardFaceKeySignature: B64,
        deviceKeySignature: B64,
        batchDeviceKeySignatures: z
          .array(B64)
          .max(MDOC_BATCH_MAX - 1)
          .optional()
          .openapi({ description: 'each of `batchDeviceKeys` over the nonce, in order (ES256, r‖s)' }),
      }),
    })
    .openapi('ProvisioningCompletion');
  app.openapi(
    createRoute({
      method: 'post',
      path: '/provisioning/sessions',
      description:
        'Opens a provisioning session (DESIGN.md flow 2): a single-use nonce for the card to sign, valid five minutes.',
      responses: {
        201: {
          description: 'The session',
          content: {
            'application/json': {
              schema: z.object({ sessionId: z.string(), nonce: z.string(), expiresAt: z.string() }),
            },
          },
        },
      },
    }),
    async (c) => c.json(await openProvisioningSession(context), 201),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/provisioning/sessions/{id}/complete',
      description:
        'Completes a session with the card’s proofs and the phone’s key attestation; returns everything the phone installs. Each refusal has its code and issues nothing.',
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        body: jsonBody(Completion),
      },
      responses: {
        200: {
          description:
            'The phone’s certificates, 入力補助 and 券面 records and its batch of MSOs: `mdoc` bound to `deviceKey`, `batchMdocs` to `batchDeviceKeys` in order',
          content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('ProvisioningBundle') } },
        },
        403: {
          description: 'A card certificate, proof or phone key was refused',
          content: { 'application/json': { schema: ErrorSchema } },
        },
        410: { description: 'The session expired', content: { 'application/json': { schema: ErrorSchema } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const bundle = await completeProvisioning(
        context,
        provisioning,
        c.req.valid('param').id,
        c.req.valid('json'),
        (serials) => {
          // A superseded phone's certificates answer revoked at once on this instance.
          for (const hierarchy of ['signing', 'authentication'] as const) revocation.invalidate(hierarchy, serials);
          mdocStatus.invalidate();
        },
      );
      c.header('cache-control', 'no-store');
      return c.json(bundle as unknown as Record<string, unknown>, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/persons/{id}/phones',
      security: [{ admin: [] }],
      description:
        'The phones provisioned for a person, newest first: what an operator needs to suspend or revoke a lost one.',
      request: { params: z.object({ id: PersonId }) },
      responses: {
        200: {
          description: 'The phones',
          content: {
            'application/json': {
              schema: z.object({
                phones: z.array(
                  z.object({
                    id: z.string(),
                    cardId: z.string(),
                    status: z.string(),
                    provisionedAt: z.string(),
                    updatedAt: z.string(),
                  }),
                ),
              }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => c.json({ phones: await phonesOf(context, c.req.valid('param').id) }, 200),
  );
  for (const action of ['suspend', 'resume', 'revoke'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/admin/phones/{id}/${action}`,
        security: [{ admin: [] }],
        description: `${action === 'suspend' ? 'Suspends' : action === 'resume' ? 'Resumes' : 'Revokes'} a phone with its certificates and mdoc.`,
        request: {
          params: z.object({ id: z.string().min(1).max(64) }),
          body: jsonBody(z.object({ reason: z.string().min(1).max(200) })),
        },
        responses: {
          200: {
            description: 'The new state and the certificates that changed',
            content: { 'application/json': { schema: z.object({ status: z.string(), serials: z.array(z.string()) }) } },
          },
          ...errorResponses,
        },
      }),
      async (c) => {
        const result = await changePhone(context, c.req.valid('param').id, action, 'admin', c.req.valid('json').reason);
        for (const hierarchy of ['signing', 'authentication'] as const)
          revocation.invalidate(hierarchy, result.serials);
        mdocStatus.invalidate();
        return c.json(result, 200);
      },
    );
  }
  const PhoneId = z.object({ id: z.string().min(1).max(64) });
  const ChallengeView = z
    .object({ challengeId: z.string(), nonce: z.string(), expiresAt: z.string() })
    .openapi('HolderChallenge');
  app.openapi(
    createRoute({
      method: 'post',
      path: '/phones/{id}/challenges',
      description:
        'Opens a single-use challenge (five minutes) for a holder’s request about this phone: `lifecycle` (suspend, resume, revoke), `pin-reset` or `mdoc-refill`.',
      request: {
        params: PhoneId,
        body: jsonBody(z.object({ purpose: z.enum(['lifecycle', 'pin-reset', 'mdoc-refill']) })),
      },
      responses: {
        201: { description: 'The challenge', content: { 'application/json': { schema: ChallengeView } } },
        ...errorResponses,
      },
    }),
    async (c) => c.json(await openHolderChallenge(context, c.req.valid('param').id, c.req.valid('json').purpose), 201),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/phones/{id}/lifecycle',
      description:
        'The holder suspends, resumes or revokes this phone. The proof is an RSASSA-PKCS1-v1_5 SHA-256 signature over the lifecycle statement (`@openmyna/issuer/protocol`) by the phone’s JPKI authentication key (suspend, revoke) or the card’s (any action; the way for a lost phone).',
      request: {
        params: PhoneId,
        body: jsonBody(
          z
            .object({
              challengeId: z.string().min(1).max(64),
              action: z.enum(['suspend', 'resume', 'revoke']),
              proof: z.discriminatedUnion('kind', [
                z.object({ kind: z.literal('phone-authentication'), signature: B64 }),
                z.object({ kind: z.literal('card-authentication'), certificate: B64, signature: B64 }),
              ]),
            })
            .openapi('HolderLifecycleRequest'),
        ),
      },
      responses: {
        200: {
          description: 'The new state and the certificates that changed',
          content: { 'application/json': { schema: z.object({ status: z.string(), serials: z.array(z.string()) }) } },
        },
        403: { description: 'The proof was refused', content: { 'application/json': { schema: ErrorSchema } } },
        410: { description: 'The challenge expired', content: { 'application/json': { schema: ErrorSchema } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const result = await holderChangesPhone(
        context,
        provisioning.cardAnchors,
        c.req.valid('param').id,
        c.req.valid('json'),
      );
      for (const hierarchy of ['signing', 'authentication'] as const) revocation.invalidate(hierarchy, result.serials);
      mdocStatus.invalidate();
      return c.json(result, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/phones/{id}/pin-resets',
      description:
        'Authorizes a reset of the phone’s PINs with the stronger factor, the holder’s card: its JPKI signing key (behind the card’s signing password) signs the PIN-reset statement. Returns an ES256 token the phone verifies with the key it pinned at provisioning.',
      request: {
        params: PhoneId,
        body: jsonBody(
          z
            .object({
              challengeId: z.string().min(1).max(64),
              pins: z.array(z.string().max(16)).min(1).max(4),
              phoneNonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
              cardSigningCertificate: B64,
              signature: B64,
            })
            .openapi('PinResetRequest'),
        ),
      },
      responses: {
        200: {
          description: 'The authorization (compact JWS, typ openmyna-pin-reset+jwt)',
          content: {
            'application/json': { schema: z.object({ authorization: z.string(), expiresAt: z.string() }) },
          },
        },
        403: { description: 'The proof was refused', content: { 'application/json': { schema: ErrorSchema } } },
        410: { description: 'The challenge expired', content: { 'application/json': { schema: ErrorSchema } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const result = await authorizePinReset(
        context,
        { cardAnchors: provisioning.cardAnchors, authority: options.pinResetAuthority },
        c.req.valid('param').id,
        c.req.valid('json'),
      );
      c.header('cache-control', 'no-store');
      return c.json(result, 200);
    },
  );
  const PublicJwk = z
    .object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string().max(64), y: z.string().max(64) })
    .openapi('DeviceKey');
  app.openapi(
    createRoute({
      method: 'post',
      path: '/phones/{id}/mdoc-refills',
      description: `A fresh batch of single-use MSOs for an active phone, without a PIN: \`proof\` is an ES256 signature (r‖s) over the mdoc-refill statement (\`mdocRefillStatement\` in \`@openmyna/card\`: phone, the \`mdoc-refill\` challenge's nonce, the new keys) by one of the phone's device keys whose MSO is issued and unexpired; each new key signs the same statement. 1 to ${MDOC_BATCH_MAX} new keys, each never given to this phone before; at most 100 MSOs per phone in 24 hours (429). A suspended or revoked phone is refused (409). The batch is recorded as issued only once every MSO is made.`,
      request: {
        params: PhoneId,
        body: jsonBody(
          z
            .object({
              challengeId: z.string().min(1).max(64),
              proof: z.object({ deviceKey: PublicJwk, signature: B64 }),
              deviceKeys: z.array(PublicJwk).min(1).max(MDOC_BATCH_MAX),
              deviceKeySignatures: z.array(B64).min(1).max(MDOC_BATCH_MAX),
            })
            .openapi('MdocRefillRequest'),
        ),
      },
      responses: {
        200: {
          description: 'The new MSOs (`{docType, issuerSigned}` CBOR, base64), in the order of `deviceKeys`',
          content: {
            'application/json': {
              schema: z.object({ mdocs: z.array(z.string()), validUntil: z.string() }).openapi('MdocRefill'),
            },
          },
        },
        403: { description: 'The proof was refused', content: { 'application/json': { schema: ErrorSchema } } },
        410: { description: 'The challenge expired', content: { 'application/json': { schema: ErrorSchema } } },
        429: {
          description: 'The phone reached its daily bound of MSOs',
          content: { 'application/json': { schema: ErrorSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const result = await refillMdocs(context, options.mdoc, c.req.valid('param').id, c.req.valid('json'));
      c.header('cache-control', 'no-store');
      return c.json({ mdocs: [...result.mdocs], validUntil: result.validUntil }, 200);
    },
  );
  if (secureArea) registerSecureArea(app, secureArea);
  app.get('/mdoc/status/1', async (c) =>
    c.body((await mdocStatus.token()) as Uint8Array<ArrayBuffer>, 200, {
      'content-type': 'application/statuslist+cwt',
      'cache-control': 'public, max-age=60',
    }),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/crl/{hierarchy}/{partition}',
      description: 'The CRL of one municipality partition (`<code>.crl`), DER, cacheable.',
      request: { params: z.object({ hierarchy: Hierarchy, partition: z.string().regex(/^\d{5}\.crl$/) }) },
      responses: {
        200: { description: 'DER CRL', content: { 'application/pkix-crl': { schema: z.any() } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { hierarchy, partition } = c.req.valid('param');
      const { der, number, maxAgeSeconds } = await revocation.crl(hierarchy, partition.slice(0, 5));
      return c.body(der as Uint8Array<ArrayBuffer>, 200, {
        'content-type': 'application/pkix-crl',
        'cache-control': `public, max-age=${maxAgeSeconds}`,
        etag: `"${hierarchy}-${partition}-${number}"`,
      });
    },
  );

  const ocspHeaders = (hierarchy: HierarchyName) => {
    ocspAnswers.inc({ hierarchy });
    return { 'content-type': 'application/ocsp-response', 'cache-control': 'public, max-age=60' };
  };
  app.post('/ocsp/:hierarchy{signing|authentication}', async (c) => {
    const hierarchy = c.req.param('hierarchy') as HierarchyName;
    if (c.req.header('content-type') !== 'application/ocsp-request')
      return errorResponse(c, 'ERR_VALIDATION', 'the body must be application/ocsp-request');
    const body = new Uint8Array(await c.req.arrayBuffer());
    return c.body((await revocation.ocsp(hierarchy, body)) as Uint8Array<ArrayBuffer>, 200, ocspHeaders(hierarchy));
  });
  app.get('/ocsp/:hierarchy{signing|authentication}/:request{.+}', async (c) => {
    const hierarchy = c.req.param('hierarchy') as HierarchyName;
    return c.body(
      (await revocation.ocsp(hierarchy, c.req.param('request'))) as Uint8Array<ArrayBuffer>,
      200,
      ocspHeaders(hierarchy),
    );
  });

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
