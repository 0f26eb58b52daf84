import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

import { serve, type ServerType } from '@hono/node-server';
import { type VirtualCardDocument } from '@openmyna/card';
import { renderFacePhoto } from '@openmyna/core';
import { decodeIssuedMdoc, decodeMobileSecurityObject, TOKEN_STATUS, verifyStatusListToken } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { certIdFor, encodeOcspRequest, parseCertificate, parseCrl, parseOcspResponse } from '@openmyna/pki';
import { migrate, openDatabase, type OpenedDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TEST_PG_URL, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import {
  makeCardFaceIssuers,
  makeIssuerAuthorities,
  makePinResetAuthority,
  personCreateBody,
  registryPerson,
  TEST_REGISTRY_KEY,
  testRandom,
} from '../../../test-support/issuer-fixtures.js';
import { makeMdocHierarchy, type MdocHierarchy } from '../../../test-support/mdoc-fixtures.js';
import { phoneCompletes } from '../../../test-support/phone-proofs.js';
import { timeoutFor } from '../../../test-support/timeouts.js';
import { createIssuerApp } from '../src/http/app.js';
import { ISSUER_MIGRATIONS, PostgresStatusListener, type IssuerSchema } from '../src/index.js';

const TOKEN = 'test-admin-token';
/** What the issue asks: a change made on one instance is in every instance's answers within a second. */
const VISIBLE_WITHIN_MS = 1_000;
/** Each test registers one to three people, issues their cards and provisions their phones. */
const PROVISIONING_TIMEOUT = timeoutFor({ 'card and phone': [3, 2_500] });
const photo = renderFacePhoto({ faceSeed: 7, sex: '2', age: 40 });
type Authorities = Awaited<ReturnType<typeof makeIssuerAuthorities>>;

/** Polls `check` until it holds or `deadlineMs` passed; resolves with whether it held. */
async function eventually(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

interface Instance {
  readonly base: string;
  readonly listener: PostgresStatusListener;
  readonly database: OpenedDatabase<IssuerSchema>;
  readonly server: ServerType;
}

// The whole file runs on the machine's clock: the fixtures are made around it.
describe('two issuer instances over one PostgreSQL', () => {
  const now = new Date();
  let shared: TestDatabase<IssuerSchema>;
  let authorities: Authorities;
  let mdocHierarchy: MdocHierarchy;
  let a: Instance;
  let b: Instance;

  /** One instance: its own pool, its own listener, its own HTTP server, over the shared schema. */
  let cardFace: Awaited<ReturnType<typeof makeCardFaceIssuers>>['cardFace'];
  const startInstance = async (
    listenerUrl = TEST_PG_URL,
    onError?: (error: unknown) => void,
    heartbeatMilliseconds?: number,
  ) => {
    const database = openDatabase<IssuerSchema>(TEST_PG_URL, { schema: shared.schema! });
    const listener = new PostgresStatusListener({
      url: listenerUrl,
      schema: shared.schema!,
      retryMilliseconds: 50,
      ...(onError ? { onError } : {}),
      ...(heartbeatMilliseconds ? { heartbeatMilliseconds } : {}),
    });
    await listener.start();
    let handle: (request: Request) => Response | Promise<Response> = () => new Response(null, { status: 503 });
    const server = serve({ fetch: (request) => handle(request), port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const app = createIssuerApp({
      context: { db: database.db, clock: () => new Date(), randomBytes: testRandom, registryKey: TEST_REGISTRY_KEY },
      authorities,
      cardFace,
      mdoc: { documentSigner: mdocHierarchy.documentSigner, statusListUri: 'https://issuer.example/mdoc/status/1' },
      pinResetAuthority: await makePinResetAuthority('https://issuer.example'),
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      statusChanges: listener,
    });
    handle = (request) => app.fetch(request);
    return { base, listener, database, server };
  };

  beforeAll(
    async () => {
      shared = await testDatabase<IssuerSchema>('postgres');
      await migrate(shared.db as Kysely<unknown>, shared.engine, ISSUER_MIGRATIONS);
      authorities = await makeIssuerAuthorities(now);
      mdocHierarchy = await makeMdocHierarchy(nodeMdocCrypto, { now });
      ({ cardFace } = await makeCardFaceIssuers());
      a = await startInstance();
      b = await startInstance();
    },
    timeoutFor({ 'authorities and two instances': [1, 5_000] }),
  );
  afterAll(async () => {
    for (const instance of [a, b]) {
      await new Promise((resolve) => instance.server.close(resolve));
      await instance.listener.close();
      await instance.database.close();
    }
    await shared.dispose();
  });

  const admin = (instance: Instance, path: string, body: unknown, method = 'POST') =>
    fetch(`${instance.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const ocsp = async (instance: Instance, hierarchy: 'signing' | 'authentication', der: Uint8Array) => {
    const request = encodeOcspRequest([
      certIdFor(parseCertificate(der), parseCertificate(authorities[hierarchy].ca.certificate)),
    ]);
    const response = await fetch(`${instance.base}/ocsp/${hierarchy}`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: request as Uint8Array<ArrayBuffer>,
    });
    return parseOcspResponse(new Uint8Array(await response.arrayBuffer())).basic!.responses[0]!.certStatus.status;
  };
  const crlLists = async (instance: Instance, hierarchy: 'signing' | 'authentication', der: Uint8Array) => {
    const certificate = parseCertificate(der);
    const partition = await shared.db
      .selectFrom('certificates')
      .select('municipality_code')
      .where('serial', '=', hex(certificate.serialNumber))
      .executeTakeFirstOrThrow();
    const response = await fetch(`${instance.base}/crl/${hierarchy}/${partition.municipality_code}.crl`);
    return parseCrl(new Uint8Array(await response.arrayBuffer())).revoked.has(hex(certificate.serialNumber));
  };
  const mdocStatus = async (instance: Instance, index: number) => {
    const token = new Uint8Array(await (await fetch(`${instance.base}/mdoc/status/1`)).arrayBuffer());
    const { statusList } = await verifyStatusListToken({
      token,
      uri: 'https://issuer.example/mdoc/status/1',
      anchors: [mdocHierarchy.iaca.anchor],
      time: new Date(),
      crypto: nodeMdocCrypto,
    });
    return statusList!.list.get(index);
  };

  /** Registers person `index` on instance A, issues their card there and provisions a phone. */
  const provisionOnA = async (index: number) => {
    const { input } = registryPerson('status-changes', index);
    expect((await admin(a, '/admin/persons', personCreateBody(input, { birthDate: '1970-06-06', photo }))).status).toBe(
      201,
    );
    const card = (await (
      await admin(a, `/admin/persons/${input.id}/cards`, {
        authenticationPin: '1234',
        signingPassword: 'OPENMYNA1',
        kenhojoPin: '1234',
      })
    ).json()) as { cardId: string; passphrase: string; card: VirtualCardDocument };
    return { personId: input.id, card, ...(await provisionPhoneOnA(card)) };
  };

  /** Provisions a phone from `card` on instance A (one phone per person: an earlier one is revoked). */
  const provisionPhoneOnA = async (card: { passphrase: string; card: VirtualCardDocument }) => {
    const session = (await (await fetch(`${a.base}/provisioning/sessions`, { method: 'POST' })).json()) as {
      sessionId: string;
      nonce: string;
    };
    const completed = await admin(
      a,
      `/provisioning/sessions/${session.sessionId}/complete`,
      await phoneCompletes(card.card, card.passphrase, session.nonce),
    );
    expect(completed.status, await completed.clone().text()).toBe(200);
    const bundle = (await completed.json()) as {
      phoneId: string;
      jpki: { authenticationCertificate: string };
      mdoc: string;
    };
    const mso = decodeMobileSecurityObject(
      decodeIssuedMdoc(new Uint8Array(Buffer.from(bundle.mdoc, 'base64'))).issuerSigned.issuerAuth.payload,
    );
    return {
      phoneId: bundle.phoneId,
      authentication: new Uint8Array(Buffer.from(bundle.jpki.authenticationCertificate, 'base64')),
      statusIndex: mso.status!.idx,
    };
  };

  /** Revokes a phone's certificates and the phone behind every trigger's back (replication role). */
  const revokeSilently = async (phoneId: string) => {
    const silent = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${shared.schema!}` });
    await silent.connect();
    try {
      await silent.query('set session_replication_role = replica');
      const now = new Date().toISOString();
      await silent.query(
        "update certificates set status = 'revoked', reason = 'keyCompromise', revoked_at = $1 where phone_id = $2",
        [now, phoneId],
      );
      await silent.query("update phones set status = 'revoked', updated_at = $1 where id = $2", [now, phoneId]);
    } finally {
      await silent.end();
    }
  };

  it(
    "shows a phone revoked through instance A in B's OCSP, CRL and status list within a second",
    async () => {
      const phone = await provisionOnA(1);
      // B has answered, and cached, the phone as good everywhere.
      expect(await ocsp(b, 'authentication', phone.authentication)).toBe('good');
      expect(await crlLists(b, 'authentication', phone.authentication)).toBe(false);
      expect(await mdocStatus(b, phone.statusIndex)).toBe(TOKEN_STATUS.valid);

      expect((await admin(a, `/admin/phones/${phone.phoneId}/revoke`, { reason: '紛失（スマホ）' })).status).toBe(200);
      const seenByB = async () =>
        (await ocsp(b, 'authentication', phone.authentication)) === 'revoked' &&
        (await crlLists(b, 'authentication', phone.authentication)) &&
        (await mdocStatus(b, phone.statusIndex)) === TOKEN_STATUS.invalid;
      expect(await eventually(seenByB, VISIBLE_WITHIN_MS)).toBe(true);
    },
    PROVISIONING_TIMEOUT,
  );

  it(
    'shows suspend and resume through A in B within a second each',
    async () => {
      const phone = await provisionOnA(2);
      expect(await ocsp(b, 'authentication', phone.authentication)).toBe('good');
      expect(await mdocStatus(b, phone.statusIndex)).toBe(TOKEN_STATUS.valid);
      expect((await admin(a, `/admin/phones/${phone.phoneId}/suspend`, { reason: '一時停止' })).status).toBe(200);
      const suspended = async () =>
        (await ocsp(b, 'authentication', phone.authentication)) === 'revoked' &&
        (await mdocStatus(b, phone.statusIndex)) === TOKEN_STATUS.suspended;
      expect(await eventually(suspended, VISIBLE_WITHIN_MS)).toBe(true);
      expect((await admin(a, `/admin/phones/${phone.phoneId}/resume`, { reason: '再開' })).status).toBe(200);
      const resumed = async () =>
        (await ocsp(b, 'authentication', phone.authentication)) === 'good' &&
        (await mdocStatus(b, phone.statusIndex)) === TOKEN_STATUS.valid;
      expect(await eventually(resumed, VISIBLE_WITHIN_MS)).toBe(true);
    },
    PROVISIONING_TIMEOUT,
  );

  it(
    'shows a phone superseded by a new one provisioned on A, and a lost card ending it, in B within a second',
    async () => {
      const first = await provisionOnA(6);
      expect(await ocsp(b, 'authentication', first.authentication)).toBe('good');
      expect(await mdocStatus(b, first.statusIndex)).toBe(TOKEN_STATUS.valid);
      const second = await provisionPhoneOnA(first.card);
      expect(await ocsp(b, 'authentication', second.authentication)).toBe('good');
      const superseded = async () =>
        (await ocsp(b, 'authentication', first.authentication)) === 'revoked' &&
        (await mdocStatus(b, first.statusIndex)) === TOKEN_STATUS.invalid;
      expect(await eventually(superseded, VISIBLE_WITHIN_MS)).toBe(true);

      expect((await admin(a, `/admin/cards/${first.card.cardId}/lost`, { reason: '紛失届' })).status).toBe(200);
      const ended = async () =>
        (await ocsp(b, 'authentication', second.authentication)) === 'revoked' &&
        (await crlLists(b, 'authentication', second.authentication)) &&
        (await mdocStatus(b, second.statusIndex)) === TOKEN_STATUS.invalid;
      expect(await eventually(ended, VISIBLE_WITHIN_MS)).toBe(true);
    },
    PROVISIONING_TIMEOUT,
  );

  it(
    "drops B's caches when its listening connection is killed, and is told of changes again once back",
    async () => {
      const phone = await provisionOnA(3);
      expect(await ocsp(b, 'authentication', phone.authentication)).toBe('good');
      expect(await crlLists(b, 'authentication', phone.authentication)).toBe(false);
      // A change no trigger announces (replication role): B's cached answers go stale.
      await revokeSilently(phone.phoneId);
      expect(await ocsp(b, 'authentication', phone.authentication)).toBe('good');

      const superuser = new pg.Client({ connectionString: TEST_PG_URL });
      await superuser.connect();
      try {
        await superuser.query('select pg_terminate_backend($1)', [b.listener.backendPid!]);
      } finally {
        await superuser.end();
      }
      // Losing the connection dropped every cache: B answers from the registry.
      const fromRegistry = async () =>
        (await ocsp(b, 'authentication', phone.authentication)) === 'revoked' &&
        (await crlLists(b, 'authentication', phone.authentication));
      expect(await eventually(fromRegistry, VISIBLE_WITHIN_MS)).toBe(true);

      // Listening again, B is told of the next change as before.
      expect(await eventually(() => Promise.resolve(b.listener.listening), 30_000)).toBe(true);
      const next = await provisionOnA(4);
      expect(await ocsp(b, 'authentication', next.authentication)).toBe('good');
      expect((await admin(a, `/admin/phones/${next.phoneId}/revoke`, { reason: '紛失（スマホ）' })).status).toBe(200);
      expect(
        await eventually(
          async () => (await ocsp(b, 'authentication', next.authentication)) === 'revoked',
          VISIBLE_WITHIN_MS,
        ),
      ).toBe(true);
    },
    PROVISIONING_TIMEOUT,
  );

  it(
    'caches nothing while it cannot listen, and keeps trying',
    async () => {
      const errors: unknown[] = [];
      const c = await startInstance('postgres://postgres@127.0.0.1:1/none', (error) => errors.push(error));
      try {
        expect(c.listener.listening).toBe(false);
        const phone = await provisionOnA(5);
        expect(await ocsp(c, 'authentication', phone.authentication)).toBe('good');
        expect(await crlLists(c, 'authentication', phone.authentication)).toBe(false);
        expect(await mdocStatus(c, phone.statusIndex)).toBe(TOKEN_STATUS.valid);
        await revokeSilently(phone.phoneId);
        // Unannounced, yet seen at once: every answer was read from the registry.
        expect(await ocsp(c, 'authentication', phone.authentication)).toBe('revoked');
        expect(await crlLists(c, 'authentication', phone.authentication)).toBe(true);
        expect(await mdocStatus(c, phone.statusIndex)).toBe(TOKEN_STATUS.invalid);
        expect(await eventually(() => Promise.resolve(errors.length >= 2), 30_000)).toBe(true);
      } finally {
        await new Promise((resolve) => c.server.close(resolve));
        await c.listener.close();
        await c.database.close();
      }
    },
    PROVISIONING_TIMEOUT,
  );

  it(
    'drops the caches when its listening connection silently stops answering',
    async () => {
      // A TCP relay to PostgreSQL for the listener alone; frozen, it keeps its connections open and carries nothing.
      const postgres = new URL(TEST_PG_URL);
      const relayed: Socket[] = [];
      let frozen = false;
      const relay = createServer((socket) => {
        const upstream = connect(Number(postgres.port || 5432), postgres.hostname);
        relayed.push(socket, upstream);
        for (const [from, to] of [
          [socket, upstream],
          [upstream, socket],
        ] as const) {
          from.on('data', (chunk) => void (frozen ? undefined : to.write(chunk)));
          from.on('error', () => to.destroy());
          from.on('close', () => to.destroy());
        }
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      const port = (relay.address() as AddressInfo).port;
      const target = new URL(TEST_PG_URL);
      target.host = `127.0.0.1:${port}`;
      const errors: unknown[] = [];
      const d = await startInstance(target.href, (error) => errors.push(error), 200);
      try {
        expect(d.listener.listening).toBe(true);
        const phone = await provisionOnA(7);
        expect(await ocsp(d, 'authentication', phone.authentication)).toBe('good');
        await revokeSilently(phone.phoneId);
        expect(await ocsp(d, 'authentication', phone.authentication)).toBe('good');
        frozen = true;
        // The heartbeat goes unanswered: D drops what it cached and answers from the registry.
        const fromRegistry = async () => (await ocsp(d, 'authentication', phone.authentication)) === 'revoked';
        expect(await eventually(fromRegistry, 10_000)).toBe(true);
        // Its reconnections hang too, and time out: it keeps trying rather than waiting for ever.
        expect(await eventually(() => Promise.resolve(errors.length >= 3), 10_000)).toBe(true);
        expect(d.listener.listening).toBe(false);
      } finally {
        await new Promise((resolve) => d.server.close(resolve));
        await d.listener.close();
        await d.database.close();
        for (const socket of relayed) socket.destroy();
        await new Promise((resolve) => relay.close(resolve));
      }
    },
    PROVISIONING_TIMEOUT,
  );
});
