import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, type TestDatabase } from '../../../test-support/databases.js';
import { issuerTestContext, registryPerson } from '../../../test-support/issuer-fixtures.js';
import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import { timeoutFor } from '../../../test-support/timeouts.js';
import {
  abandonUnfinished,
  abandonUnfinishedProvisioning,
  type CrashPoint,
  type IssuerContext,
  type IssuerSchema,
} from '../src/index.js';

/*
 * Issue 17: an issuer killed during provisioning left a phone `active` with no certificates and no
 * records (SQLite), or `active` with two certificates answering "good" but no records (PostgreSQL).
 * Now a phone is `active` only in the transaction that records its records; start-up repair ends a phone
 * left `provisioning`, revoking what was signed for it.
 */

const child = resolve(REPO_ROOT, 'apps/issuer/test/provisioning-crash-child.ts');
const BOUNDARIES = ['phone-provisioning', 'certificate-signed', 'phone-credentials-issued', 'phone-active'] as const;

describe.each(ENGINES)('provisioning killed with SIGKILL on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  beforeAll(async () => {
    ({ database, context } = await issuerTestContext(engine, () => new Date()));
  });
  afterAll(() => database.dispose());

  const phonesOf = (personId: string) =>
    database.db.selectFrom('phones').select(['id', 'status']).where('person_id', '=', personId).execute();
  const certificatesOf = (phoneId: string) =>
    database.db.selectFrom('certificates').select('status').where('phone_id', '=', phoneId).execute();
  const recordsOf = (phoneId: string) =>
    database.db.selectFrom('records').select('kind').where('phone_id', '=', phoneId).execute();

  it.each(BOUNDARIES.map((boundary, index) => [boundary, index] as const))(
    'at %s: never active without its certificates and records; repair ends what was left half-done',
    async (killAt: CrashPoint, index) => {
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', child, database.url, database.schema ?? '-', killAt, String(index)],
        { encoding: 'utf8', cwd: REPO_ROOT },
      );
      expect(result.signal, result.stderr).toBe('SIGKILL');
      const personId = registryPerson('provisioning-crash', index).input.id;
      const [phone] = await phonesOf(personId);
      expect(phone).toBeDefined();
      if (phone!.status === 'active') {
        // Only once everything was made and recorded.
        expect(killAt).toBe('phone-active');
        expect((await certificatesOf(phone!.id)).every((row) => row.status === 'issued')).toBe(true);
        expect((await recordsOf(phone!.id)).map((row) => row.kind).sort()).toEqual(['kenhojo', 'kenkaku', 'mdoc']);
      } else {
        expect(phone!.status).toBe('provisioning');
      }

      // What `issuer serve` runs at start-up.
      await abandonUnfinished(context, new Date(Date.now() + 1000));
      await abandonUnfinishedProvisioning(context, new Date(Date.now() + 1000));
      const [after] = await phonesOf(personId);
      const certificates = await certificatesOf(after!.id);
      if (killAt === 'phone-active') {
        expect(after!.status).toBe('active');
      } else {
        expect(after!.status).toBe('revoked');
        // Nothing signed for it still answers "good".
        expect(certificates.filter((row) => row.status === 'issued')).toEqual([]);
      }
    },
    timeoutFor({ 'a child that makes the authorities, a card and a phone': [1, 12_000] }),
  );
});
