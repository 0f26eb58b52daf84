import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

import { TOKEN_STATUS, verifyStatusListToken } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, type TestDatabase } from '../../../test-support/databases.js';
import {
  issuerTestContext,
  makeProvisioningAuthorities,
  registryPerson,
} from '../../../test-support/issuer-fixtures.js';
import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import { timeoutFor } from '../../../test-support/timeouts.js';
import {
  abandonUnfinishedProvisioning,
  MdocStatusPublisher,
  type CrashPoint,
  type IssuerContext,
  type IssuerSchema,
} from '../src/index.js';

/*
 * A refill killed half-way must not leave half a batch recorded as issued: the batch is `issuing` until
 * the one transaction that makes it the phone's; start-up repair abandons what a crash left, and the
 * status list lists an abandoned batch's entries invalid.
 */

const child = resolve(REPO_ROOT, 'apps/issuer/test/mdoc-refill-crash-child.ts');
const BOUNDARIES = ['mdoc-batch-reserved', 'mdoc-batch-signed', 'mdoc-batch-issued'] as const;

describe.each(ENGINES)('an MSO refill killed with SIGKILL on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  let status: (indexes: readonly number[]) => Promise<number[]>;
  beforeAll(async () => {
    ({ database, context } = await issuerTestContext(engine, () => new Date()));
    const { authorities, mdoc } = await makeProvisioningAuthorities(new Date());
    status = async (indexes) => {
      const publisher = new MdocStatusPublisher(
        context,
        authorities.mdoc.documentSigner,
        authorities.mdoc.statusListUri,
      );
      const { statusList } = await verifyStatusListToken({
        token: await publisher.token(),
        uri: authorities.mdoc.statusListUri,
        anchors: [mdoc.iaca.anchor],
        time: new Date(),
        crypto: nodeMdocCrypto,
      });
      return indexes.map((index) => statusList!.list.get(index));
    };
  });
  afterAll(() => database.dispose());

  const refillOf = async (personId: string) => {
    const phone = await database.db
      .selectFrom('phones')
      .select('id')
      .where('person_id', '=', personId)
      .executeTakeFirstOrThrow();
    const batches = await database.db
      .selectFrom('mdoc_batches')
      .select(['id', 'status', 'size'])
      .where('phone_id', '=', phone.id)
      .orderBy('size')
      .execute();
    // The provisioning batch has two MSOs, the refill three.
    expect(batches.map((batch) => batch.size)).toEqual([2, 3]);
    expect(batches[0]!.status).toBe('issued');
    const refill = batches[1]!;
    const rows = await database.db
      .selectFrom('records')
      .select('status_index')
      .where('batch_id', '=', refill.id)
      .execute();
    return { status: refill.status, indexes: rows.map((row) => row.status_index!) };
  };

  it.each(BOUNDARIES.map((boundary, index) => [boundary, index] as const))(
    'at %s: the batch is the phone’s all at once or not at all',
    async (killAt: CrashPoint, index) => {
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', child, database.url, database.schema ?? '-', killAt, String(index)],
        { encoding: 'utf8', cwd: REPO_ROOT },
      );
      expect(result.signal, result.stderr).toBe('SIGKILL');
      const personId = registryPerson('mdoc-refill-crash', index).input.id;
      const before = await refillOf(personId);
      // All three status indexes were reserved before anything was signed.
      expect(before.indexes).toHaveLength(3);
      expect(before.status).toBe(killAt === 'mdoc-batch-issued' ? 'issued' : 'issuing');

      // What `issuer serve` runs at start-up.
      await abandonUnfinishedProvisioning(context, new Date(Date.now() + 1000));
      const after = await refillOf(personId);
      if (killAt === 'mdoc-batch-issued') {
        expect(after.status).toBe('issued');
        expect(await status(after.indexes)).toEqual([0, 0, 0].map(() => TOKEN_STATUS.valid));
      } else {
        expect(after.status).toBe('abandoned');
        expect(await status(after.indexes)).toEqual([0, 0, 0].map(() => TOKEN_STATUS.invalid));
      }
    },
    timeoutFor({ 'a child that makes the authorities, a card, a phone and a refill': [1, 15_000] }),
  );
});
