import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { CardError, KenhojoReader } from '@openmyna/card';
import { containsMyNumberToken } from '@openmyna/core';
import {
  createRequestObject,
  decodeDeviceResponse,
  dcqlQueryFor,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  MNC_DOCTYPE,
} from '@openmyna/mdoc';
import { newRelaySessionId, nodeMdocCrypto } from '@openmyna/mdoc/node';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import { PendingPresentation, Wallet, WalletError, type ConsentItem } from '@openmyna/wallet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { registryPerson } from '../../../../test-support/issuer-fixtures.js';
import { allCardFaceElements, makeReader } from '../../../../test-support/mdoc-fixtures.js';
import {
  cardTransport,
  CARD_PINS,
  counterAsks,
  nodeWallet,
  provisionedNodeWallet,
  PHONE_PINS,
  walletWorld,
} from '../../../../test-support/wallet-fixtures.js';

const SEED = 'wallet';
const PERSONS = [3, 4, 6] as const;

describe('the wallet in Node, against the issuer and the verifier service', () => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let phone: Awaited<ReturnType<typeof nodeWallet>>;
  const person = registryPerson(SEED, PERSONS[0]).input;

  beforeAll(async () => {
    world = await walletWorld(SEED, PERSONS);
    phone = await provisionedNodeWallet(world);
  }, 120_000);
  afterAll(async () => {
    await world.dispose();
  });

  const presentation = async (who: 'securities' | 'shop', body: object) => {
    const response = await world.verifier.rp(who, '/v1/presentations', { method: 'POST', body: JSON.stringify(body) });
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as { id: string; link: string };
  };
  const resultOf = async (who: 'securities' | 'shop', id: string) =>
    (await (await world.verifier.rp(who, `/v1/presentations/${id}`)).json()) as {
      status: string;
      result?: { status: string; decidedBy?: { check: string }; checks: { check: string }[] };
      claims?: Record<string, Record<string, unknown>>;
      lastRejection?: { check: string };
    };
  const accountOpening = () =>
    presentation('securities', {
      sign: {
        document: Buffer.from(`口座開設申込書 ${Math.random()}`).toString('base64'),
        title: '証券総合口座 開設申込書',
      },
      kenhojo: ['my_number', 'basic_four_info'],
      purpose: '証券口座の開設（本人確認と個人番号の提供）',
    });

  it('provisions from the card: the holder on the home screen, the phone file sealed', async () => {
    const holder = await phone.wallet.holder();
    expect(holder.name).toBe(person.basicFourInfo.name);
    expect(holder.address).toBe(person.basicFourInfo.address);
    expect(holder.portrait.length).toBeGreaterThan(100);
    expect(holder.hasSigningCertificate).toBe(true);
    const file = readFileSync(phone.path, 'utf8');
    expect(JSON.parse(file)).toMatchObject({ format: 'openmyna-phone/1' });
    expect(file).not.toContain(person.myNumber);
    await expect(
      openEncryptedFileWalletStorage({ path: phone.path, passphrase: 'not the passphrase' }),
    ).rejects.toMatchObject({ code: 'ERR_WALLET_STORAGE' });
    expect((await phone.wallet.history()).map((entry) => [entry.kind, entry.result])).toContainEqual([
      'provisioning',
      'completed',
    ]);
    // A second card cannot be added over the first.
    await expect(
      phone.wallet.provision({
        card: await cardTransport(world.issuer.cards[0]!),
        cardPins: CARD_PINS,
        phonePins: PHONE_PINS,
      }),
    ).rejects.toMatchObject({ code: 'ERR_WALLET_STATE' });
  });

  it('refuses to provision with a wrong card PIN, and installs nothing', async () => {
    const other = await nodeWallet(world);
    await expect(
      other.wallet.provision({
        card: await cardTransport(world.issuer.cards[1]!),
        cardPins: { ...CARD_PINS, authentication: '9999' },
        phonePins: PHONE_PINS,
      }),
    ).rejects.toMatchObject({ code: 'ERR_PIN_WRONG', triesLeft: 2 });
    expect(await other.wallet.provisioned()).toBe(false);
    await expect(
      other.wallet.provision({
        card: await cardTransport(world.issuer.cards[1]!),
        cardPins: CARD_PINS,
        phonePins: { ...PHONE_PINS, signing: 'short' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_PIN_FORMAT' });
  });

  it('opens an account: shows who asks and why, signs the document, sends the 入力補助 records', async () => {
    const created = await accountOpening();
    const pending = await phone.wallet.openRequest(created.link);
    expect(pending.view.requester).toMatchObject({ name: 'securities 株式会社', verified: true });
    expect(pending.view.purpose).toContain('証券口座');
    expect(pending.view.document?.title).toBe('証券総合口座 開設申込書');
    expect(pending.view.myNumber).toEqual({ requested: true, allowed: true });
    expect(pending.view.items.map((item) => [item.name, item.release])).toEqual([
      ['jpki_sign', true],
      ['kenhojo:my_number', true],
      ['kenhojo:basic_four_info', true],
    ]);
    expect([...pending.view.secrets].sort()).toEqual(['kenhojoPin', 'signingPassword']);
    await expect(phone.wallet.approve(pending, { signingPassword: PHONE_PINS.signing })).rejects.toMatchObject({
      code: 'ERR_APPROVAL_INCOMPLETE',
    });
    await phone.wallet.approve(pending, { signingPassword: PHONE_PINS.signing, kenhojoPin: PHONE_PINS.kenhojo });
    await expect(
      phone.wallet.approve(pending, { signingPassword: PHONE_PINS.signing, kenhojoPin: PHONE_PINS.kenhojo }),
    ).rejects.toMatchObject({ code: 'ERR_REQUEST_DONE' });
    const result = await resultOf('securities', created.id);
    expect(result.result?.status).toBe('valid');
    expect(result.claims?.['kenhojo']?.['my_number']).toBe(person.myNumber);
    expect(result.claims?.['sign']?.['name']).toBe(person.basicFourInfo.name);
    const entry = (await phone.wallet.history()).at(-1)!;
    expect(entry).toMatchObject({
      kind: 'presentation',
      result: 'completed',
      counterparty: { name: 'securities 株式会社', verified: true },
      items: ['jpki_sign', 'kenhojo:my_number', 'kenhojo:basic_four_info'],
      documentTitle: '証券総合口座 開設申込書',
    });
  });

  it('presents card-face elements to a shop with the 入力補助 PIN', async () => {
    const created = await presentation('shop', {
      elements: [
        { nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' },
        { nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode', intentToRetain: true },
      ],
      purpose: '会員登録（年齢確認）',
    });
    const pending = await phone.wallet.openRequest(created.link);
    expect(pending.view.myNumber).toEqual({ requested: false, allowed: false });
    expect(pending.view.secrets).toEqual(['kenhojoPin']);
    await phone.wallet.approve(pending, { kenhojoPin: PHONE_PINS.kenhojo });
    const result = await resultOf('shop', created.id);
    expect(result.result?.status).toBe('valid');
    expect(result.claims?.[JP_NAMESPACE]?.['full_name_unicode']).toBe(person.basicFourInfo.name);
  });

  it('logs in with the authentication key', async () => {
    const created = await presentation('securities', { login: true, purpose: 'ログイン' });
    const pending = await phone.wallet.openRequest(created.link);
    expect(pending.view.secrets).toEqual(['authenticationPin']);
    await phone.wallet.approve(pending, { authenticationPin: PHONE_PINS.authentication });
    const result = await resultOf('securities', created.id);
    expect(result.result?.status).toBe('valid');
    expect(result.claims?.['login']?.['subject']).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('tells the relying party when the user declines, and sends nothing else', async () => {
    const created = await accountOpening();
    await phone.wallet.decline(await phone.wallet.openRequest(created.link));
    // A refusal is unsigned: the relying party hears of it, and the request stays open for a real answer.
    const result = await resultOf('securities', created.id);
    expect(result.status).toBe('pending');
    expect(result.lastRejection?.check).toBe('wallet.response');
    expect(result.claims).toBeUndefined();
    expect((await phone.wallet.history()).at(-1)).toMatchObject({ kind: 'presentation', result: 'declined' });
  });

  /** A request object of our own making, served by a small server that also takes the answer. */
  async function ownRequest(options: {
    authorized: boolean;
    tamper?: boolean;
    elements: { nameSpace: string; elementIdentifier: string }[];
  }) {
    const posted: string[] = [];
    let jwt = '';
    const server = createServer((request, response) => {
      if (request.method === 'GET') return void response.end(jwt);
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        posted.push(body);
        response.setHeader('content-type', 'application/json');
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const reader = await makeReader(
      { ...world.issuer.authorities.mdoc, crypto: nodeMdocCrypto },
      'Unregistered Shop',
      options.authorized
        ? allCardFaceElements()
        : allCardFaceElements().filter((e) => !e.elementIdentifier.startsWith('individual')),
    );
    const object = await createRequestObject({
      request: {
        response_type: 'vp_token',
        response_mode: 'direct_post',
        response_uri: `${base}/response`,
        nonce: 'n'.repeat(24),
        state: 'state-1',
        dcql_query: dcqlQueryFor('card', MNC_DOCTYPE, options.elements),
        client_metadata: { purpose: 'テスト' },
      },
      reader,
      crypto: nodeMdocCrypto,
      now: new Date(),
    });
    jwt = options.tamper ? object.jwt.slice(0, -4) + (object.jwt.endsWith('AAAA') ? 'BBBB' : 'AAAA') : object.jwt;
    const link = `openid4vp://?client_id=${encodeURIComponent(object.clientId)}&request_uri=${encodeURIComponent(`${base}/request`)}`;
    return { link, posted, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('never sends the My Number to a requester whose certificate does not authorize it', async () => {
    const own = await ownRequest({
      authorized: false,
      elements: [
        { nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode' },
        { nameSpace: JP_NAMESPACE, elementIdentifier: 'individual_number_unicode' },
      ],
    });
    try {
      const pending: PendingPresentation = await phone.wallet.openRequest(own.link);
      expect(pending.view.myNumber).toEqual({ requested: true, allowed: false });
      expect(pending.view.items.find((item) => item.myNumber)).toMatchObject({
        release: false,
        withheldBecause: 'reader-not-authorized-for-my-number',
      });
      await phone.wallet.approve(pending, { kenhojoPin: PHONE_PINS.kenhojo });
      expect(own.posted).toHaveLength(1);
      const token = JSON.parse(new URLSearchParams(own.posted[0]).get('vp_token')!) as Record<string, string[]>;
      const deviceResponse = decodeDeviceResponse(Buffer.from(token['card']![0]!, 'base64url'));
      const released = [...deviceResponse.documents[0]!.issuerSigned.nameSpaces.values()]
        .flat()
        .map((item) => item.elementIdentifier);
      expect(released).toEqual(['full_name_unicode']);
      expect(own.posted[0]).not.toContain(person.myNumber);
      expect((await phone.wallet.history()).at(-1)).toMatchObject({
        withheld: [`${JP_NAMESPACE}:individual_number_unicode`],
      });
    } finally {
      await own.close();
    }
  });

  it('refuses a request whose signature does not verify, and answers nothing', async () => {
    const own = await ownRequest({
      authorized: true,
      tamper: true,
      elements: [{ nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode' }],
    });
    try {
      const refusal = await phone.wallet.openRequest(own.link).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: 'ERR_REQUEST_INVALID' });
      expect((refusal as { checks: { check: string; status: string }[] }).checks.at(-1)).toMatchObject({
        check: 'request.signature',
        status: 'fail',
      });
      expect(own.posted).toEqual([]);
      await expect(phone.wallet.openRequest('https://example.test/not-a-request')).rejects.toMatchObject({
        code: 'ERR_REQUEST_INVALID',
      });
    } finally {
      await own.close();
    }
  });

  it('presents in person over the relay, withholding the My Number from an unauthorized counter', async () => {
    const session = await phone.wallet.startInPerson({ url: world.verifier.relayUrl, session: newRelaySessionId() });
    expect(session.qr).toMatch(/^mdoc:/);
    const waiting = session.waitForRequest();
    const counter = await counterAsks(world, session.qr, {
      elements: ['portrait', 'full_name_unicode', 'individual_number_unicode'],
      reader: { name: 'Counter 3', myNumber: false },
    });
    const view = await waiting;
    expect(view.requester).toMatchObject({ name: 'Counter 3', verified: true });
    expect(view.items.filter((item) => !item.release).map((item) => item.elementIdentifier)).toEqual([
      'individual_number_unicode',
    ]);
    await expect(session.approve('0000')).rejects.toMatchObject({ code: 'ERR_PIN_WRONG', triesLeft: 2 });
    await session.approve(PHONE_PINS.kenhojo);
    const released = await counter.receive();
    expect(released.get('full_name_unicode')).toBe(person.basicFourInfo.name);
    expect(released.has('individual_number_unicode')).toBe(false);
  });

  it("answers a relying party's counter through the verifier's API (the service is the reader)", async () => {
    const asked = (elements: readonly string[]) =>
      elements.map((elementIdentifier) => ({ nameSpace: JP_NAMESPACE, elementIdentifier }));
    const start = (who: 'securities' | 'shop', engagement: string, elements: readonly string[]) =>
      world.verifier.rp(who, '/v1/proximity-sessions', {
        method: 'POST',
        body: JSON.stringify({ engagement, elements: asked(elements) }),
      });
    const read = async (id: string) =>
      (await (await world.verifier.rp('securities', `/v1/proximity-sessions/${id}`)).json()) as {
        status: string;
        result?: { status: string; decidedBy?: { check: string } };
        claims?: Record<string, Record<string, unknown>>;
        claimsFetchedAt?: string;
      };
    const settled = async (id: string) => {
      for (;;) {
        const view = await read(id);
        if (view.status !== 'pending') return view;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const session = await phone.wallet.startInPerson({ url: world.verifier.relayUrl, session: newRelaySessionId() });
    const waiting = session.waitForRequest();
    // The shop may not ask for a My Number; a garbled or foreign engagement is refused before any relay is joined.
    expect((await start('shop', session.qr, ['individual_number_unicode'])).status).toBe(403);
    const garbled = await start('securities', 'mdoc:AAAA', ['full_name_unicode']);
    expect([garbled.status, ((await garbled.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      'ERR_ENGAGEMENT',
    ]);
    const elsewhere = await phone.wallet.startInPerson({ url: 'ws://203.0.113.9/relay', session: newRelaySessionId() });
    const foreign = await start('securities', elsewhere.qr, ['full_name_unicode']);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('ERR_ENGAGEMENT');
    await elsewhere.close();
    const crafted = await phone.wallet.startInPerson({ url: world.verifier.relayUrl, session: '../../admin/x' });
    const craftedStart = await start('securities', crafted.qr, ['full_name_unicode']);
    expect(((await craftedStart.json()) as { error: { code: string } }).error.code).toBe('ERR_ENGAGEMENT');
    await crafted.close();

    const elements = ['portrait', 'full_name_unicode', 'resident_address_unicode', 'birth_date_unicode'];
    const started = await start('securities', session.qr, elements);
    expect(started.status, await started.clone().text()).toBe(201);
    const { id } = (await started.json()) as { id: string };
    expect((await read(id)).status).toBe('pending');
    const view = await waiting;
    expect(view.requester).toMatchObject({ name: 'securities 株式会社', verified: true });
    await session.approve(PHONE_PINS.kenhojo);
    const done = await settled(id);
    expect(done.result?.status).toBe('valid');
    expect(done.claims?.[JP_NAMESPACE]?.['full_name_unicode']).toBe(person.basicFourInfo.name);
    expect(Object.keys(done.claims?.[JP_NAMESPACE] ?? {}).sort()).toEqual([...elements].sort());
    // The values come once.
    const again = await read(id);
    expect([again.claims, typeof again.claimsFetchedAt]).toEqual([undefined, 'string']);

    // Declined on the phone: the session fails, named.
    const second = await phone.wallet.startInPerson({ url: world.verifier.relayUrl, session: newRelaySessionId() });
    const secondWaiting = second.waitForRequest();
    const { id: declinedId } = (await (await start('securities', second.qr, ['portrait'])).json()) as { id: string };
    await secondWaiting;
    await second.decline();
    const declined = await settled(declinedId);
    expect([declined.status, declined.result?.decidedBy?.check, declined.claims]).toEqual([
      'failed',
      'session.response',
      undefined,
    ]);
  });

  it('changes a PIN in its applet: the old one stops working, the new one works', async () => {
    await expect(phone.wallet.changePin('kenhojoPin', '0000', '2468')).rejects.toMatchObject({ code: 'ERR_PIN_WRONG' });
    await phone.wallet.changePin('kenhojoPin', PHONE_PINS.kenhojo, '2468');
    const created = await presentation('shop', {
      elements: [{ nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' }],
      purpose: '年齢確認',
    });
    const pending = await phone.wallet.openRequest(created.link);
    await expect(phone.wallet.approve(pending, { kenhojoPin: PHONE_PINS.kenhojo })).rejects.toMatchObject({
      code: 'ERR_PIN_WRONG',
    });
    await phone.wallet.approve(pending, { kenhojoPin: '2468' });
    expect((await resultOf('shop', created.id)).result?.status).toBe('valid');
  });

  it('keeps the code of a card error that is not about the new PIN (regression: every CardError became ERR_PIN_FORMAT or ERR_ISSUER_REFUSED)', async () => {
    await expect(phone.wallet.changePin('kenhojoPin', '2468', '12')).rejects.toMatchObject({ code: 'ERR_PIN_FORMAT' });
    const change = vi
      .spyOn(KenhojoReader.prototype, 'changePin')
      .mockRejectedValueOnce(new CardError('ERR_RETRY_STATE_IO', 'the counter store failed'));
    await expect(phone.wallet.changePin('kenhojoPin', '2468', '1357')).rejects.toMatchObject({
      code: 'ERR_RETRY_STATE_IO',
    });
    change.mockRestore();
    expect((await phone.wallet.history()).at(-1)).toMatchObject({ kind: 'pin-change', reason: 'ERR_RETRY_STATE_IO' });

    const reset = vi.spyOn(phone.wallet.secureArea, 'resetPins');
    const resetKenhojoPin = async () =>
      phone.wallet.resetPins({
        card: await cardTransport(world.issuer.cards[0]!),
        cardSigningPassword: CARD_PINS.signing,
        pins: { kenhojoPin: '2468' },
      });
    reset.mockRejectedValueOnce(new CardError('ERR_RETRY_STATE_IO', 'the counter store failed'));
    await expect(resetKenhojoPin()).rejects.toMatchObject({ code: 'ERR_RETRY_STATE_IO' });
    // The one card error that means the issuer's answer was refused.
    reset.mockRejectedValueOnce(new CardError('ERR_PIN_RESET_AUTHORIZATION', 'the PIN-reset authorization failed'));
    const refused = await resetKenhojoPin().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WalletError);
    expect(refused).toMatchObject({ code: 'ERR_ISSUER_REFUSED', cause: { code: 'ERR_PIN_RESET_AUTHORIZATION' } });
    reset.mockRestore();
  });

  it('refuses a format it cannot present with a typed error, and sends nothing (regression: it was taken for mso_mdoc)', async () => {
    const created = await presentation('shop', {
      elements: [{ nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' }],
      purpose: '年齢確認',
    });
    const opened = await phone.wallet.openRequest(created.link);
    const unknownFormat: string = 'ldp_vc';
    const view = {
      ...opened.view,
      items: opened.view.items.map((item) => ({ ...item, format: unknownFormat as ConsentItem['format'] })),
    };
    const before = await phone.wallet.mdocStatus();
    await expect(
      phone.wallet.approve(new PendingPresentation(view, opened.request, opened.reader), { kenhojoPin: '2468' }),
    ).rejects.toMatchObject({ code: 'ERR_REQUEST_UNSUPPORTED' });
    expect((await phone.wallet.mdocStatus()).unused).toBe(before.unused);
    expect((await resultOf('shop', created.id)).result).toBeUndefined();
  });

  it('locks a PIN on its last try, durably (a reopened phone is still locked), until the card resets it', async () => {
    const second = await provisionedNodeWallet(world, 1);
    const created = await presentation('securities', { login: true, purpose: 'ログイン' });
    const pending = await second.wallet.openRequest(created.link);
    // A double tap: one answer at a time, so the second spends no try (review: it spent two).
    const doubleTap = await Promise.all(
      [1, 2].map(() => second.wallet.approve(pending, { authenticationPin: '0000' }).catch((error: unknown) => error)),
    );
    expect(doubleTap.map((error) => pick(error, ['code', 'triesLeft']))).toEqual(
      expect.arrayContaining([{ code: 'ERR_PIN_WRONG', triesLeft: 2 }, { code: 'ERR_REQUEST_DONE' }]),
    );
    const tries: unknown[] = [];
    for (let i = 0; i < 2; i++)
      tries.push(await second.wallet.approve(pending, { authenticationPin: '0000' }).catch((error: unknown) => error));
    // The third wrong try is the lock itself (63C0), named, not "0 tries left".
    expect(tries.map((error) => pick(error, ['code', 'pin', 'triesLeft']))).toEqual([
      { code: 'ERR_PIN_WRONG', pin: 'authenticationPin', triesLeft: 1 },
      { code: 'ERR_PIN_BLOCKED', pin: 'authenticationPin', triesLeft: 0 },
    ]);
    // The wallet gave the request up and said so (access_denied): the relying party's page stops waiting.
    // The request stays open (an error response is unsigned; docs/verifier.md), and the wallet keeps it done.
    const ended = await resultOf('securities', created.id);
    expect([ended.status, ended.lastRejection?.check]).toEqual(['pending', 'wallet.response']);
    await expect(second.wallet.approve(pending, { authenticationPin: '0000' })).rejects.toMatchObject({
      code: 'ERR_REQUEST_DONE',
    });
    const reopened = await openEncryptedFileWalletStorage({ path: second.path, passphrase: second.passphrase });
    const again = new Wallet({
      storage: reopened,
      readerAnchors: [world.readerAnchor],
      fetch: world.walletFetch,
      clock: () => new Date(),
      crypto: nodeMdocCrypto,
    });
    await expect(
      again.signLogin({ value: 'x'.repeat(32), clientId: 'x' }, PHONE_PINS.authentication),
    ).rejects.toMatchObject({
      code: 'ERR_PIN_BLOCKED',
    });
    // Logged as what they were — wrong PINs and the lock — not as the person refusing.
    const history = await again.history();
    expect(history.filter((entry) => entry.kind === 'presentation').map((entry) => entry.result)).toEqual([
      'pin-wrong',
      'pin-wrong',
      'pin-locked',
    ]);
    expect(history.at(-1)).toMatchObject({ kind: 'login', result: 'pin-locked', reason: 'ERR_PIN_BLOCKED' });

    // The stronger factor opens it again: the card's signing key, through the issuer's authorization.
    await expect(
      second.wallet.resetPins({
        card: await cardTransport(world.issuer.cards[1]!),
        cardSigningPassword: 'WRONG2026',
        pins: { authenticationPin: '2580' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_PIN_WRONG' });
    await second.wallet.resetPins({
      card: await cardTransport(world.issuer.cards[1]!),
      cardSigningPassword: CARD_PINS.signing,
      pins: { authenticationPin: '2580' },
    });
    const after = await presentation('securities', { login: true, purpose: 'ログイン' });
    await second.wallet.approve(await second.wallet.openRequest(after.link), { authenticationPin: '2580' });
    expect((await resultOf('securities', after.id)).result?.status).toBe('valid');
    expect((await second.wallet.history()).at(-2)).toMatchObject({ kind: 'pin-reset', result: 'completed' });
    // Last (its 入力補助 PIN is needed by nothing after): a PIN locked in person ends the session, and
    // the counter hears so rather than waiting (review: the session stayed open).
    const session = await second.wallet.startInPerson({ url: world.verifier.relayUrl, session: newRelaySessionId() });
    const waiting = session.waitForRequest();
    const counter = await counterAsks(world, session.qr, {
      elements: ['portrait', 'full_name_unicode'],
      reader: { name: 'Counter 3', myNumber: false },
    });
    await waiting;
    const inPerson: unknown[] = [];
    for (let i = 0; i < 4; i++) inPerson.push(await session.approve('0000').catch((error: unknown) => error));
    expect(inPerson.map((error) => (error as { code?: string }).code)).toEqual([
      'ERR_PIN_WRONG',
      'ERR_PIN_WRONG',
      'ERR_PIN_BLOCKED',
      'ERR_REQUEST_DONE',
    ]);
    await expect(counter.receive()).rejects.toThrow();
  });

  it('suspends and revokes itself; a revoked phone wipes its credentials and relying parties refuse it', async () => {
    const third = await provisionedNodeWallet(world, 2);
    expect(await third.wallet.checkStatus()).toBe('good');
    await expect(third.wallet.changeLifecycle('suspend', '0000')).rejects.toMatchObject({ code: 'ERR_PIN_WRONG' });
    await third.wallet.changeLifecycle('suspend', PHONE_PINS.authentication);
    expect(await third.wallet.checkStatus()).toBe('suspended');
    // While suspended, a signature is refused by the relying party's verifier.
    const created = await accountOpening();
    const pending = await third.wallet.openRequest(created.link);
    await expect(
      third.wallet.approve(pending, { signingPassword: PHONE_PINS.signing, kenhojoPin: PHONE_PINS.kenhojo }),
    ).rejects.toMatchObject({ code: 'ERR_RESPONSE_REJECTED' });
    expect((await resultOf('securities', created.id)).lastRejection?.check).toMatch(/revocation/);
    await third.wallet.changeLifecycle('revoke', PHONE_PINS.authentication);
    expect(await third.wallet.provisioned()).toBe(false);
    await expect(third.wallet.holder()).rejects.toMatchObject({ code: 'ERR_WALLET_STATE' });
    const kinds = (await third.wallet.history()).map((entry) => entry.kind);
    expect(kinds.slice(-2)).toEqual(['lifecycle', 'wipe']);
  });

  it('keeps no disclosed value in its log, and exports it', async () => {
    const exported = JSON.parse(await phone.wallet.exportHistory()) as { format: string; entries: unknown[] };
    expect(exported.format).toBe('openmyna-wallet-log/1');
    expect(exported.entries.length).toBeGreaterThan(5);
    const text = JSON.stringify(exported);
    expect(containsMyNumberToken(text)).toBe(false);
    expect(text).not.toContain(person.basicFourInfo.name);
    expect(text).not.toContain(PHONE_PINS.signing);
  });
});

/** The named own fields of an error (what a test compares; never its message). */
function pick(value: unknown, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, (value as Record<string, unknown>)[key]]));
}
