// The registry part of `npm run bench -- capacity`: millions of synthetic persons bulk-loaded into the
// issuer's own PostgreSQL schema (its migrations, My Numbers sealed as `createPerson` seals them), the
// load timed, the size on disk per table and index, and a sample written by `createPerson` itself for
// what each person adds beyond the `persons` row (the rendered card-face images, the audit entry).
import { randomBytes, randomFillSync } from 'node:crypto';
import { once } from 'node:events';

import { generatePerson, renderFacePhoto } from '@openmyna/core';
import { createPerson, ISSUER_MIGRATIONS, personInputOf, type IssuerSchema } from '@openmyna/issuer';
import { migrate, openDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

import {
  COPY_BINARY_HEADER,
  COPY_BINARY_TRAILER,
  encodePersonTuple,
  PERSON_COLUMNS,
  registryRows,
} from './capacity-model.js';

/** The population seed of the capacity registry. */
export const CAPACITY_SEED = 'openmyna-capacity';

/** Sizes of one table on disk: heap, TOAST (the photos live there), indexes, each index. */
export interface TableSize {
  readonly table: string;
  readonly rows: number;
  readonly heap: number;
  readonly toast: number;
  readonly indexes: number;
  readonly total: number;
  readonly perIndex: readonly { readonly name: string; readonly bytes: number }[];
}

export interface RegistryLoad {
  readonly persons: number;
  readonly copySeconds: number;
  readonly uniqueIndexSeconds: number;
  readonly analyzeSeconds: number;
  readonly sizes: readonly TableSize[];
  /** From the `createPerson` sample: bytes per person of `card_face_images` and of `audit_log`. */
  readonly faceImageBytes: number;
  readonly auditBytes: number;
  readonly sample: number;
}

/** Creates (or recreates) database `name` on the server of `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops database `name` on the server of `adminUrl`. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
  } finally {
    await client.end();
  }
}

/** Face photos of a few synthetic persons, used in turn by the bulk load. */
export function photoPool(size = 16): Uint8Array[] {
  return Array.from({ length: size }, (_, i) => {
    const person = generatePerson({ seed: CAPACITY_SEED }, i);
    return renderFacePhoto({ faceSeed: person.faceSeed, sex: person.sex, age: 20 + ((i * 7) % 60) });
  });
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** Streams `count` persons into `persons` with binary COPY (pg-copy-streams), printing progress. */
async function copyPersons(client: pg.Client, registryKey: Uint8Array, count: number): Promise<void> {
  const ivs = Buffer.alloc(12 * 4096);
  let ivAt = ivs.length;
  const randomIv = () => {
    if (ivAt === ivs.length) [ivAt] = [0, randomFillSync(ivs)];
    ivAt += 12;
    return ivs.subarray(ivAt - 12, ivAt);
  };
  const rows = registryRows(
    { seed: CAPACITY_SEED, registryKey, photos: photoPool(), randomIv, now: new Date() },
    count,
  );
  const stream = client.query(copyFrom(`copy persons (${PERSON_COLUMNS.join(', ')}) from stdin (format binary)`));
  const started = performance.now();
  const step = Math.max(100_000, Math.ceil(count / 20 / 100_000) * 100_000);
  stream.write(COPY_BINARY_HEADER);
  let done = 0;
  let batch: Buffer[] = [];
  for (const { row } of rows) {
    batch.push(encodePersonTuple(row));
    if (++done % 1000 === 0 || done === count) {
      if (!stream.write(Buffer.concat(batch))) await once(stream, 'drain');
      batch = [];
    }
    if (done % step === 0)
      console.log(`  … ${done.toLocaleString('en')} persons, ${Math.round(done / seconds(started))} persons/s`);
  }
  stream.end(COPY_BINARY_TRAILER);
  await once(stream, 'finish');
}

/** The table's size on disk (after `analyze`, so `rows` is the planner's count unless `exact`). */
async function tableSize(client: pg.Client, table: string, exact: boolean): Promise<TableSize> {
  const { rows } = await client.query<{ heap: string; toast: string; indexes: string; total: string; rows: string }>(
    `select pg_relation_size(c.oid) as heap, coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as toast,
            pg_indexes_size(c.oid) as indexes, pg_total_relation_size(c.oid) as total, c.reltuples::bigint as rows
       from pg_class c where c.oid = $1::regclass`,
    [table],
  );
  const perIndex = await client.query<{ name: string; bytes: string }>(
    `select indexrelid::regclass::text as name, pg_relation_size(indexrelid) as bytes from pg_index where indrelid = $1::regclass order by 1`,
    [table],
  );
  const counted = exact ? (await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n : null;
  const size = rows[0]!;
  return {
    table,
    rows: Number(counted ?? size.rows),
    heap: Number(size.heap),
    toast: Number(size.toast),
    indexes: Number(size.indexes),
    total: Number(size.total),
    perIndex: perIndex.rows.map((index) => ({ name: index.name, bytes: Number(index.bytes) })),
  };
}

/** Sizes of `tables`, each row count exact. */
export async function tableSizes(url: string, tables: readonly string[]): Promise<TableSize[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`analyze ${tables.join(', ')}`);
    const sizes: TableSize[] = [];
    for (const table of tables) sizes.push(await tableSize(client, table, true));
    return sizes;
  } finally {
    await client.end();
  }
}

/** `createPerson` for `count` more persons of the population: the whole registry write, face images and audit included. */
async function writeSample(url: string, registryKey: Uint8Array, start: number, count: number): Promise<void> {
  const database = openDatabase<IssuerSchema>(url);
  try {
    const context = {
      db: database.db,
      clock: () => new Date(),
      randomBytes: (length: number) => new Uint8Array(randomBytes(length)),
      registryKey,
    };
    const photos = photoPool(4);
    for (let index = start; index < start + count; index++) {
      const person = generatePerson({ seed: CAPACITY_SEED }, index);
      await createPerson(context, personInputOf(person, photos[index % photos.length]!), 'capacity-bench');
    }
  } finally {
    await database.close();
  }
}

/**
 * Migrates the issuer's schema into `url`, bulk-loads `count` persons (the two unique indexes dropped
 * during the COPY and rebuilt after, as a bulk load does), then writes `sample` persons through
 * `createPerson`. Returns the timings and sizes.
 */
export async function loadRegistry(
  url: string,
  registryKey: Uint8Array,
  count: number,
  sample: number,
): Promise<RegistryLoad> {
  const database = openDatabase<IssuerSchema>(url);
  await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
  await database.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const unique = await client.query<{ name: string; definition: string }>(
      `select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint where conrelid = 'persons'::regclass and contype = 'u'`,
    );
    for (const constraint of unique.rows) await client.query(`alter table persons drop constraint ${constraint.name}`);
    let started = performance.now();
    await copyPersons(client, registryKey, count);
    const copySeconds = seconds(started);
    console.log(`  COPY done: ${copySeconds.toFixed(1)} s; rebuilding ${unique.rows.length} unique indexes`);
    started = performance.now();
    for (const constraint of unique.rows)
      await client.query(`alter table persons add constraint ${constraint.name} ${constraint.definition}`);
    const uniqueIndexSeconds = seconds(started);
    started = performance.now();
    await client.query('analyze persons');
    const analyzeSeconds = seconds(started);
    const before = await tableSizes(url, ['card_face_images', 'audit_log']);
    console.log(`  writing ${sample} more persons through createPerson (face images rendered, audit entry)`);
    await writeSample(url, registryKey, count, sample);
    const sizes = await tableSizes(url, ['persons', 'card_face_images', 'audit_log']);
    const grown = (table: string) =>
      (sizes.find((size) => size.table === table)!.total - before.find((size) => size.table === table)!.total) / sample;
    return {
      persons: count,
      copySeconds,
      uniqueIndexSeconds,
      analyzeSeconds,
      sizes,
      faceImageBytes: grown('card_face_images'),
      auditBytes: grown('audit_log'),
      sample,
    };
  } finally {
    await client.end();
  }
}
