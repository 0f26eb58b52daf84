import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import Database from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type ColumnDefinitionBuilder,
  type Migration,
  type MigrationProvider,
  type Transaction,
} from 'kysely';
import pg from 'pg';

import { StorageError } from './errors.js';

/** The two engines (DESIGN.md, Persistence): embedded SQLite by default, PostgreSQL to scale out. */
export type Engine = 'sqlite' | 'postgres';

export interface OpenedDatabase<Schema> {
  readonly db: Kysely<Schema>;
  readonly engine: Engine;
  /** A printable location without credentials. */
  readonly location: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL: the schema to use (created if missing), for isolated tests and tenants. */
  readonly schema?: string;
  /** PostgreSQL: pool size. Default 10. */
  readonly poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens a database from a URL: `postgres://…` / `postgresql://…` for PostgreSQL, anything else is a
 * SQLite file path (`sqlite:` prefix optional; `:memory:` for a throwaway one). SQLite runs in WAL mode
 * with `synchronous=FULL`, so a committed transaction survives a crash of the process or the machine,
 * and with foreign keys enforced.
 *
 * @example
 * ```ts
 * const { db, close } = openDatabase<IssuerSchema>('./.openmyna/issuer.db');
 * ```
 */
export function openDatabase<Schema>(url: string, options: OpenDatabaseOptions = {}): OpenedDatabase<Schema> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new StorageError('ERR_DB_URL', 'a schema name is lower-case letters, digits and underscores');
    }
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    const parsed = new URL(url);
    return {
      db,
      engine: 'postgres',
      location: `postgres://${parsed.host}${parsed.pathname}${options.schema ? ` (schema ${options.schema})` : ''}`,
      close: () => db.destroy(),
    };
  }
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (path === '') throw new StorageError('ERR_DB_URL', 'an empty database path');
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  let database: Database.Database;
  try {
    database = new Database(path);
  } catch (error) {
    throw new StorageError('ERR_DB_CONNECT', `cannot open the SQLite database at ${path}`, { cause: error });
  }
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database }) });
  return { db, engine: 'sqlite', location: path, close: () => db.destroy() };
}

/** Creates the PostgreSQL schema of `options.schema` if needed (SQLite has none). */
export async function ensureSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema))
    throw new StorageError('ERR_DB_URL', 'a schema name is lower-case letters, digits and underscores');
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`create schema if not exists ${schema}`);
  } catch (error) {
    throw new StorageError('ERR_DB_CONNECT', `cannot reach PostgreSQL at ${new URL(url).host}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops a PostgreSQL schema and everything in it (tests). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema))
    throw new StorageError('ERR_DB_URL', 'a schema name is lower-case letters, digits and underscores');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/** A migration that may need to know the engine (binary and identity column types differ). */
export interface EngineMigration {
  up(db: Kysely<unknown>, engine: Engine): Promise<void>;
}

/** Column types that differ between the engines. */
export function columnTypes(engine: Engine): { binary: 'blob' | 'bytea' } {
  return { binary: engine === 'sqlite' ? 'blob' : 'bytea' };
}

/**
 * Brings the database to the newest of `migrations` (applied in name order, each once, recorded in
 * `kysely_migration`). Throws `ERR_DB_MIGRATION` naming the migration that failed.
 */
export async function migrate(
  db: Kysely<unknown>,
  engine: Engine,
  migrations: Record<string, EngineMigration>,
): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: () =>
      Promise.resolve(
        Object.fromEntries(
          Object.entries(migrations).map(([name, migration]): [string, Migration] => [
            name,
            { up: (kysely) => migration.up(kysely, engine) },
          ]),
        ),
      ),
  };
  // Kysely looks for its bookkeeping tables in every schema; tell it ours, or a sibling schema's tables
  // (tests, tenants) would be taken for this one's.
  const schema =
    engine === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const { error, results } = await new Migrator({
    db,
    provider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new StorageError('ERR_DB_MIGRATION', `migration ${failed?.migrationName ?? '(unknown)'} failed`, {
      cause: error,
    });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** Runs `work` in one transaction: all of it is committed, or none of it. */
export function inTransaction<Schema, T>(
  db: Kysely<Schema>,
  work: (trx: Transaction<Schema>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(work);
}

/** Whether an error is a unique-constraint violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export { sql };

/**
 * Makes `table` append-only in the database itself: triggers refuse UPDATE and DELETE on both engines
 * (`<table> is append-only`). On PostgreSQL the trigger calls `functionName`, which this creates.
 */
export async function makeAppendOnly(
  db: Kysely<unknown>,
  engine: Engine,
  table: string,
  functionName: string,
): Promise<void> {
  const message = sql.lit(`${table} is append-only`);
  if (engine === 'sqlite') {
    for (const operation of ['update', 'delete'] as const)
      await sql`create trigger ${sql.id(`${table}_no_${operation}`)} before ${sql.raw(operation)} on ${sql.id(table)} begin select raise(abort, ${message}); end`.execute(
        db,
      );
    return;
  }
  await sql`create function ${sql.id(functionName)}() returns trigger language plpgsql as ${sql.lit(`begin raise exception '${table} is append-only'; end`)}`.execute(
    db,
  );
  await sql`create trigger ${sql.id(`${table}_no_change`)} before update or delete on ${sql.id(table)} for each row execute function ${sql.id(functionName)}()`.execute(
    db,
  );
}

/** An auto-numbered integer primary key on either engine (SQLite AUTOINCREMENT, PostgreSQL identity). */
export function identityColumn(engine: Engine) {
  return (column: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    engine === 'sqlite' ? column.primaryKey().autoIncrement() : column.primaryKey().generatedAlwaysAsIdentity();
}
