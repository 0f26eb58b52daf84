import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

import { basicFourInfoOf, generatePerson, renderFacePhoto } from '@openmyna/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, type TestDatabase } from '../../../test-support/databases.js';
import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import {
  abandonUnfinished,
  certificateState,
  createPerson,
  type CrashPoint,
  type IssuerContext,
  type IssuerSchema,
} from '../src/index.js';
import { issuerTestContext } from '../../../test-support/issuer-fixtures.js';

const child = resolve(REPO_ROOT, 'apps/issuer/test/crash-child.ts');

function runChild(
  database: TestDatabase<IssuerSchema>,
  operation: 'issue' | 'revoke',
  killAt: CrashPoint | 'none',
  serial = '',
) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', child, database.url, database.schema ?? '-', operation, killAt, serial],
    { encoding: 'utf8', cwd: REPO_ROOT },
  );
  if (result.signal !== 'SIGKILL' && result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
  return { killed: result.signal === 'SIGKILL', acknowledged: result.stdout.includes('acknowledged') };
}

describe.each(ENGINES)('crash injection on %s (SIGKILL at every boundary)', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  beforeAll(async () => {
    ({ database, context } = await issuerTestContext(engine, () => new Date(Date.now() + 60_000)));
    const person = generatePerson({ seed: 'crash' }, 0);
    await createPerson(
      context,
      {
        id: person.id,
        basicFourInfo: basicFourInfoOf(person),
        nameKana: person.nameKana,
        myNumber: person.myNumber,
        residentCode: person.residentCode,
        municipalityCode: person.municipalityCode,
        photo: renderFacePhoto({ faceSeed: 1, sex: '1', age: 40 }),
      },
      'test',
    );
  });
  afterAll(() => database.dispose());

  const certificates = () => database.db.selectFrom('certificates').selectAll().orderBy('created_at').execute();

  it.each<[CrashPoint, 'prepared' | 'issued']>([
    ['certificate-prepared', 'prepared'],
    ['certificate-signed', 'prepared'],
    ['certificate-recorded', 'issued'],
  ])('issuance killed at %s leaves the certificate %s, never signed-but-unrecorded', async (point, expected) => {
    const before = (await certificates()).length;
    const run = runChild(database, 'issue', point);
    expect(run).toEqual({ killed: true, acknowledged: false });
    const rows = await certificates();
    expect(rows).toHaveLength(before + 1);
    const row = rows.at(-1)!;
    expect(row.status).toBe(expected);
    expect(row.tbs.length).toBeGreaterThan(100);
    // Every signed certificate on record is issued; a prepared row has no DER.
    expect(rows.every((r) => (r.der === null) === (r.status === 'prepared' || r.status === 'abandoned'))).toBe(true);
    if (expected === 'prepared') {
      expect(await abandonUnfinished(context, new Date(Date.now() + 60_000))).toBe(1);
      expect((await certificateState(context, 'signing', row.serial)).status).toBe('revoked');
    }
  });

  it('an acknowledged issuance is recorded with its audit entry', async () => {
    expect(runChild(database, 'issue', 'none')).toEqual({ killed: false, acknowledged: true });
    const row = (await certificates()).at(-1)!;
    expect(row.status).toBe('issued');
    const audit = await database.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', row.serial)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['certificate.issue']);
  });

  it('a revocation killed inside its transaction leaves nothing; one killed after commit is complete', async () => {
    const issued = (await certificates()).filter((row) => row.status === 'issued');
    const [first, second] = issued;
    expect(runChild(database, 'revoke', 'revocation-pending', first!.serial)).toEqual({
      killed: true,
      acknowledged: false,
    });
    expect(await certificateState(context, 'signing', first!.serial)).toEqual({ status: 'good' });
    expect(
      await database.db.selectFrom('revocations').selectAll().where('serial', '=', first!.serial).execute(),
    ).toEqual([]);

    expect(runChild(database, 'revoke', 'revocation-committed', second!.serial)).toEqual({
      killed: true,
      acknowledged: false,
    });
    expect(await certificateState(context, 'signing', second!.serial)).toMatchObject({
      status: 'revoked',
      reason: 'keyCompromise',
    });
    expect(
      await database.db.selectFrom('revocations').selectAll().where('serial', '=', second!.serial).execute(),
    ).toHaveLength(1);

    expect(runChild(database, 'revoke', 'none', first!.serial)).toEqual({ killed: false, acknowledged: true });
    expect(await certificateState(context, 'signing', first!.serial)).toMatchObject({ status: 'revoked' });
  });
});
