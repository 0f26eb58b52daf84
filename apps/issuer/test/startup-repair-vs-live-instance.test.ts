import { mdocRefillStatement } from '@openmyna/card';
import { ecPublicJwk } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { openDatabase } from '@openmyna/storage';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TEST_PG_URL, type TestDatabase } from '../../../test-support/databases.js';
import {
  issuerTestContext,
  makeProvisioningAuthorities,
  registryPerson,
} from '../../../test-support/issuer-fixtures.js';
import { b64, newPhoneRsaKeys, phoneCompletes } from '../../../test-support/phone-proofs.js';
import {
  completeProvisioning,
  createPerson,
  issueCard,
  openHolderChallenge,
  openProvisioningSession,
  refillMdocs,
  repairUnfinishedWork,
  type CrashPoint,
  type IssuerContext,
  type IssuerSchema,
} from '../src/index.js';

/*
 * Regression (review of the multi-instance mode): `issuer serve` repaired unfinished work at start with a
 * cutoff of "now", so an instance starting on a shared PostgreSQL revoked the phone a live instance was
 * provisioning at that moment. Instance A provisions for real; a Kysely plugin holds A's next query once
 * the phone row is written (`phone-provisioning`) while instance B, with its own pool, runs the repair
 * `issuer serve` runs; then A carries on.
 */

/** The `index`th adult of the synthetic population: a holder under 15 has no signing certificate to provision with. */
function adultPerson(index: number) {
  for (let next = 0, adults = 0; ; next++) {
    const person = registryPerson('repair-vs-live', next);
    if (Number(person.input.basicFourInfo.birthDate.year) > 2000) continue;
    if (adults++ === index) return person;
  }
}

/** Holds the next query's result while `hold` is set, until `release` is called. */
class Gate implements KyselyPlugin {
  hold = false;
  readonly reached: Promise<void>;
  #reached!: () => void;
  #release: (() => void) | undefined;
  constructor() {
    this.reached = new Promise((resolve) => (this.#reached = resolve));
  }
  release(): void {
    this.#release?.();
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.hold) {
      this.hold = false;
      this.#reached();
      await new Promise<void>((resolve) => (this.#release = resolve));
    }
    return args.result;
  }
}

describe('the repair of one instance while another provisions or refills (PostgreSQL)', () => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  beforeAll(async () => {
    ({ database, context } = await issuerTestContext('postgres', () => new Date()));
  });
  afterAll(() => database.dispose());

  /** A person with a card, ready to provision a phone. */
  async function personWithCard(index: number) {
    const { authorities } = await makeProvisioningAuthorities(new Date());
    const { input } = adultPerson(index);
    await createPerson(context, input, 'test');
    const card = await issueCard(context, {
      personId: input.id,
      authorities,
      cardFace: authorities.cardFace,
      pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
      actor: 'test',
    });
    return { authorities, personId: input.id, card };
  }

  /**
   * Runs `work` as instance A, held at the query after `point` while instance B, with a pool of its own,
   * runs the repair with `graceSeconds`; then A carries on. Resolves with A's outcome.
   */
  async function heldWhileAnotherRepairs(
    point: CrashPoint,
    work: (instanceA: IssuerContext) => Promise<unknown>,
    graceSeconds?: number,
  ) {
    const gate = new Gate();
    const a = openDatabase<IssuerSchema>(TEST_PG_URL, { schema: database.schema! });
    const b = openDatabase<IssuerSchema>(TEST_PG_URL, { schema: database.schema! });
    try {
      const running = work({
        ...context,
        db: a.db.withPlugin(gate),
        onBoundary: (reached: CrashPoint) => {
          if (reached === point) gate.hold = true;
        },
      });
      await gate.reached;
      await repairUnfinishedWork({ ...context, db: b.db }, graceSeconds);
      gate.release();
      return await running.then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, code: (error as { code?: unknown }).code }),
      );
    } finally {
      await a.close();
      await b.close();
    }
  }

  /** Provisions a phone on instance A, held once its row is written while instance B repairs. */
  async function provisionWhileAnotherRepairs(index: number, graceSeconds?: number) {
    const { authorities, personId, card } = await personWithCard(index);
    const { sessionId, nonce } = await openProvisioningSession(context);
    const completion = await phoneCompletes(card.document, card.passphrase, nonce, {
      keys: await newPhoneRsaKeys(),
      device: await nodeMdocCrypto.generateEcKey(),
    });
    const outcome = await heldWhileAnotherRepairs(
      'phone-provisioning',
      (instanceA) => completeProvisioning(instanceA, authorities, sessionId, completion),
      graceSeconds,
    );
    const phones = await database.db.selectFrom('phones').select('status').where('person_id', '=', personId).execute();
    const certificates = await database.db
      .selectFrom('certificates')
      .select('status')
      .where('person_id', '=', personId)
      .where('phone_id', 'is not', null)
      .execute();
    return {
      outcome,
      phones: phones.map((phone) => phone.status),
      phoneCertificates: certificates.map((certificate) => certificate.status),
    };
  }

  it('an instance starting up leaves the phone another instance is provisioning alone', async () => {
    expect(await provisionWhileAnotherRepairs(0)).toEqual({
      outcome: { ok: true },
      phones: ['active'],
      phoneCertificates: ['issued', 'issued'],
    });
  }, 60_000);

  it('a provisioning still running when the grace ends fails closed: no phone becomes active', async () => {
    const { outcome, phones, phoneCertificates } = await provisionWhileAnotherRepairs(1, 0);
    expect(outcome.ok).toBe(false);
    expect(phones).toEqual(['revoked']);
    // Nothing signed for it answers "good".
    expect(phoneCertificates.filter((status) => status === 'issued')).toEqual([]);
  }, 60_000);

  it('an instance starting up leaves the MSO batch another instance is refilling alone', async () => {
    const { authorities, card } = await personWithCard(2);
    const device = await nodeMdocCrypto.generateEcKey();
    const { sessionId, nonce } = await openProvisioningSession(context);
    const { phoneId } = await completeProvisioning(
      context,
      authorities,
      sessionId,
      await phoneCompletes(card.document, card.passphrase, nonce, { keys: await newPhoneRsaKeys(), device }),
    );
    const fresh = await Promise.all([1, 2].map(() => nodeMdocCrypto.generateEcKey()));
    const challenge = await openHolderChallenge(context, phoneId, 'mdoc-refill');
    const deviceKeys = fresh.map((key) => ecPublicJwk(key.publicKey));
    const statement = mdocRefillStatement({ phoneId, nonce: challenge.nonce, deviceKeys });
    const request = {
      challengeId: challenge.challengeId,
      proof: { deviceKey: ecPublicJwk(device.publicKey), signature: b64(await device.signEs256(statement)) },
      deviceKeys,
      deviceKeySignatures: await Promise.all(fresh.map(async (key) => b64(await key.signEs256(statement)))),
    };
    const outcome = await heldWhileAnotherRepairs('mdoc-batch-reserved', (instanceA) =>
      refillMdocs(instanceA, authorities.mdoc, phoneId, request),
    );
    const batches = await database.db
      .selectFrom('mdoc_batches')
      .select('status')
      .where('phone_id', '=', phoneId)
      .execute();
    expect({ outcome, batches: batches.map((batch) => batch.status) }).toEqual({
      outcome: { ok: true },
      batches: ['issued', 'issued'],
    });
  }, 60_000);
});
