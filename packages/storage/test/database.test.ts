import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inTransaction, isUniqueViolation, migrate, openDatabase, sql, StorageError } from '@openmyna/storage';

import { ENGINES, testDatabase, type TestDatabase } from '../../../test-support/databases.js';

interface Schema {
  items: { id: string; payload: Uint8Array; n: number };
}

const MIGRATIONS = {
  '0001-items': {
    async up(db: Kysely<unknown>, engine: 'sqlite' | 'postgres') {
      await db.schema
        .createTable('items')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('payload', engine === 'sqlite' ? 'blob' : 'bytea', (col) => col.notNull())
        .addColumn('n', 'integer', (col) => col.notNull())
        .execute();
    },
  },
};

describe.each(ENGINES)('storage on %s', (engine) => {
  let database: TestDatabase<Schema>;
  beforeAll(async () => {
    database = await testDatabase<Schema>(engine);
  });
  afterAll(() => database.dispose());

  it('applies each migration once and round-trips binary values', async () => {
    expect(await migrate(database.db as Kysely<unknown>, database.engine, MIGRATIONS)).toEqual(['0001-items']);
    expect(await migrate(database.db as Kysely<unknown>, database.engine, MIGRATIONS)).toEqual([]);
    const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
    await database.db.insertInto('items').values({ id: 'a', payload, n: 1 }).execute();
    const row = await database.db.selectFrom('items').selectAll().where('id', '=', 'a').executeTakeFirstOrThrow();
    expect(Buffer.from(row.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it('commits all of a transaction or none of it, and recognizes unique violations', async () => {
    await expect(
      inTransaction(database.db, async (trx) => {
        await trx
          .insertInto('items')
          .values({ id: 'b', payload: new Uint8Array(1), n: 2 })
          .execute();
        await trx
          .insertInto('items')
          .values({ id: 'a', payload: new Uint8Array(1), n: 3 })
          .execute();
      }),
    ).rejects.toSatisfy(isUniqueViolation);
    expect(await database.db.selectFrom('items').select('id').where('id', '=', 'b').execute()).toEqual([]);
  });

  it('names the migration that failed', async () => {
    const broken = {
      '0002-broken': {
        up: (db: Kysely<unknown>) => sql`select * from no_such_table`.execute(db).then(() => undefined),
      },
    };
    await expect(
      migrate(database.db as Kysely<unknown>, database.engine, { ...MIGRATIONS, ...broken }),
    ).rejects.toMatchObject({ code: 'ERR_DB_MIGRATION', message: expect.stringContaining('0002-broken') as string });
  });
});

describe('openDatabase', () => {
  it('refuses an empty path and a bad schema name', () => {
    expect(() => openDatabase('sqlite:')).toThrow(StorageError);
    expect(() => openDatabase('postgres://127.0.0.1/test', { schema: 'x; drop table' })).toThrow(
      expect.objectContaining({ code: 'ERR_DB_URL' }) as Error,
    );
  });

  it('runs SQLite in WAL mode with full sync and foreign keys', async () => {
    const database = await testDatabase<Schema>('sqlite');
    const pragmas = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(database.db);
    expect(pragmas.rows[0]!.journal_mode).toBe('wal');
    const keys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(database.db);
    expect(keys.rows[0]!.foreign_keys).toBe(1);
    await database.dispose();
  });
});
