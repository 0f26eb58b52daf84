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
import { newPhoneRsaKeys, phoneCompletes } from '../../../test-support/phone-proofs.js';
import {
  completeProvisioning,
  createPerson,
  issueCard,
  openProvisioningSession,
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

describe('the repair of one instance while another provisions (PostgreSQL)', () => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  beforeAll(async () => {
    ({ database, context } = await issuerTestContext('postgres', () => new Date()));
  });
  afterAll(() => database.dispose());

  /** Provisions a phone on instance A, held once its row is written while instance B repairs with `graceSeconds`. */
  async function provisionWhileAnotherRepairs(index: number, graceSeconds?: number) {
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
    const { sessionId, nonce } = await openProvisioningSession(context);
    const completion = await phoneCompletes(card.document, card.passphrase, nonce, {
      keys: await newPhoneRsaKeys(),
      device: await nodeMdocCrypto.generateEcKey(),
    });
    const gate = new Gate();
    const a = openDatabase<IssuerSchema>(TEST_PG_URL, { schema: database.schema! });
    const b = openDatabase<IssuerSchema>(TEST_PG_URL, { schema: database.schema! });
    try {
      const aContext: IssuerContext = {
        ...context,
        db: a.db.withPlugin(gate),
        onBoundary: (point: CrashPoint) => {
          if (point === 'phone-provisioning') gate.hold = true;
        },
      };
      const provisioning = completeProvisioning(aContext, authorities, sessionId, completion);
      await gate.reached;
      await repairUnfinishedWork({ ...context, db: b.db }, graceSeconds);
      gate.release();
      const outcome = await provisioning.then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, code: (error as { code?: unknown }).code }),
      );
      const phones = await database.db
        .selectFrom('phones')
        .select(['id', 'status'])
        .where('person_id', '=', input.id)
        .execute();
      return { outcome, phones: phones.map((phone) => phone.status) };
    } finally {
      await a.close();
      await b.close();
    }
  }

  it('an instance starting up leaves the phone another instance is provisioning alone', async () => {
    expect(await provisionWhileAnotherRepairs(0)).toEqual({
      outcome: { ok: true },
      phones: ['active'],
    });
  }, 60_000);

  it('a provisioning still running when the grace ends fails closed: no phone becomes active', async () => {
    const { outcome, phones } = await provisionWhileAnotherRepairs(1, 0);
    expect(outcome.ok).toBe(false);
    expect(phones).toEqual(['revoked']);
  }, 60_000);
});
