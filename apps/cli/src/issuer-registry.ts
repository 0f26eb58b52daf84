import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { ageOn, calendarDateInJapan, parseIsoDate, renderFacePhoto, type SyntheticPerson } from '@openmyna/core';
import {
  createPerson,
  ISSUER_MIGRATIONS,
  personInputOf,
  sealRegistry,
  type IssuerContext,
  type IssuerSchema,
} from '@openmyna/issuer';
import { migrate, openDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { serviceSealingKey } from './service-runner.js';

/**
 * The issuer's registry key, which indexes and seals My Numbers: `OPENMYNA_ISSUER_REGISTRY_KEY` (base64,
 * 32 bytes), else `<data>/issuer/sealing-key.json` (created, mode 0600). Every command on the registry
 * and `issuer serve` use the same one.
 */
export function issuerRegistryKey(dataDir: string): Promise<Uint8Array> {
  return serviceSealingKey(dataDir, 'issuer', 'OPENMYNA_ISSUER_REGISTRY_KEY');
}

/**
 * Opens the issuing authority's registry — the one database every command that issues or revokes
 * certificates uses (`--db`, default `<data>/issuer.db`) — runs `work` on it, and closes it.
 */
export async function withIssuerRegistry<T>(
  dataDir: string,
  db: string | undefined,
  work: (context: IssuerContext) => Promise<T>,
): Promise<T> {
  const database = openDatabase<IssuerSchema>(db ?? join(dataDir, 'issuer.db'));
  try {
    await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
    const context: IssuerContext = {
      db: database.db,
      clock: () => new Date(),
      randomBytes: (length) => new Uint8Array(randomBytes(length)),
      registryKey: await issuerRegistryKey(dataDir),
    };
    await sealRegistry(context);
    return await work(context);
  } finally {
    await database.close();
  }
}

/**
 * Registers a person of the demo population unless the registry has them already; the photo is the
 * one given, or their synthetic face. Returns whether they were added.
 */
export async function ensureDemoPerson(
  context: IssuerContext,
  person: SyntheticPerson,
  actor: string,
  photo?: Uint8Array,
): Promise<boolean> {
  const known = await context.db.selectFrom('persons').select('id').where('id', '=', person.id).executeTakeFirst();
  if (known) return false;
  const age = ageOn(parseIsoDate(person.birthDate), calendarDateInJapan(context.clock()));
  await createPerson(
    context,
    personInputOf(person, photo ?? renderFacePhoto({ faceSeed: person.faceSeed, sex: person.sex, age })),
    actor,
  );
  return true;
}
