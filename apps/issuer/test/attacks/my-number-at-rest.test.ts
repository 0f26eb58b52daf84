import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, type TestDatabase } from '../../../../test-support/databases.js';
import { issuerTestContext, registryPerson } from '../../../../test-support/issuer-fixtures.js';
import { createPerson, getPerson, sealRegistry, type IssuerContext, type IssuerSchema } from '../../src/index.js';

/*
 * Issue 17: after one duplicate registration PostgreSQL's server log held `Key (my_number)=(…) already
 * exists` — the unique index was on the raw number. Now the column holds a keyed digest and the number
 * is sealed; nothing the database can print carries it.
 */

describe.each(ENGINES)('My Numbers at rest on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  beforeAll(async () => {
    ({ database, context } = await issuerTestContext(engine, () => new Date()));
  });
  afterAll(() => database.dispose());

  it('keeps no My Number in the clear: a duplicate is refused, and the error the database raised names none', async () => {
    const { input } = registryPerson('at-rest', 1);
    await createPerson(context, input, 'test');
    const duplicate = await createPerson(context, { ...input, id: 'P9999999' }, 'test').catch(
      (error: unknown) => error,
    );
    expect(duplicate).toMatchObject({ code: 'ERR_PERSON_EXISTS' });
    // What the driver reported — and what PostgreSQL wrote to its own log — quotes the digest at most.
    const cause = (duplicate as { cause?: { detail?: string; message?: string } }).cause;
    expect(JSON.stringify({ detail: cause?.detail, message: cause?.message })).not.toContain(input.myNumber);
    const rows = await database.db.selectFrom('persons').selectAll().execute();
    expect(Buffer.from(JSON.stringify(rows)).includes(input.myNumber)).toBe(false);
    expect(rows.some((row) => Buffer.from(row.my_number_sealed ?? []).includes(Buffer.from(input.myNumber)))).toBe(
      false,
    );
    expect((await getPerson(context, input.id)).myNumber).toBe(input.myNumber);
    // Under another key nothing opens.
    await expect(getPerson({ ...context, registryKey: new Uint8Array(32) }, input.id)).rejects.toMatchObject({
      code: 'ERR_REGISTRY_KEY',
    });
  });

  it('seals a registry written before: each number is replaced by its digest and its sealed copy', async () => {
    const { input } = registryPerson('at-rest', 2);
    await createPerson(context, input, 'test');
    // As an older issuer left it: the number in the clear, nothing sealed.
    await database.db
      .updateTable('persons')
      .set({ my_number: input.myNumber, my_number_sealed: null })
      .where('id', '=', input.id)
      .execute();
    expect(await sealRegistry(context)).toBe(1);
    const row = await database.db
      .selectFrom('persons')
      .selectAll()
      .where('id', '=', input.id)
      .executeTakeFirstOrThrow();
    expect(row.my_number).not.toContain(input.myNumber);
    expect((await getPerson(context, input.id)).myNumber).toBe(input.myNumber);
    expect(await sealRegistry(context)).toBe(0);
  });
});
