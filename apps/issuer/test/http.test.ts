import type { AddressInfo } from 'node:net';

import { serve, type ServerType } from '@hono/node-server';
import {
  certIdFor,
  encodeOcspRequest,
  parseCertificate,
  CRL_REASON,
  parseCrl,
  parseOcspResponse,
  SoftwareSigner,
} from '@openmyna/pki';
import {
  type CardRsaPublicKey,
  inProcessTransport,
  JpkiReader,
  KenhojoReader,
  lifecycleStatement,
  MemoryRetryCounterStore,
  openVirtualCard,
  pinResetStatement,
  verifyKenhojoRecords,
  verifyPinResetAuthorization,
  type VirtualCardDocument,
} from '@openmyna/card';
import { renderFacePhoto } from '@openmyna/core';
import { decodeIssuedMdoc, statusListChecker, verifyStatusListToken } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import {
  makeCardFaceIssuers,
  makeIssuerAuthorities,
  registryPerson,
  testRandom,
  makePinResetAuthority,
  personCreateBody,
  TEST_REGISTRY_KEY,
} from '../../../test-support/issuer-fixtures.js';
import { makeMdocHierarchy, type MdocHierarchy } from '../../../test-support/mdoc-fixtures.js';
import {
  b64,
  cardSigns,
  newPhoneRsaKeys,
  phoneCompletes,
  type PhoneRsaKeys,
} from '../../../test-support/phone-proofs.js';
import { createIssuerApp } from '../src/http/app.js';
import {
  ISSUER_MIGRATIONS,
  issueCertificateDurably,
  recordCard,
  type CardFaceIssuers,
  type IssuerContext,
  type IssuerSchema,
} from '../src/index.js';

const TOKEN = 'test-admin-token';
const registryPhoto = renderFacePhoto({ faceSeed: 5, sex: '1', age: 50 });
type Authorities = Awaited<ReturnType<typeof makeIssuerAuthorities>>;

describe.each(ENGINES)('issuer HTTP API on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let authorities: Authorities;
  let cardFace: CardFaceIssuers;
  let mdocHierarchy: MdocHierarchy;
  let caKeys: Map<string, CardRsaPublicKey>;
  let context: IssuerContext;
  let server: ServerType;
  let base: string;
  let logs: string[];
  // The whole test runs on this clock: the issuer's, the fixtures' validity and every verification.
  let clock = new Date('2026-11-27T03:00:00Z');

  beforeAll(async () => {
    database = await testDatabase<IssuerSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
    authorities = await makeIssuerAuthorities(clock);
    context = { db: database.db, clock: () => clock, randomBytes: testRandom, registryKey: TEST_REGISTRY_KEY };
    logs = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
    ({ cardFace, caKeys } = await makeCardFaceIssuers());
    mdocHierarchy = await makeMdocHierarchy(nodeMdocCrypto, { now: clock });
    // The app names its own status-list URL, so it is made once the port is known.
    let handle: (request: Request) => Response | Promise<Response> = () => new Response(null, { status: 503 });
    server = serve({ fetch: (request) => handle(request), port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const app = createIssuerApp({
      context,
      authorities,
      cardFace,
      mdoc: { documentSigner: mdocHierarchy.documentSigner, statusListUri: `${base}/mdoc/status/1` },
      pinResetAuthority: await makePinResetAuthority(base),
      adminToken: TOKEN,
      logger,
    });
    handle = (request) => app.fetch(request);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await database.dispose();
  });

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
    });
  const ocsp = async (
    hierarchy: 'signing' | 'authentication',
    der: Uint8Array,
    via: 'GET' | 'POST' = 'POST',
    url = base,
  ) => {
    const certificate = parseCertificate(der);
    const request = encodeOcspRequest([
      certIdFor(certificate, parseCertificate(authorities[hierarchy].ca.certificate)),
    ]);
    const response =
      via === 'POST'
        ? await fetch(`${url}/ocsp/${hierarchy}`, {
            method: 'POST',
            headers: { 'content-type': 'application/ocsp-request' },
            body: request as Uint8Array<ArrayBuffer>,
          })
        : await fetch(`${url}/ocsp/${hierarchy}/${encodeURIComponent(Buffer.from(request).toString('base64'))}`);
    expect(response.headers.get('content-type')).toBe('application/ocsp-response');
    return parseOcspResponse(new Uint8Array(await response.arrayBuffer())).basic!.responses[0]!.certStatus.status;
  };

  it('serves its OpenAPI 3.1 document, health and metrics', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/admin/persons', '/admin/persons/{id}', '/crl/{hierarchy}/{partition}', '/healthz']),
    );
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/issuer_http_requests_total\{route="\/healthz",status="200"\} 1/);
  });

  it('answers every error with one envelope and never echoes a rejected value', async () => {
    const unauthorized = await fetch(`${base}/admin/persons/P0000001`);
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toEqual({
      error: { code: 'ERR_UNAUTHORIZED', message: 'an admin bearer token is required' },
    });
    const wrongToken = await fetch(`${base}/admin/persons/P0000001`, { headers: { authorization: 'Bearer nope' } });
    expect(wrongToken.status).toBe(401);
    const { input } = registryPerson('http', 1);
    const bad = await admin('/admin/persons', {
      method: 'POST',
      body: JSON.stringify({
        ...input,
        name: input.basicFourInfo.name,
        address: input.basicFourInfo.address,
        birthDate: '1980-02-17',
        sex: '1',
        photo: '',
        myNumber: '12345678901X',
      }),
    });
    expect(bad.status).toBe(400);
    const body = await bad.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    expect(body).not.toContain('12345678901X');
    expect((await admin('/admin/persons/P7777777')).status).toBe(404);
    expect(await (await fetch(`${base}/nope`)).json()).toEqual({
      error: { code: 'ERR_NOT_FOUND', message: 'no such endpoint' },
    });
  });

  it('answers a browser on another origin for OCSP, CRLs and the status list only, without credentials', async () => {
    const origin = 'https://wallet.example';
    // OCSP POST with application/ocsp-request is not a simple request: the browser asks first.
    const preflight = await fetch(`${base}/ocsp/authentication`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,accept');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    // A header the endpoint does not take is not echoed back as allowed.
    const stranger = await fetch(`${base}/crl/signing/13101.crl`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(stranger.headers.get('access-control-allow-headers')).toBe('accept');
    const crl = await fetch(`${base}/crl/signing/13101.crl`, { headers: { origin } });
    expect(crl.status).toBe(200);
    expect(crl.headers.get('access-control-allow-origin')).toBe('*');
    expect(parseCrl(new Uint8Array(await crl.arrayBuffer())).revoked.size).toBe(0);
    const statusList = await fetch(`${base}/mdoc/status/1`, { headers: { origin } });
    expect(statusList.headers.get('access-control-allow-origin')).toBe('*');
    // The admin API, the health check and the metrics stay same-origin: no CORS header, even on a preflight.
    for (const path of ['/admin/persons/P0000001', '/healthz', '/metrics']) {
      expect((await admin(path, { headers: { origin } })).headers.get('access-control-allow-origin')).toBeNull();
      const asked = await fetch(`${base}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(asked.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('registers a person, and an address change shows as revoked in OCSP and the next CRL', async () => {
    const { input, holder } = registryPerson('http', 2);
    const body = personCreateBody(input, { birthDate: '1980-02-17' });
    const created = await admin('/admin/persons', { method: 'POST', body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    expect((await admin('/admin/persons', { method: 'POST', body: JSON.stringify(body) })).status).toBe(409);
    const view = (await (await admin(`/admin/persons/${input.id}`)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ id: input.id, myNumberLast4: input.myNumber.slice(-4), version: 1 });
    expect(JSON.stringify(view)).not.toContain(input.myNumber);

    const card = await recordCard(context, { personId: input.id, expiresOn: '2035-01-01', actor: 'test' });
    const key = await SoftwareSigner.generate();
    const issue = (hierarchy: 'signing' | 'authentication') =>
      issueCertificateDurably(context, {
        ca: authorities[hierarchy].ca,
        hierarchy,
        request: {
          profile: hierarchy === 'signing' ? 'jpki-signing' : 'jpki-authentication',
          subjectPublicKeyInfo: key.publicKeyInfo,
          holder,
          issuedAt: clock,
        },
        holder: { personId: input.id, cardId: card },
        actor: 'test',
      });
    const signing = await issue('signing');
    const authentication = await issue('authentication');
    expect(await ocsp('signing', signing)).toBe('good');
    expect(await ocsp('signing', signing, 'GET')).toBe('good');
    const partition = `${input.municipalityCode.slice(0, 5)}.crl`;
    const before = parseCrl(new Uint8Array(await (await fetch(`${base}/crl/signing/${partition}`)).arrayBuffer()));
    expect(before.revoked.size).toBe(0);

    const patched = await admin(`/admin/persons/${input.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ address: '東京都千代田区永田町１－７－１', reason: '転居届' }),
    });
    expect(patched.status).toBe(200);
    const { revoked } = (await patched.json()) as { revoked: string[] };
    expect(revoked).toEqual([
      parseCertificate(signing).serialNumber.reduce((hex, byte) => hex + byte.toString(16).padStart(2, '0'), ''),
    ]);
    // This instance invalidated its cache: OCSP says revoked at once; the auth certificate stays good.
    expect(await ocsp('signing', signing)).toBe('revoked');
    expect(await ocsp('authentication', authentication)).toBe('good');
    // The next CRL (after the cache period) lists it, with a higher CRL number.
    clock = new Date(clock.getTime() + 61_000);
    const crlResponse = await fetch(`${base}/crl/signing/${partition}`);
    expect(crlResponse.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const after = parseCrl(new Uint8Array(await crlResponse.arrayBuffer()));
    expect([...after.revoked.keys()]).toEqual(revoked);
    expect(after.crlNumber! > before.crlNumber!).toBe(true);

    // Another instance over the same database sees it within 60 seconds.
    const other = createIssuerApp({
      context: { ...context, clock: () => clock },
      authorities,
      cardFace,
      mdoc: { documentSigner: mdocHierarchy.documentSigner, statusListUri: `${base}/mdoc/status/1` },
      pinResetAuthority: await makePinResetAuthority(base),
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
    });
    const otherServer = serve({ fetch: other.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => otherServer.once('listening', resolve));
    const otherBase = `http://127.0.0.1:${(otherServer.address() as AddressInfo).port}`;
    expect(await ocsp('authentication', authentication, 'POST', otherBase)).toBe('good');
    const lost = await admin(`/admin/cards/${card}/lost`, {
      method: 'POST',
      body: JSON.stringify({ reason: '紛失届' }),
    });
    expect(((await lost.json()) as { revoked: string[] }).revoked).toHaveLength(1);
    expect(await ocsp('authentication', authentication, 'POST', otherBase)).toBe('good');
    clock = new Date(clock.getTime() + 60_001);
    expect(await ocsp('authentication', authentication, 'POST', otherBase)).toBe('revoked');
    await new Promise((resolve) => otherServer.close(resolve));
  });

  it('issues a virtual card whose certificates are on record, answer OCSP, and end with the card', async () => {
    const { input } = registryPerson('http', 5);
    await admin('/admin/persons', {
      method: 'POST',
      body: JSON.stringify(personCreateBody(input, { birthDate: '1975-05-05', photo: registryPhoto })),
    });
    const badPins = await admin(`/admin/persons/${input.id}/cards`, {
      method: 'POST',
      body: JSON.stringify({ authenticationPin: '12', signingPassword: 'OPENMYNA1', kenhojoPin: '1234' }),
    });
    expect(badPins.status).toBe(400);
    expect(await badPins.text()).not.toContain('OPENMYNA1');
    const response = await admin(`/admin/persons/${input.id}/cards`, {
      method: 'POST',
      body: JSON.stringify({ authenticationPin: '1234', signingPassword: 'OPENMYNA1', kenhojoPin: '5678' }),
    });
    expect(response.status, await response.clone().text()).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const issued = (await response.json()) as {
      cardId: string;
      passphrase: string;
      securityCode: string;
      card: VirtualCardDocument;
    };
    expect(issued.securityCode).toMatch(/^\d{4}$/);

    // The card opens with its passphrase and reads like a card; its certificates are the registry's.
    const card = await openVirtualCard({
      document: issued.card,
      passphrase: issued.passphrase,
      store: () => new MemoryRetryCounterStore(),
    });
    const jpki = new JpkiReader(inProcessTransport(card));
    await jpki.select();
    const authentication = await jpki.readCertificate('authentication');
    const rows = await database.db
      .selectFrom('certificates')
      .select(['serial', 'status', 'hierarchy'])
      .where('card_id', '=', issued.cardId)
      .execute();
    expect(rows.map((row) => row.hierarchy).sort()).toEqual(['authentication', 'signing']);
    expect(rows.every((row) => row.status === 'issued')).toBe(true);
    expect(await ocsp('authentication', authentication)).toBe('good');
    const kenhojo = new KenhojoReader(inProcessTransport(card));
    await kenhojo.select();
    await kenhojo.verify('pin', '5678');
    const records = {
      myNumberFile: await kenhojo.readMyNumberFile(),
      basicFourInfoFile: await kenhojo.readBasicFourInfoFile(),
      integrityRecord: await kenhojo.readIntegrityRecord(),
      cvCertificate: await kenhojo.readCvCertificate(),
    };
    expect(verifyKenhojoRecords(records, caKeys).status).toBe('valid');

    await admin(`/admin/cards/${issued.cardId}/lost`, { method: 'POST', body: JSON.stringify({ reason: '紛失届' }) });
    expect(await ocsp('authentication', authentication)).toBe('revoked');
  });

  /** Registers synthetic person `index`, issues their card and provisions a phone, all over HTTP. */
  const provisionOverHttp = async (index: number, keys?: PhoneRsaKeys) => {
    const { input } = registryPerson('http', index);
    await admin('/admin/persons', {
      method: 'POST',
      body: JSON.stringify(personCreateBody(input, { birthDate: '1970-06-06', photo: registryPhoto })),
    });
    const issued = (await (
      await admin(`/admin/persons/${input.id}/cards`, {
        method: 'POST',
        body: JSON.stringify({ authenticationPin: '1234', signingPassword: 'OPENMYNA1', kenhojoPin: '1234' }),
      })
    ).json()) as { cardId: string; passphrase: string; card: VirtualCardDocument };
    const session = (await (await fetch(`${base}/provisioning/sessions`, { method: 'POST' })).json()) as {
      sessionId: string;
      nonce: string;
    };
    const body = await phoneCompletes(issued.card, issued.passphrase, session.nonce, keys ? { keys } : {});
    const completed = await fetch(`${base}/provisioning/sessions/${session.sessionId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(completed.status, await completed.clone().text()).toBe(200);
    const bundle = (await completed.json()) as {
      phoneId: string;
      jpki: { authenticationCertificate: string };
      mdoc: string;
      pinResetAuthority: { issuer: string; publicJwk: JsonWebKey };
    };
    return { issued, session, body, bundle, personId: input.id };
  };

  it('provisions a phone over HTTP, and a revoked phone shows in OCSP and in the mdoc status list', async () => {
    const { session, body, bundle, personId } = await provisionOverHttp(6);
    const phonesOf = async () =>
      (
        (await (await admin(`/admin/persons/${personId}/phones`)).json()) as {
          phones: { id: string; status: string }[];
        }
      ).phones;
    expect(await phonesOf()).toMatchObject([{ id: bundle.phoneId, status: 'active' }]);
    expect((await admin('/admin/persons/P9999999/phones')).status).toBe(404);
    const replay = await fetch(`${base}/provisioning/sessions/${session.sessionId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: { code: 'ERR_PROVISIONING_REPLAYED' } });

    const phoneAuth = new Uint8Array(Buffer.from(bundle.jpki.authenticationCertificate, 'base64'));
    expect(await ocsp('authentication', phoneAuth)).toBe('good');
    const mdoc = decodeIssuedMdoc(new Uint8Array(Buffer.from(bundle.mdoc, 'base64')));
    const statusUri = `${base}/mdoc/status/1`;
    const token = new Uint8Array(await (await fetch(statusUri)).arrayBuffer());
    expect(
      (
        await verifyStatusListToken({
          token,
          uri: statusUri,
          anchors: [mdocHierarchy.iaca.anchor],
          time: clock,
          crypto: nodeMdocCrypto,
        })
      ).statusList,
    ).toBeDefined();
    void mdoc;

    const revoked = await admin(`/admin/phones/${bundle.phoneId}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: '紛失（スマホ）' }),
    });
    expect(((await revoked.json()) as { serials: string[] }).serials).toHaveLength(2);
    expect(await phonesOf()).toMatchObject([{ id: bundle.phoneId, status: 'revoked' }]);
    expect(await ocsp('authentication', phoneAuth)).toBe('revoked');
    const checker = statusListChecker({
      fetch: (url, init) => fetch(url, init),
      anchors: [mdocHierarchy.iaca.anchor],
      crypto: nodeMdocCrypto,
      clock: () => clock,
    });
    const index = (
      await database.db
        .selectFrom('records')
        .select('status_index')
        .where('phone_id', '=', bundle.phoneId)
        .where('kind', '=', 'mdoc')
        .executeTakeFirstOrThrow()
    ).status_index!;
    expect(await checker({ idx: index, uri: statusUri })).toBe('invalid');
    expect(
      (await admin(`/admin/phones/${bundle.phoneId}/resume`, { method: 'POST', body: JSON.stringify({ reason: 'x' }) }))
        .status,
    ).toBe(409);
  });

  it('lets the holder suspend the phone with its key and resume it with the card, and reset a PIN, over HTTP', async () => {
    const keys = await newPhoneRsaKeys();
    const { issued, bundle } = await provisionOverHttp(7, keys);
    const phoneAuth = new Uint8Array(Buffer.from(bundle.jpki.authenticationCertificate, 'base64'));
    const post = (path: string, json: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
    const challenge = async (purpose: 'lifecycle' | 'pin-reset') => {
      const response = await post(`/phones/${bundle.phoneId}/challenges`, { purpose });
      expect(response.status).toBe(201);
      return (await response.json()) as { challengeId: string; nonce: string };
    };

    const suspend = await challenge('lifecycle');
    const suspended = await post(`/phones/${bundle.phoneId}/lifecycle`, {
      challengeId: suspend.challengeId,
      action: 'suspend',
      proof: {
        kind: 'phone-authentication',
        signature: b64(
          await keys.authentication.sign(
            lifecycleStatement({ phoneId: bundle.phoneId, action: 'suspend', nonce: suspend.nonce }),
          ),
        ),
      },
    });
    expect(suspended.status, await suspended.clone().text()).toBe(200);
    expect(await ocsp('authentication', phoneAuth)).toBe('revoked');

    const resume = await challenge('lifecycle');
    const cardProof = await cardSigns(
      issued.card,
      issued.passphrase,
      'authentication',
      lifecycleStatement({ phoneId: bundle.phoneId, action: 'resume', nonce: resume.nonce }),
    );
    const resumed = await post(`/phones/${bundle.phoneId}/lifecycle`, {
      challengeId: resume.challengeId,
      action: 'resume',
      proof: { kind: 'card-authentication', ...cardProof },
    });
    expect(resumed.status, await resumed.clone().text()).toBe(200);
    expect(await ocsp('authentication', phoneAuth)).toBe('good');

    const reset = await challenge('pin-reset');
    const phoneNonce = 'http-phone-nonce-0123456789';
    const request = {
      pins: ['jpki/0018'],
      phoneNonce,
      ...(await cardSigns(
        issued.card,
        issued.passphrase,
        'signing',
        pinResetStatement({ phoneId: bundle.phoneId, pins: ['jpki/0018'], phoneNonce, nonce: reset.nonce }),
      ).then(({ certificate, signature }) => ({ cardSigningCertificate: certificate, signature }))),
    };
    const authorized = await post(`/phones/${bundle.phoneId}/pin-resets`, {
      challengeId: reset.challengeId,
      ...request,
    });
    expect(authorized.status, await authorized.clone().text()).toBe(200);
    expect(authorized.headers.get('cache-control')).toBe('no-store');
    const { authorization } = (await authorized.json()) as { authorization: string };
    const claims = await verifyPinResetAuthorization(authorization, {
      authority: bundle.pinResetAuthority.publicJwk,
      phoneId: bundle.phoneId,
      nonce: phoneNonce,
      now: clock,
    });
    expect(claims.pins).toEqual(['jpki/0018']);
    const replayed = await post(`/phones/${bundle.phoneId}/pin-resets`, { challengeId: reset.challengeId, ...request });
    expect(replayed.status).toBe(409);
    expect(await replayed.json()).toMatchObject({ error: { code: 'ERR_HOLDER_CHALLENGE_REPLAYED' } });
  });

  it('shows a new phone superseding the old one, and a lost card ending its phone, in OCSP and the next CRL', async () => {
    const first = await provisionOverHttp(8);
    const firstAuth = new Uint8Array(Buffer.from(first.bundle.jpki.authenticationCertificate, 'base64'));
    expect(await ocsp('authentication', firstAuth)).toBe('good');
    const session = (await (await fetch(`${base}/provisioning/sessions`, { method: 'POST' })).json()) as {
      sessionId: string;
      nonce: string;
    };
    const second = await fetch(`${base}/provisioning/sessions/${session.sessionId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await phoneCompletes(first.issued.card, first.issued.passphrase, session.nonce)),
    });
    expect(second.status).toBe(200);
    const secondAuth = new Uint8Array(
      Buffer.from(
        ((await second.json()) as { jpki: { authenticationCertificate: string } }).jpki.authenticationCertificate,
        'base64',
      ),
    );
    expect(await ocsp('authentication', firstAuth)).toBe('revoked');
    expect(await ocsp('authentication', secondAuth)).toBe('good');
    const partition = `${registryPerson('http', 8).input.municipalityCode.slice(0, 5)}.crl`;
    clock = new Date(clock.getTime() + 61_000);
    const crl = parseCrl(new Uint8Array(await (await fetch(`${base}/crl/authentication/${partition}`)).arrayBuffer()));
    const firstSerial = Buffer.from(parseCertificate(firstAuth).serialNumber).toString('hex');
    expect(crl.revoked.get(firstSerial)?.reason).toBe(CRL_REASON.superseded);

    await admin(`/admin/cards/${first.issued.cardId}/lost`, {
      method: 'POST',
      body: JSON.stringify({ reason: '紛失届' }),
    });
    expect(await ocsp('authentication', secondAuth)).toBe('revoked');
    clock = new Date(clock.getTime() + 61_000);
    const next = parseCrl(new Uint8Array(await (await fetch(`${base}/crl/authentication/${partition}`)).arrayBuffer()));
    expect(next.revoked.get(Buffer.from(parseCertificate(secondAuth).serialNumber).toString('hex'))?.reason).toBe(
      CRL_REASON.keyCompromise,
    );
  });

  it('logs requests as JSON without bodies or secrets', () => {
    const lines = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((line) => typeof line['route'] === 'string' || line['msg'] !== 'request')).toBe(true);
    const { input } = registryPerson('http', 2);
    expect(logs.join('\n')).not.toContain(input.myNumber);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });
});
