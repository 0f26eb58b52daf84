import { mdocRefillStatement, type MdocRefillRequest, type VirtualCardDocument } from '@openmyna/card';
import {
  decodeIssuedMdoc,
  decodeMobileSecurityObject,
  ecPublicJwk,
  TOKEN_STATUS,
  verifyStatusListToken,
  type EcPrivateKey,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, type TestDatabase } from '../../../test-support/databases.js';
import {
  issuerTestContext,
  makeProvisioningAuthorities,
  registryPerson,
} from '../../../test-support/issuer-fixtures.js';
import { b64, phoneCompletes } from '../../../test-support/phone-proofs.js';
import {
  changePhone,
  coarseIssuanceTime,
  completeProvisioning,
  createPerson,
  issueCard,
  MDOC_DAILY_LIMIT,
  MdocStatusPublisher,
  openHolderChallenge,
  openProvisioningSession,
  refillMdocs,
  type IssuerContext,
  type IssuerSchema,
  type ProvisioningAuthorities,
} from '../src/index.js';

const SEED = 'mdoc-batches';
const BATCH = 4;
const DAY = 86_400_000;

/** The MSO facts a colluding verifier could compare: signature bytes, device key, status index, salts. */
function msoFacts(mdoc: string) {
  const issued = decodeIssuedMdoc(new Uint8Array(Buffer.from(mdoc, 'base64')));
  const mso = decodeMobileSecurityObject(issued.issuerSigned.issuerAuth.payload);
  const items = [...issued.issuerSigned.nameSpaces.values()].flat();
  return {
    signature: Buffer.from(issued.issuerSigned.issuerAuth.proof).toString('hex'),
    deviceKey: JSON.stringify(ecPublicJwk(mso.deviceKey)),
    index: mso.status!.idx,
    salts: items.map((item) => Buffer.from(item.random).toString('hex')),
    validity: mso.validityInfo,
  };
}

describe.each(ENGINES)('batches of single-use MSOs on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  let authorities: ProvisioningAuthorities;
  let iacaAnchor: Awaited<ReturnType<typeof makeProvisioningAuthorities>>['mdoc']['iaca']['anchor'];
  let clock = new Date();
  const cards: { document: VirtualCardDocument; passphrase: string }[] = [];

  beforeAll(async () => {
    ({ database, context } = await issuerTestContext(engine, () => clock));
    const made = await makeProvisioningAuthorities(clock);
    authorities = made.authorities;
    iacaAnchor = made.mdoc.iaca.anchor;
    for (let index = 0; cards.length < 3; index++) {
      const { input } = registryPerson(SEED, index);
      if (Number(input.basicFourInfo.birthDate.year) > 2000) continue;
      await createPerson(context, input, 'test');
      const issued = await issueCard(context, {
        personId: input.id,
        authorities,
        cardFace: authorities.cardFace,
        pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
        actor: 'test',
      });
      cards.push({ document: issued.document, passphrase: issued.passphrase });
    }
  });
  afterAll(() => database.dispose());

  async function provision(person: number, size = BATCH) {
    const devices = await Promise.all(Array.from({ length: size }, () => nodeMdocCrypto.generateEcKey()));
    const card = cards[person]!;
    const { sessionId, nonce } = await openProvisioningSession(context);
    const bundle = await completeProvisioning(
      context,
      authorities,
      sessionId,
      await phoneCompletes(card.document, card.passphrase, nonce, { device: devices[0]!, batch: devices.slice(1) }),
    );
    return { bundle, devices, mdocs: [bundle.mdoc, ...(bundle.batchMdocs ?? [])] };
  }

  async function refillRequest(
    phoneId: string,
    prover: EcPrivateKey,
    options: { size?: number; fresh?: EcPrivateKey[]; signWith?: EcPrivateKey[] } = {},
  ): Promise<{ request: MdocRefillRequest; fresh: EcPrivateKey[] }> {
    const fresh =
      options.fresh ??
      (await Promise.all(Array.from({ length: options.size ?? BATCH }, () => nodeMdocCrypto.generateEcKey())));
    const { challengeId, nonce } = await openHolderChallenge(context, phoneId, 'mdoc-refill');
    const deviceKeys = fresh.map((key) => ecPublicJwk(key.publicKey));
    const statement = mdocRefillStatement({ phoneId, nonce, deviceKeys });
    const signers = options.signWith ?? fresh;
    return {
      fresh,
      request: {
        challengeId,
        proof: { deviceKey: ecPublicJwk(prover.publicKey), signature: b64(await prover.signEs256(statement)) },
        deviceKeys,
        deviceKeySignatures: await Promise.all(signers.map(async (key) => b64(await key.signEs256(statement)))),
      },
    };
  }

  const statusOf = async (indexes: readonly number[]) => {
    const publisher = new MdocStatusPublisher(context, authorities.mdoc.documentSigner, authorities.mdoc.statusListUri);
    const { statusList } = await verifyStatusListToken({
      token: await publisher.token(),
      uri: authorities.mdoc.statusListUri,
      anchors: [iacaAnchor],
      time: clock,
      crypto: nodeMdocCrypto,
    });
    return indexes.map((index) => statusList!.list.get(index));
  };

  it('provisions a batch: distinct device keys, signatures, status indexes and salts, one coarse validity', async () => {
    const { mdocs, devices } = await provision(0);
    expect(mdocs).toHaveLength(BATCH);
    const facts = mdocs.map(msoFacts);
    // Each MSO is bound to the key at its position.
    expect(facts.map((fact) => fact.deviceKey)).toEqual(
      devices.map((key) => JSON.stringify(ecPublicJwk(key.publicKey))),
    );
    for (const field of ['signature', 'deviceKey', 'index'] as const)
      expect(new Set(facts.map((fact) => fact[field])).size).toBe(BATCH);
    const salts = facts.flatMap((fact) => fact.salts);
    expect(new Set(salts).size).toBe(salts.length);
    // Issuance time rounded down to the day in Japan: the same for the whole batch, and for anyone that day.
    const signed = coarseIssuanceTime(clock, authorities.mdoc.documentSigner.certificate);
    expect((signed.getTime() + 9 * 3_600_000) % DAY).toBe(0);
    for (const fact of facts) {
      expect(fact.validity.signed).toEqual(signed);
      expect(fact.validity.validFrom).toEqual(signed);
      expect(fact.validity.validUntil).toEqual(new Date(signed.getTime() + 30 * DAY));
    }
  });

  it('refills an active phone proven by one of its device keys, with new keys and indexes', async () => {
    const { bundle, devices, mdocs } = await provision(1);
    const { request, fresh } = await refillRequest(bundle.phoneId, devices[2]!);
    const refill = await refillMdocs(context, authorities.mdoc, bundle.phoneId, request);
    expect(refill.mdocs).toHaveLength(BATCH);
    const facts = refill.mdocs.map((mdoc) => msoFacts(mdoc));
    expect(facts.map((fact) => fact.deviceKey)).toEqual(fresh.map((key) => JSON.stringify(ecPublicJwk(key.publicKey))));
    const all = [...mdocs.map(msoFacts), ...facts];
    expect(new Set(all.map((fact) => fact.index)).size).toBe(2 * BATCH);
    expect(new Set(all.map((fact) => fact.signature)).size).toBe(2 * BATCH);
    // A key of the new batch proves the phone for the next refill.
    const next = await refillRequest(bundle.phoneId, fresh[0]!, { size: 1 });
    await expect(refillMdocs(context, authorities.mdoc, bundle.phoneId, next.request)).resolves.toMatchObject({
      mdocs: [expect.any(String)],
    });
  });

  it('refuses a bad, foreign or expired proof, a bad proof of possession and a reused key, issuing nothing', async () => {
    const own = await provision(2);
    const other = await provision(0);
    const phoneId = own.bundle.phoneId;
    const refused = async (request: MdocRefillRequest, code: string) => {
      const before = await database.db.selectFrom('records').select('id').where('phone_id', '=', phoneId).execute();
      await expect(refillMdocs(context, authorities.mdoc, phoneId, request)).rejects.toMatchObject({ code });
      const after = await database.db.selectFrom('records').select('id').where('phone_id', '=', phoneId).execute();
      expect(after.length).toBe(before.length);
    };
    // Another phone's valid device key.
    await refused((await refillRequest(phoneId, other.devices[0]!)).request, 'ERR_HOLDER_PROOF_INVALID');
    // A key the issuer never saw.
    await refused(
      (await refillRequest(phoneId, await nodeMdocCrypto.generateEcKey())).request,
      'ERR_HOLDER_PROOF_INVALID',
    );
    // The phone's key, over another statement (the signature of another challenge).
    const first = await refillRequest(phoneId, own.devices[0]!);
    const second = await refillRequest(phoneId, own.devices[0]!, { fresh: first.fresh });
    await refused({ ...second.request, proof: first.request.proof }, 'ERR_HOLDER_PROOF_INVALID');
    // The challenge was consumed by the refused attempt.
    await refused(second.request, 'ERR_HOLDER_CHALLENGE_REPLAYED');
    // A new key whose signature is by another key: no proof of possession.
    const strangers = await Promise.all(Array.from({ length: BATCH }, () => nodeMdocCrypto.generateEcKey()));
    await refused(
      (await refillRequest(phoneId, own.devices[0]!, { signWith: strangers })).request,
      'ERR_PHONE_KEY_MISMATCH',
    );
    // A key that already has an MSO of this phone would link the new MSO to the old one.
    await refused(
      (await refillRequest(phoneId, own.devices[0]!, { fresh: [own.devices[1]!] })).request,
      'ERR_HOLDER_REQUEST_FORMAT',
    );
    // More than 50 keys, or a key twice.
    const many = await refillRequest(phoneId, own.devices[0]!, { size: 51 });
    await refused(many.request, 'ERR_HOLDER_REQUEST_FORMAT');
    const twice = await refillRequest(phoneId, own.devices[0]!, { size: 1 });
    await refused(
      {
        ...twice.request,
        deviceKeys: [twice.request.deviceKeys[0]!, twice.request.deviceKeys[0]!],
        deviceKeySignatures: [twice.request.deviceKeySignatures[0]!, twice.request.deviceKeySignatures[0]!],
      },
      'ERR_HOLDER_REQUEST_FORMAT',
    );
    // A challenge for another purpose.
    const lifecycle = await openHolderChallenge(context, phoneId, 'lifecycle');
    await refused(
      { ...(await refillRequest(phoneId, own.devices[0]!)).request, challengeId: lifecycle.challengeId },
      'ERR_HOLDER_CHALLENGE_UNKNOWN',
    );
    // Once every MSO has expired, its keys prove nothing (the card must add the phone again).
    const now = clock;
    try {
      clock = new Date(now.getTime() + 31 * DAY);
      await refused((await refillRequest(phoneId, own.devices[0]!)).request, 'ERR_HOLDER_PROOF_INVALID');
    } finally {
      clock = now;
    }
  });

  it('bounds the MSOs a phone gets in 24 hours', async () => {
    const { bundle, devices } = await provision(1, 1);
    const phoneId = bundle.phoneId;
    let issued = 1;
    while (issued + 50 <= MDOC_DAILY_LIMIT) {
      const { request } = await refillRequest(phoneId, devices[0]!, { size: 50 });
      await refillMdocs(context, authorities.mdoc, phoneId, request);
      issued += 50;
    }
    const { request } = await refillRequest(phoneId, devices[0]!, { size: 50 });
    await expect(refillMdocs(context, authorities.mdoc, phoneId, request)).rejects.toMatchObject({
      code: 'ERR_MDOC_REFILL_LIMITED',
    });
  }, 60_000);

  it('suspends and revokes every MSO of the phone, of every batch, in the status list; refuses to refill it', async () => {
    const { bundle, devices, mdocs } = await provision(2);
    const { request } = await refillRequest(bundle.phoneId, devices[0]!);
    const refill = await refillMdocs(context, authorities.mdoc, bundle.phoneId, request);
    const indexes = [...mdocs, ...refill.mdocs].map((mdoc) => msoFacts(mdoc).index);
    expect(await statusOf(indexes)).toEqual(indexes.map(() => TOKEN_STATUS.valid));

    await changePhone(context, bundle.phoneId, 'suspend', 'admin', 'test');
    expect(await statusOf(indexes)).toEqual(indexes.map(() => TOKEN_STATUS.suspended));
    await expect(
      refillMdocs(
        context,
        authorities.mdoc,
        bundle.phoneId,
        (await refillRequest(bundle.phoneId, devices[0]!)).request,
      ),
    ).rejects.toMatchObject({ code: 'ERR_PHONE_STATE' });

    await changePhone(context, bundle.phoneId, 'revoke', 'admin', 'test');
    expect(await statusOf(indexes)).toEqual(indexes.map(() => TOKEN_STATUS.invalid));
    await expect(openHolderChallenge(context, bundle.phoneId, 'mdoc-refill')).rejects.toMatchObject({
      code: 'ERR_PHONE_STATE',
    });
  });

  it('abandons a refill that fails half-way: nothing recorded as issued, its entries invalid', async () => {
    const { bundle, devices } = await provision(0);
    const { request, fresh } = await refillRequest(bundle.phoneId, devices[0]!);
    const failing: IssuerContext = {
      ...context,
      onBoundary: (point) => {
        if (point === 'mdoc-batch-signed') throw new Error('the process stops here');
      },
    };
    await expect(refillMdocs(failing, authorities.mdoc, bundle.phoneId, request)).rejects.toThrow('stops here');
    const batches = await database.db
      .selectFrom('mdoc_batches')
      .select(['id', 'status', 'size'])
      .where('phone_id', '=', bundle.phoneId)
      .execute();
    expect(batches.map((batch) => batch.status).sort()).toEqual(['abandoned', 'issued']);
    const abandoned = batches.find((batch) => batch.status === 'abandoned')!;
    const rows = await database.db
      .selectFrom('records')
      .select('status_index')
      .where('batch_id', '=', abandoned.id)
      .execute();
    expect(await statusOf(rows.map((row) => row.status_index!))).toEqual(rows.map(() => TOKEN_STATUS.invalid));
    // Its keys never became the phone's: they prove nothing.
    await expect(
      refillMdocs(context, authorities.mdoc, bundle.phoneId, (await refillRequest(bundle.phoneId, fresh[0]!)).request),
    ).rejects.toMatchObject({ code: 'ERR_HOLDER_PROOF_INVALID' });
  });

  it('counts concurrent refills against each other: the daily bound holds under a burst', async () => {
    const { bundle, devices } = await provision(2, 1);
    const requests = await Promise.all(
      Array.from({ length: 4 }, async () => (await refillRequest(bundle.phoneId, devices[0]!, { size: 50 })).request),
    );
    const results = await Promise.allSettled(
      requests.map((request) => refillMdocs(context, authorities.mdoc, bundle.phoneId, request)),
    );
    const issued = await database.db
      .selectFrom('records')
      .innerJoin('mdoc_batches', 'mdoc_batches.id', 'records.batch_id')
      .select('records.id')
      .where('records.phone_id', '=', bundle.phoneId)
      .where('mdoc_batches.status', '=', 'issued')
      .execute();
    expect(issued.length).toBeLessThanOrEqual(MDOC_DAILY_LIMIT);
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const result of refused) expect(result.reason).toMatchObject({ code: 'ERR_MDOC_REFILL_LIMITED' });
  }, 120_000);

  it('knows a key given before however its coordinates are spelled (unused base64url bits)', async () => {
    const { bundle, devices } = await provision(2, 1);
    const jwk = ecPublicJwk(devices[0]!.publicKey);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = { ...jwk, x: jwk.x!.slice(0, -1) + alphabet[alphabet.indexOf(jwk.x!.at(-1)!) ^ 1] };
    const { challengeId, nonce } = await openHolderChallenge(context, bundle.phoneId, 'mdoc-refill');
    const statement = mdocRefillStatement({ phoneId: bundle.phoneId, nonce, deviceKeys: [respelled] });
    const signature = b64(await devices[0]!.signEs256(statement));
    await expect(
      refillMdocs(context, authorities.mdoc, bundle.phoneId, {
        challengeId,
        proof: { deviceKey: jwk, signature },
        deviceKeys: [respelled],
        deviceKeySignatures: [signature],
      }),
    ).rejects.toMatchObject({ code: 'ERR_HOLDER_REQUEST_FORMAT' });
  }, 60_000);
});
