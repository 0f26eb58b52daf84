import { containsMyNumberToken } from '@openmyna/core';
import { changePhone } from '@openmyna/issuer';
import {
  createAuthorizationResponse,
  createDeviceResponse,
  decodeIssuedMdoc,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  jpkiSignDocumentFor,
  sessionTranscriptForRequest,
} from '@openmyna/mdoc';
import { newRelaySessionId, nodeMdocCrypto } from '@openmyna/mdoc/node';
import { base64ToBytes, signCms } from '@openmyna/pki';
import { loginStatement, requestBindingAttribute } from '@openmyna/verifier';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { ENGINES, type TestDatabase } from '../../../test-support/databases.js';
import { registryPerson } from '../../../test-support/issuer-fixtures.js';
import { issuerWithPhones } from '../../../test-support/verifier-fixtures.js';
import {
  postAnswer,
  signAndReadAnswer,
  walletReadsRequest as readRequest,
} from '../../../test-support/verifier-answers.js';
import { startVerifierService, VERIFIER_ADMIN, type DemoParty } from '../../../test-support/verifier-service.js';
import type { VerifierSchema } from '../src/index.js';

const PERSONS = [1, 4] as const;

/** Every route of the OpenAPI document has a described body: a named schema, never an open object. */
async function expectEveryBodyDescribed(base: string): Promise<void> {
  const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, { type?: string; properties?: object }> };
  };
  expect(Object.keys(document.paths).sort()).toEqual([
    '/admin/relying-parties',
    '/admin/relying-parties/{id}/oidc-client',
    '/admin/relying-parties/{id}/webhooks',
    '/healthz',
    '/v1/jpki/login/challenges',
    '/v1/jpki/login/verify',
    '/v1/jpki/signatures/verify',
    '/v1/presentations',
    '/v1/presentations/{id}',
    '/v1/proximity-sessions',
    '/v1/proximity-sessions/{id}',
  ]);
  for (const name of [
    'Presentation',
    'PresentationResult',
    'VerificationRecord',
    'ProximitySession',
    'JpkiLoginOutcome',
  ])
    expect(document.components.schemas[name]?.properties, name).toBeDefined();
  // No response or request body is an object of unknown properties.
  expect(JSON.stringify(document.paths)).not.toContain('"additionalProperties":{}');
}

describe.each(ENGINES)('verifier service on %s', (engine) => {
  let issuer: Awaited<ReturnType<typeof issuerWithPhones>>;
  let service: Awaited<ReturnType<typeof startVerifierService>>;
  let database: TestDatabase<VerifierSchema>;
  let base: string;
  let logs: string[];
  let webhooks: { url: string; body: string; idempotencyKey: string | null }[];
  let clock = new Date();
  let keys: Record<DemoParty, { apiKey: string; clientId: string; id: string }>;
  let rp: (who: DemoParty, path: string, init?: RequestInit) => Promise<Response>;

  beforeAll(async () => {
    issuer = await issuerWithPhones('verifier', PERSONS);
    // After the credentials were issued: nothing may look signed in the future.
    clock = new Date();
    service = await startVerifierService(issuer, engine, { clock: () => clock });
    ({ database, base, logs, webhooks, keys, rp } = service);
  }, 90_000);
  afterAll(async () => {
    await service.dispose();
    await issuer.dispose();
  });

  /** The wallet fetches the request object behind a link and checks it as a wallet must. */
  const walletReadsRequest = (link: string) => readRequest(issuer, link, clock);

  /** The wallet's side: fetch and check the request, present the phone's mdoc, post the answer. */
  async function walletAnswers(
    link: string,
    release: Record<string, string[]>,
    extra: Record<string, Uint8Array[]> = {},
  ): Promise<{ response: Response; form: Record<string, string> }> {
    const request = await walletReadsRequest(link);
    const phone = issuer.phones[0]!;
    const deviceResponse = await createDeviceResponse({
      issued: decodeIssuedMdoc(base64ToBytes(phone.bundle.mdoc)),
      release: new Map(Object.entries(release).map(([ns, ids]) => [ns, new Set(ids)])),
      sessionTranscript: await sessionTranscriptForRequest(request, nodeMdocCrypto),
      deviceKey: phone.device,
      mode: { type: 'signature' },
      crypto: nodeMdocCrypto,
    });
    const form = await createAuthorizationResponse({ request, presentations: { card: [deviceResponse], ...extra } });
    const response = await fetch(request.response_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { response, form };
  }

  it('serves its OpenAPI document, health and metrics, and refuses calls without an API key', async () => {
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: object };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/presentations', '/v1/jpki/login/verify']));
    await expectEveryBodyDescribed(base);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('verifier_http_requests_total');
    const anonymous = await fetch(`${base}/v1/presentations`, { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'ERR_UNAUTHORIZED' } });
  });

  it('runs an online presentation: signed request, encrypted answer, verified result with the My Number once', async () => {
    const created = await rp('securities', '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        elements: [
          { nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode', intentToRetain: true },
          { nameSpace: JP_NAMESPACE, elementIdentifier: 'individual_number_unicode', intentToRetain: true },
        ],
        purpose: '証券口座の開設（本人確認と個人番号の提供）',
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const presentation = (await created.json()) as { id: string; link: string; qrSvg: string; clientId: string };
    expect(presentation.link).toMatch(/^openid4vp:\/\/\?client_id=x509_hash/);
    expect(presentation.qrSvg).toMatch(/^<svg/);
    expect(presentation.clientId).toBe(keys.securities.clientId);

    const { response, form } = await walletAnswers(presentation.link, {
      [JP_NAMESPACE]: ['full_name_unicode', 'individual_number_unicode'],
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(Object.keys(form)).toEqual(['response']);

    const first = (await (await rp('securities', `/v1/presentations/${presentation.id}`)).json()) as {
      status: string;
      result: { status: string; records: { disclosed: string[] }[] };
      claims: Record<string, Record<string, string>>;
    };
    expect(first.status).toBe('completed');
    expect(first.result.status).toBe('valid');
    const { input } = registryPerson('verifier', PERSONS[0]);
    expect(first.claims[JP_NAMESPACE]!['individual_number_unicode']).toBe(input.myNumber);
    expect(first.claims[JP_NAMESPACE]!['full_name_unicode']).toBe(input.basicFourInfo.name);
    const again = (await (await rp('securities', `/v1/presentations/${presentation.id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(again['claims']).toBeUndefined();
    expect(again['claimsFetchedAt']).toBeDefined();
    // Another relying party cannot see it at all.
    expect((await rp('shop', `/v1/presentations/${presentation.id}`)).status).toBe(404);
    // The answer cannot be replayed, and the webhook carried no value.
    const replay = await fetch(`${base}/v1/presentations/${presentation.id}/response`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    expect(replay.status).toBe(409);
    await service.webhooksSent();
    expect(webhooks.at(-1)).toMatchObject({ url: 'https://securities.example/hook' });
    expect(webhooks.at(-1)!.body).not.toContain(input.myNumber);
    const event = JSON.parse(webhooks.at(-1)!.body) as Record<string, string>;
    expect(Object.keys(event).sort()).toEqual(['eventId', 'id', 'status', 'type']);
    expect(event).toMatchObject({ type: 'presentation.finished', id: presentation.id, status: 'valid' });
    expect(webhooks.at(-1)!.idempotencyKey).toBe(event['eventId']);
    // The administrator sees it delivered, and so does /metrics.
    const outbox = (await (
      await fetch(`${base}/admin/relying-parties/${keys.securities.id}/webhooks`, {
        headers: { authorization: `Bearer ${VERIFIER_ADMIN}` },
      })
    ).json()) as { counts: { delivered: number }; events: { eventId: string; state: string; attempts: number }[] };
    expect(outbox.counts.delivered).toBeGreaterThanOrEqual(1);
    expect(outbox.events.find((row) => row.eventId === event['eventId'])).toMatchObject({
      state: 'delivered',
      attempts: 1,
    });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /verifier_webhooks_total\{outcome="delivered"\} [1-9]/,
    );
    // An id that is no relying party's is not echoed: it could be a My Number (found by the route fuzzer).
    const unknown = await fetch(`${base}/admin/relying-parties/123456789018/webhooks`, {
      headers: { authorization: `Bearer ${VERIFIER_ADMIN}` },
    });
    expect(unknown.status).toBe(404);
    const refusal = await unknown.text();
    expect(refusal).toContain('ERR_RP_NOT_FOUND');
    expect(refusal).not.toContain('123456789018');
  });

  /** The wallet's side of an account opening: sign the request's document, hand over the 入力補助 records. */
  async function walletSignsAndReads(
    link: string,
    signWith: number,
    recordsOf: number,
  ): Promise<{ response: Response; form: Record<string, string> }> {
    const request = await walletReadsRequest(link);
    const form = await signAndReadAnswer(issuer, request, {
      signWith,
      recordsOf,
      records: ['my_number', 'basic_four_info'],
      signingTime: clock,
    });
    return { response: await postAnswer(base, request.response_uri.split('/').at(-2)!, form), form };
  }
  const openAccount = async () =>
    (await (
      await rp('securities', '/v1/presentations', {
        method: 'POST',
        body: JSON.stringify({
          sign: {
            document: Buffer.from(`口座開設申込書 ${Math.random()}`).toString('base64'),
            title: '証券総合口座 開設申込書',
          },
          kenhojo: ['my_number', 'basic_four_info'],
          purpose: '証券口座の開設（犯罪収益移転防止法の本人確認、個人番号の提供）',
        }),
      })
    ).json()) as { id: string; link: string };

  it('opens an account: a JPKI signature over the application and 入力補助 records bound to it', async () => {
    const created = await openAccount();
    const { response } = await walletSignsAndReads(created.link, 0, 0);
    expect(response.status, await response.clone().text()).toBe(200);
    const result = (await (await rp('securities', `/v1/presentations/${created.id}`)).json()) as {
      status: string;
      result: { status: string; checks: { check: string }[]; records: { method: string; legalBasis?: string }[] };
      claims: Record<string, Record<string, string>>;
    };
    expect(result.result.status).toBe('valid');
    expect(result.result.checks.map((check) => check.check)).toEqual(
      expect.arrayContaining(['cms.signature', 'jpki.identity', 'jpki.replay', 'kenhojo.binding']),
    );
    expect(result.result.records.map((record) => record.method)).toEqual(['jpki-signature', 'kenhojo']);
    expect(result.result.records[0]!.legalBasis).toContain('ワ');
    const { input } = registryPerson('verifier', PERSONS[0]);
    expect(result.claims['kenhojo']!['my_number']).toBe(input.myNumber);
    expect(result.claims['sign']!['name']).toBe(input.basicFourInfo.name);
  });

  /** A signing request for one fixed document, as a relying party reusing its document would make. */
  const sameDocumentAgain = async () =>
    (await (
      await rp('securities', '/v1/presentations', {
        method: 'POST',
        body: JSON.stringify({
          sign: { document: Buffer.from('同じ申込書').toString('base64'), title: '申込書' },
          purpose: '再提出',
        }),
      })
    ).json()) as { id: string; link: string };

  it('refuses records of another person than the signer, and a signature presented twice', async () => {
    const mismatch = await openAccount();
    expect((await walletSignsAndReads(mismatch.link, 0, 1)).response.status).toBe(400);
    const refused = (await (await rp('securities', `/v1/presentations/${mismatch.id}`)).json()) as {
      status: string;
      lastRejection: { check: string };
      claims?: unknown;
    };
    expect([refused.status, refused.lastRejection.check]).toEqual(['pending', 'kenhojo.binding']);
    expect(refused.claims).toBeUndefined();
    // A valid answer's signature replayed into a new request for the same document is refused: it names
    // the request it was made for.
    const again = await sameDocumentAgain();
    const once = await walletReadsRequest(again.link);
    const signature = await signCms({
      content: jpkiSignDocumentFor(once, 'sign').bytes,
      signer: issuer.phones[0]!.keys.signing,
      certificate: base64ToBytes(issuer.phones[0]!.bundle.jpki.signingCertificate!),
      signingTime: clock,
      extraAttributes: [requestBindingAttribute({ clientId: once.client_id, nonce: once.nonce })],
    });
    const post = async (id: string, request: typeof once) => {
      const answer = await createAuthorizationResponse({ request, presentations: { sign: [signature] } });
      return fetch(`${base}/v1/presentations/${id}/response`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(answer).toString(),
      });
    };
    expect((await post(again.id, once)).status).toBe(200);
    const second = await sameDocumentAgain();
    expect((await post(second.id, await walletReadsRequest(second.link))).status).toBe(400);
    const replayed = (await (await rp('securities', `/v1/presentations/${second.id}`)).json()) as {
      lastRejection: { check: string };
    };
    expect(replayed.lastRejection.check).toBe('jpki.request-binding');
  });

  it('refuses 入力補助 records without a signature, and a My Number record to a shop', async () => {
    const unbound = await rp('securities', '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({ kenhojo: ['basic_four_info'], purpose: 'x' }),
    });
    expect(await unbound.json()).toMatchObject({ error: { code: 'ERR_RP_INVALID' } });
    // The My Number record alone cannot be bound to the signer: its 4 info are needed too.
    const alone = await rp('securities', '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        sign: { document: Buffer.from('x').toString('base64'), title: 'x' },
        kenhojo: ['my_number'],
        purpose: 'x',
      }),
    });
    expect(await alone.json()).toMatchObject({
      error: { code: 'ERR_RP_INVALID', message: expect.stringContaining('basic_four_info') as unknown },
    });
    const shop = await rp('shop', '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        sign: { document: Buffer.from('x').toString('base64'), title: 'x' },
        kenhojo: ['my_number'],
        purpose: 'x',
      }),
    });
    expect(shop.status).toBe(403);
  });

  it('refuses a My Number request from a relying party not registered for it', async () => {
    const created = await rp('shop', '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        elements: [{ nameSpace: JP_NAMESPACE, elementIdentifier: 'individual_number_unicode' }],
        purpose: '会員登録',
      }),
    });
    expect(created.status).toBe(403);
    expect(await created.json()).toMatchObject({ error: { code: 'ERR_RP_NOT_AUTHORIZED' } });
  });

  it('refuses an answer that discloses more than was asked, and keeps none of it', async () => {
    const created = (await (
      await rp('shop', '/v1/presentations', {
        method: 'POST',
        body: JSON.stringify({
          elements: [{ nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' }],
          purpose: '年齢確認',
          responseMode: 'direct_post',
        }),
      })
    ).json()) as { id: string; link: string };
    const { response } = await walletAnswers(created.link, {
      [ISO_23220_NAMESPACE]: ['age_over_20'],
      [JP_NAMESPACE]: ['individual_number_unicode'],
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('ERR_PRESENTATION_REJECTED');
    const result = (await (await rp('shop', `/v1/presentations/${created.id}`)).json()) as {
      status: string;
      lastRejection: { check: string };
      claims?: unknown;
    };
    expect([result.status, result.lastRejection.check]).toEqual(['pending', 'request.consistency']);
    expect(result.claims).toBeUndefined();
  });

  it('refuses an unreadable answer without quoting it back, and leaves the request answerable', async () => {
    const created = (await (
      await rp('shop', '/v1/presentations', {
        method: 'POST',
        body: JSON.stringify({
          elements: [{ nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode' }],
          purpose: 'x',
          responseMode: 'direct_post',
        }),
      })
    ).json()) as { id: string; link: string };
    const request = await walletReadsRequest(created.link);
    for (const form of [{ vp_token: 'x123456789018' }, { vp_token: 'x123456789018', state: request.state! }]) {
      const posted = await fetch(`${base}/v1/presentations/${created.id}/response`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
      expect(posted.status).toBe(400);
      const error = (await posted.json()) as { error: { code: string; message: string } };
      expect(error.error.code).toBe('ERR_PRESENTATION_RESPONSE');
      expect(error.error.message).not.toContain('123456789018');
    }
    const view = (await (await rp('shop', `/v1/presentations/${created.id}`)).json()) as { status: string };
    expect(view.status).toBe('pending');
  });

  it('refuses an expired request, and reports it unanswered as failed (presentation.expired)', async () => {
    const created = (await (
      await rp('shop', '/v1/presentations', {
        method: 'POST',
        body: JSON.stringify({
          elements: [{ nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode' }],
          purpose: 'x',
        }),
      })
    ).json()) as { id: string };
    clock = new Date(clock.getTime() + 301_000);
    try {
      const late = await fetch(`${base}/v1/presentations/${created.id}/request`);
      expect(late.status).toBe(410);
      // The relying party, polling, learns that nobody will answer.
      const view = (await (await rp('shop', `/v1/presentations/${created.id}`)).json()) as {
        status: string;
        result?: { decidedBy?: { check: string } };
      };
      expect([view.status, view.result?.decidedBy?.check]).toEqual(['failed', 'presentation.expired']);
    } finally {
      clock = new Date();
    }
  });

  it('verifies a JPKI signature and refuses it once the phone is revoked', async () => {
    const phone = issuer.phones[1]!;
    const content = new TextEncoder().encode('申込書');
    const signedData = await signCms({
      content,
      signer: phone.keys.signing,
      certificate: base64ToBytes(phone.bundle.jpki.signingCertificate!),
      signingTime: clock,
    });
    const body = JSON.stringify({
      signedData: Buffer.from(signedData).toString('base64'),
      content: Buffer.from(content).toString('base64'),
    });
    const valid = (await (await rp('securities', '/v1/jpki/signatures/verify', { method: 'POST', body })).json()) as {
      status: string;
      signer: { name: string };
      record: { revocation: string };
    };
    expect(valid.status).toBe('valid');
    expect(valid.signer.name).toBe(registryPerson('verifier', PERSONS[1]).input.basicFourInfo.name);
    await changePhone(issuer.context, phone.bundle.phoneId, 'revoke', 'admin', '紛失');
    clock = new Date(clock.getTime() + 61_000);
    issuer.setClock(clock);
    const revoked = (await (await rp('securities', '/v1/jpki/signatures/verify', { method: 'POST', body })).json()) as {
      status: string;
      decidedBy: { check: string };
      signer?: unknown;
    };
    expect(revoked.status).toBe('invalid');
    expect(revoked.decidedBy.check).toMatch(/revocation/);
    expect(revoked.signer).toBeUndefined();
  });

  it('logs in with the phone’s authentication key, once per challenge', async () => {
    const phone = issuer.phones[0]!;
    const challenge = (await (await rp('securities', '/v1/jpki/login/challenges', { method: 'POST' })).json()) as {
      challengeId: string;
      challenge: string;
      clientId: string;
    };
    const body = JSON.stringify({
      challengeId: challenge.challengeId,
      certificate: phone.bundle.jpki.authenticationCertificate,
      signature: Buffer.from(
        await phone.keys.authentication.sign(
          loginStatement({ value: challenge.challenge, clientId: challenge.clientId }),
        ),
      ).toString('base64'),
    });
    const login = (await (await rp('securities', '/v1/jpki/login/verify', { method: 'POST', body })).json()) as {
      status: string;
      subject: string;
    };
    expect(login.status).toBe('valid');
    expect(login.subject).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const replay = (await (await rp('securities', '/v1/jpki/login/verify', { method: 'POST', body })).json()) as {
      decidedBy: { check: string };
    };
    expect(replay.decidedBy.check).toBe('login.challenge');
    // Another relying party cannot use this relying party's challenge.
    const elsewhere = (await (await rp('shop', '/v1/jpki/login/verify', { method: 'POST', body })).json()) as {
      decidedBy: { check: string; reason: string };
    };
    expect(elsewhere.decidedBy).toMatchObject({ check: 'login.challenge', reason: 'the challenge is unknown' });
  });

  it('limits each API key’s rate', async () => {
    const limited = service.makeApp({ perSecond: 0.001, capacity: 2 });
    const call = () =>
      limited.request('/v1/jpki/login/challenges', {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.shop.apiKey}` },
      });
    expect([(await call()).status, (await call()).status, (await call()).status]).toEqual([201, 201, 429]);
  });

  it('relays an in-person session between two peers over WebSocket', async () => {
    const session = newRelaySessionId();
    const url = `${base.replace('http', 'ws')}/relay/${session}`;
    const holder = new WebSocket(url);
    const reader = new WebSocket(url);
    await Promise.all([holder, reader].map((socket) => new Promise((resolve) => socket.once('open', resolve))));
    const received = new Promise<Buffer>((resolve) => holder.once('message', (data) => resolve(data as Buffer)));
    reader.send(Buffer.from([1, 2, 3]));
    expect([...(await received)]).toEqual([1, 2, 3]);
    holder.close();
    reader.close();
  });

  it('answers any engagement text it cannot use with ERR_ENGAGEMENT or ERR_VALIDATION, never a crash', async () => {
    const elements = [{ nameSpace: 'org.iso.23220.1.jp', elementIdentifier: 'full_name_unicode' }];
    // Its own instance, without the per-key rate limit in the way of 60 quick requests.
    const unlimited = service.makeApp({ perSecond: 100_000, capacity: 100_000 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 200 }).map((bytes) => `mdoc:${Buffer.from(bytes).toString('base64url')}`),
        ),
        async (engagement) => {
          const response = await unlimited.request('/v1/proximity-sessions', {
            method: 'POST',
            headers: { authorization: `Bearer ${keys.securities.apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ engagement, elements }),
          });
          const { error } = (await response.json()) as { error: { code: string } };
          expect(response.status).toBe(400);
          expect(['ERR_ENGAGEMENT', 'ERR_VALIDATION']).toContain(error.code);
        },
      ),
      { numRuns: 60 },
    );
    // Nothing was started.
    expect(await database.db.selectFrom('proximity_sessions').select('id').execute()).toHaveLength(0);
  });

  it('keeps no My Number in its audit log or its logs', async () => {
    const audit = await database.db.selectFrom('audit_log').selectAll().execute();
    expect(audit.length).toBeGreaterThan(5);
    for (const row of audit) expect(containsMyNumberToken(JSON.stringify(row))).toBe(false);
    await expect(database.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    expect(logs.length).toBeGreaterThan(10);
    for (const line of logs) expect(containsMyNumberToken(line)).toBe(false);
  });
});
