import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, type TestDatabase } from '../../../../test-support/databases.js';
import { registryPerson } from '../../../../test-support/issuer-fixtures.js';
import { postAnswer, signAndReadAnswer, walletReadsRequest } from '../../../../test-support/verifier-answers.js';
import { issuerWithPhones } from '../../../../test-support/verifier-fixtures.js';
import { countStatuses, fuzzEveryRoute, openApiRoutes } from '../../../../test-support/route-fuzz.js';
import { startVerifierService, VERIFIER_ADMIN, type DemoParty } from '../../../../test-support/verifier-service.js';
import { PROCESSING_GRACE_SECONDS, repairInterruptedPresentations, type VerifierSchema } from '../../src/index.js';

/*
 * The attacks of the services review (issue 17), each as it was run: an answer replayed into another
 * request, an anonymous POST to a response endpoint, a presentation left `processing`. Each test failed
 * on the code before the fix.
 */

const PERSONS = [1, 4] as const;

describe.each(ENGINES)('answers under attack on %s', (engine) => {
  let issuer: Awaited<ReturnType<typeof issuerWithPhones>>;
  let service: Awaited<ReturnType<typeof startVerifierService>>;
  let database: TestDatabase<VerifierSchema>;
  let base: string;
  let clock = new Date();
  let rp: (who: DemoParty, path: string, init?: RequestInit) => Promise<Response>;

  beforeAll(async () => {
    issuer = await issuerWithPhones('verifier', PERSONS);
    clock = new Date();
    service = await startVerifierService(issuer, engine, { clock: () => clock });
    ({ database, base, rp } = service);
  }, 90_000);
  afterAll(async () => {
    await service.dispose();
    await issuer.dispose();
  });

  /** A signing request with 入力補助 records, answered by `direct_post` (what an attacker can replay). */
  const create = async (who: DemoParty, kenhojo: readonly string[]) => {
    const response = await rp(who, '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        sign: { document: Buffer.from('口座開設申込書').toString('base64'), title: '申込書' },
        kenhojo,
        purpose: '本人確認',
        responseMode: 'direct_post',
      }),
    });
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as { id: string; link: string };
  };
  const read = async (who: DemoParty, id: string) =>
    (await (await rp(who, `/v1/presentations/${id}`)).json()) as {
      status: string;
      result?: { status: string; decidedBy?: { check: string } };
      claims?: Record<string, Record<string, unknown>>;
      rejectedAnswers?: number;
      lastRejection?: { check: string; reason: string };
    };
  /** Posts an answer that must not be accepted: 400 naming the check, and the request still open. */
  const rejected = async (who: DemoParty, id: string, form: Record<string, string>) => {
    const response = await postAnswer(base, id, form);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ERR_PRESENTATION_REJECTED');
    const view = await read(who, id);
    expect(view.status).toBe('pending');
    expect(view.claims).toBeUndefined();
    return view;
  };

  it("a firm's genuine answer, its state changed, gives the shop no My Number (and no other firm request passes)", async () => {
    const firm = await create('securities', ['my_number', 'basic_four_info']);
    const firmRequest = await walletReadsRequest(issuer, firm.link, clock);
    const answer = await signAndReadAnswer(issuer, firmRequest, {
      signWith: 0,
      records: ['my_number', 'basic_four_info'],
      signingTime: clock,
    });
    const myNumber = registryPerson('verifier', PERSONS[0]).input.myNumber;

    const shop = await create('shop', ['basic_four_info']);
    const shopRequest = await walletReadsRequest(issuer, shop.link, clock);
    const atShop = await rejected('shop', shop.id, { ...answer, state: shopRequest.state! });
    expect(atShop.lastRejection!.check).toBe('jpki.request-binding');
    expect(JSON.stringify(atShop)).not.toContain(myNumber);

    const other = await create('securities', ['my_number', 'basic_four_info']);
    const otherRequest = await walletReadsRequest(issuer, other.link, clock);
    const atOther = await rejected('securities', other.id, { ...answer, state: otherRequest.state! });
    expect(atOther.lastRejection!.check).toBe('jpki.request-binding');

    // The genuine answer still works where it belongs.
    expect((await postAnswer(base, firm.id, answer)).status).toBe(200);
    const atFirm = await read('securities', firm.id);
    expect(atFirm.status, JSON.stringify(atFirm.result)).toBe('completed');
    expect(atFirm.claims!['kenhojo']!['my_number']).toBe(myNumber);
  });

  it('never quotes what the sender wrote back: not in the answer, not in the kept rejection', async () => {
    const firm = await create('securities', ['basic_four_info']);
    const request = await walletReadsRequest(issuer, firm.link, clock);
    const planted = Buffer.from(JSON.stringify({ '123456789018': 'AA', 'Call 0120-000-000': 'AA' })).toString(
      'base64url',
    );
    const response = await postAnswer(base, firm.id, {
      state: request.state!,
      vp_token: JSON.stringify({ sign: ['AAAA'], kenhojo: [planted] }),
    });
    const text = await response.text();
    expect(response.status).toBe(400);
    const view = JSON.stringify(await read('securities', firm.id));
    for (const planted of ['123456789018', '0120-000-000']) {
      expect(text).not.toContain(planted);
      expect(view).not.toContain(planted);
    }
  });

  it('lets a party registered for the age alone ask for no signature and no 4 info (they name the holder)', async () => {
    const registered = await fetch(`${base}/admin/relying-parties`, {
      method: 'POST',
      headers: { authorization: `Bearer ${VERIFIER_ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'age-only bar',
        myNumberPurpose: 'none',
        elements: [{ nameSpace: 'org.iso.23220.1', elementIdentifier: 'age_over_20' }],
      }),
    });
    expect(registered.status).toBe(201);
    const { apiKey } = (await registered.json()) as { apiKey: string };
    const ask = (body: object) =>
      fetch(`${base}/v1/presentations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ purpose: '年齢確認', ...body }),
      });
    const sign = { document: Buffer.from('x').toString('base64'), title: 'x' };
    for (const body of [{ sign }, { sign, kenhojo: ['basic_four_info'] }]) {
      const refused = await ask(body);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ERR_RP_NOT_AUTHORIZED');
    }
    // What it is registered for, and a login (a pairwise subject, naming no one), it may ask.
    expect((await ask({ elements: [{ nameSpace: 'org.iso.23220.1', elementIdentifier: 'age_over_20' }] })).status).toBe(
      201,
    );
    expect((await ask({ login: true })).status).toBe(201);
  });

  it('refuses records the request did not ask for, even when bound to the signature', async () => {
    const shop = await create('shop', ['basic_four_info']);
    const request = await walletReadsRequest(issuer, shop.link, clock);
    // A wallet (or a tampered one) that sends the My Number record anyway, bound to this very request.
    const answer = await signAndReadAnswer(issuer, request, {
      signWith: 1,
      records: ['my_number', 'basic_four_info'],
      signingTime: clock,
    });
    const view = await rejected('shop', shop.id, answer);
    expect(['kenhojo.requested', 'rp.authorization']).toContain(view.lastRejection!.check);
    expect(JSON.stringify(view)).not.toContain(registryPerson('verifier', PERSONS[1]).input.myNumber);
  });

  it('lets nobody who knows only the presentation id change it: no state, a wrong state, garbage', async () => {
    const firm = await create('securities', ['my_number', 'basic_four_info']);
    const request = await walletReadsRequest(issuer, firm.link, clock);
    for (const form of [
      { vp_token: '{}' },
      { vp_token: '{}', state: 'guessed' },
      { error: 'access_denied' },
      { error: 'access_denied', state: 'guessed' },
      {},
      // With the request's state (the request object is public): unreadable answers change nothing either.
      { vp_token: '{"sign":["A"]}', state: request.state! },
      { vp_token: '{"123456789012":[1]}', state: request.state! },
    ]) {
      const response = await postAnswer(base, firm.id, form);
      expect(response.status, JSON.stringify(form)).toBe(400);
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('ERR_PRESENTATION_RESPONSE');
      expect(error.message).not.toContain('123456789012');
      expect((await read('securities', firm.id)).status).toBe('pending');
    }
    // With the state, a refusal or a forged answer is kept as a hint, and the request stays open: an
    // error response is unsigned, so whoever saw the QR code could send one. Its free text (a claimed
    // PIN lock, say) is neither read nor stored.
    const free = 'pin_locked PIN 1234 マイナンバー 123456789012';
    const refused = await postAnswer(base, firm.id, {
      error: 'access_denied',
      error_description: free,
      state: request.state!,
    });
    expect(refused.status).toBe(200);
    const hinted = await read('securities', firm.id);
    expect([hinted.status, hinted.rejectedAnswers, hinted.lastRejection!.check]).toEqual([
      'pending',
      1,
      'wallet.response',
    ]);
    expect(JSON.stringify(hinted)).not.toContain('1234');
    const forged = await rejected('securities', firm.id, {
      vp_token: JSON.stringify({ sign: [Buffer.from('not a signature').toString('base64url')] }),
      state: request.state!,
    });
    expect(forged.rejectedAnswers).toBe(2);
    // The holder's own answer still goes through.
    const answer = await signAndReadAnswer(issuer, request, {
      signWith: 0,
      records: ['my_number', 'basic_four_info'],
      signingTime: clock,
    });
    expect((await postAnswer(base, firm.id, answer)).status).toBe(200);
    expect((await read('securities', firm.id)).status).toBe('completed');
  });

  it('fails a presentation a dead verifier left processing, on read and at start-up, releasing nothing', async () => {
    const stuck = await create('securities', ['my_number', 'basic_four_info']);
    const repairedAtStart = await create('securities', ['my_number', 'basic_four_info']);
    // What a verifier killed between claiming the request and recording the result leaves behind.
    await database.db
      .updateTable('presentations')
      .set({ status: 'processing', responded_at: clock.toISOString() })
      .where('id', 'in', [stuck.id, repairedAtStart.id])
      .execute();
    expect((await read('securities', stuck.id)).status).toBe('processing');
    const saved = clock;
    try {
      clock = new Date(saved.getTime() + (300 + PROCESSING_GRACE_SECONDS + 1) * 1000);
      const view = await read('securities', stuck.id);
      expect([view.status, view.result!.decidedBy!.check]).toEqual(['failed', 'presentation.interrupted']);
      expect(view.claims).toBeUndefined();
      // The read repaired every such row; start-up repair finds nothing left, and the state holds.
      expect(await repairInterruptedPresentations({ ...service.context, clock: () => clock })).toBe(0);
      expect((await read('securities', repairedAtStart.id)).status).toBe('failed');
    } finally {
      clock = saved;
    }
  });
  it('ends a genuine answer whose revocation cannot be checked as status-unknown, releasing nothing', async () => {
    const saved = clock;
    clock = new Date(saved.getTime() + 10 * 60_000); // past any cached OCSP answer
    issuer.state.failing = /\/(ocsp|crl)\//;
    try {
      const firm = await create('securities', ['my_number', 'basic_four_info']);
      const request = await walletReadsRequest(issuer, firm.link, clock);
      const answer = await signAndReadAnswer(issuer, request, {
        signWith: 0,
        records: ['my_number', 'basic_four_info'],
        signingTime: clock,
      });
      expect((await postAnswer(base, firm.id, answer)).status).toBe(200);
      const view = await read('securities', firm.id);
      expect([view.status, view.result!.status]).toEqual(['failed', 'status-unknown']);
      expect(view.claims).toBeUndefined();
      // Not the My Number, and not whom any record names (name, address, birth date).
      const { input } = registryPerson('verifier', PERSONS[0]);
      for (const personal of [input.myNumber, input.basicFourInfo.name, input.basicFourInfo.address])
        expect(JSON.stringify(view)).not.toContain(personal);
      // Nothing was kept to hand out later either.
      const row = await database.db
        .selectFrom('presentations')
        .select('claims_sealed')
        .where('id', '=', firm.id)
        .executeTakeFirstOrThrow();
      expect(row.claims_sealed).toBeNull();
    } finally {
      issuer.state.failing = undefined;
      clock = saved;
    }
  });

  it('decides every request to every route — random bodies, headers, credentials, replays — and never crashes', async () => {
    const app = service.makeApp();
    const open = await create('securities', ['my_number', 'basic_four_info']);
    const request = await walletReadsRequest(issuer, open.link, clock);
    const [firm, shop] = [service.keys.securities.apiKey, service.keys.shop.apiKey];
    const statuses = await fuzzEveryRoute({
      fetch: (incoming) => app.fetch(incoming),
      routes: [
        ...(await openApiRoutes((incoming) => app.fetch(incoming))),
        'GET /v1/presentations/{id}/request',
        'POST /v1/presentations/{id}/response',
      ],
      ids: [open.id, service.keys.shop.id, 'relay'],
      credentials: [
        undefined,
        'Bearer wrong',
        `Bearer ${VERIFIER_ADMIN}`,
        `Bearer ${firm}`,
        `Bearer ${firm}`,
        `Bearer ${shop}`,
      ],
      samples: {
        'POST /v1/presentations': {
          sign: { document: 'AA==', title: 't' },
          kenhojo: ['basic_four_info'],
          purpose: 'x',
        },
        'POST /admin/relying-parties': { name: 'n', myNumberPurpose: 'none', webhookUrl: 'https://x.example/h' },
        'POST /v1/presentations/{id}/response': { state: request.state!, vp_token: '{}' },
      },
    });
    const count = (test: (status: number) => boolean) => countStatuses(statuses, test);
    expect(count((status) => status < 300)).toBeGreaterThan(0);
    // Whatever it sent, the open request is still the holder's to answer.
    expect((await read('securities', open.id)).status).toBe('pending');
  }, 120_000);
  // Last: it leaves this test's address blocked for the relying parties' API for a while.
  it('limits guessing API keys per source address, with Retry-After, before comparing the key', async () => {
    const guess = (key: string) =>
      fetch(`${base}/v1/presentations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{}',
      });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await guess(`guess-${i}`)).status);
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    const limited = await guess('guess-12');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
