import { columnTypes, identityColumn, makeAppendOnly, sql, type Engine, type EngineMigration } from '@openmyna/storage';
import type { Kysely } from 'kysely';

/** The issuer's migrations, applied in name order by `migrate`. Never edit one that has shipped; add another. */
export const ISSUER_MIGRATIONS: Record<string, EngineMigration> = {
  '0001-registry': {
    async up(db: Kysely<unknown>, engine) {
      await createRegistryTables(db, engine);
      await createCredentialTables(db, engine);
      await createAuditTables(db, engine);
    },
  },
  '0002-one-phone-per-person': {
    async up(db: Kysely<unknown>) {
      // One phone per person, held by the database itself: concurrent provisionings of one person
      // cannot both leave a live phone (the later one retries and supersedes the earlier).
      await db.schema
        .createIndex('phones_one_live_per_person')
        .on('phones')
        .column('person_id')
        .unique()
        .where(sql.ref('status'), '!=', 'revoked')
        .execute();
    },
  },
  '0003-unique-status-index': {
    async up(db: Kysely<unknown>) {
      // Each mdoc has its own entry in the Token Status List; revoking one must never revoke another.
      await db.schema
        .createIndex('records_status_index')
        .on('records')
        .column('status_index')
        .unique()
        .where(sql.ref('status_index'), 'is not', null)
        .execute();
    },
  },
  '0004-card-face-images-and-holder-challenges': {
    async up(db: Kysely<unknown>, engine) {
      const { binary } = columnTypes(engine);
      // The card-face images depend only on the registry; they are rendered when the registry changes,
      // not on every provisioning. `inputs_digest` says which registry data they were rendered from.
      await db.schema
        .createTable('card_face_images')
        .addColumn('person_id', 'text', (col) => col.primaryKey().references('persons.id'))
        .addColumn('inputs_digest', 'text', (col) => col.notNull())
        .addColumn('name', binary, (col) => col.notNull())
        .addColumn('address', binary, (col) => col.notNull())
        .addColumn('my_number', binary, (col) => col.notNull())
        .addColumn('photo', binary, (col) => col.notNull())
        .addColumn('rendered_at', 'text', (col) => col.notNull())
        .execute();
      // Single-use challenges for what a holder asks of the issuer about their phone (suspend, revoke,
      // resume, PIN reset), each answered with a signature by the phone's or the card's key.
      await db.schema
        .createTable('holder_challenges')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('phone_id', 'text', (col) => col.notNull().references('phones.id'))
        .addColumn('purpose', 'text', (col) => col.notNull())
        .addColumn('nonce', 'text', (col) => col.notNull().unique())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('used_at', 'text')
        .execute();
    },
  },
  '0005-sealed-my-numbers': {
    async up(db: Kysely<unknown>, engine) {
      const { binary } = columnTypes(engine);
      // `persons.my_number` now holds a keyed digest (its unique index stays); the number itself is
      // sealed here. Rows written before are converted at start-up by `sealRegistry`, which has the key.
      await db.schema.alterTable('persons').addColumn('my_number_sealed', binary).execute();
    },
  },
  '0006-mdoc-batches': {
    async up(db: Kysely<unknown>) {
      // Batch issuance of single-use MSOs: a phone holds a batch, each MSO with its own device key and
      // status index. A batch is `issuing` while its MSOs are made and becomes `issued` in one
      // transaction; one a crash left `issuing` is `abandoned` at start-up (its entries listed invalid).
      await db.schema
        .createTable('mdoc_batches')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('phone_id', 'text', (col) => col.notNull().references('phones.id'))
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('size', 'integer', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('completed_at', 'text')
        .execute();
      await db.schema.createIndex('mdoc_batches_phone').on('mdoc_batches').column('phone_id').execute();
      // Rows from before name no batch and no key: their phone's `device_key` is theirs.
      await db.schema.alterTable('records').addColumn('batch_id', 'text').execute();
      await db.schema.alterTable('records').addColumn('device_key', 'text').execute();
      await db.schema.createIndex('records_phone').on('records').column('phone_id').execute();
    },
  },
  '0007-secure-area': {
    async up(db: Kysely<unknown>, engine) {
      const { binary } = columnTypes(engine);
      // The remote secure area (docs/wallet.md): a phone's JPKI and 券面 keys and its reference data,
      // sealed under a key derived from the registry key, and its retry counters, one row per reference,
      // taken with an atomic update. `pending` while provisioning proves its keys, `certified` once the
      // issuer took them for a phone, `active` once the bundle is installed; `wiped` keeps nothing but
      // the row. `version` counts changes of the sealed credential (writes check it); `proofs` is a bit
      // per pending key that made its one proof of possession.
      await db.schema
        .createTable('secure_area_devices')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('device_key', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('phone_id', 'text', (col) => col.references('phones.id'))
        .addColumn('authentication_key', 'text', (col) => col.notNull().unique())
        .addColumn('public_keys', 'text', (col) => col.notNull())
        .addColumn('version', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('proofs', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('sealed_keys', binary)
        .addColumn('sealed_credential', binary)
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('secure_area_counters')
        .addColumn('device_id', 'text', (col) => col.notNull().references('secure_area_devices.id'))
        .addColumn('reference', 'text', (col) => col.notNull())
        .addColumn('tries_left', 'integer', (col) => col.notNull())
        .addPrimaryKeyConstraint('secure_area_counters_pk', ['device_id', 'reference'])
        .execute();
      await db.schema.createIndex('secure_area_devices_phone').on('secure_area_devices').column('phone_id').execute();
      // PIN-reset authorizations the secure area has used (by SHA-256 of the token): each works once.
      await db.schema
        .createTable('secure_area_used_authorizations')
        .addColumn('digest', 'text', (col) => col.primaryKey())
        .addColumn('device_id', 'text', (col) => col.notNull())
        .addColumn('used_at', 'text', (col) => col.notNull())
        .execute();
    },
  },
  '0008-status-change-notifications': {
    async up(db: Kysely<unknown>, engine) {
      // Every instance's OCSP answers, CRLs and status list drop what a status change made stale (docs/
      // operations.md): on PostgreSQL the change itself announces it, in the transaction that makes it.
      if (engine === 'postgres') await createStatusNotifications(db);
    },
  },
};

/**
 * 0008: triggers that `pg_notify` {@link STATUS_CHANNEL} whenever a status change makes an OCSP answer,
 * a CRL or the mdoc status list stale. NOTIFY is transactional: it is delivered when (and only if) the
 * change commits. The changes every issuance makes announce nothing: a certificate `prepared` → `issued`
 * (never handed out before, so never asked about), a phone `provisioning` → `active` and a batch
 * `issuing` → `issued` (listed as valid before and after).
 */
async function createStatusNotifications(db: Kysely<unknown>): Promise<void> {
  const notify = (payload: string) =>
    `begin perform pg_notify('${STATUS_CHANNEL}', ${payload}::text); return null; end`;
  const certificate = notify(
    "json_build_object('schema', tg_table_schema, 'kind', 'certificate', 'hierarchy', new.hierarchy, 'serial', new.serial, 'municipality', new.municipality_code)",
  );
  const mdoc = notify("json_build_object('schema', tg_table_schema, 'kind', 'mdoc')");
  await sql`create function issuer_certificate_status_notify() returns trigger language plpgsql as ${sql.lit(certificate)}`.execute(
    db,
  );
  await sql`create function issuer_mdoc_status_notify() returns trigger language plpgsql as ${sql.lit(mdoc)}`.execute(
    db,
  );
  const changed = 'old.status is distinct from new.status';
  for (const [table, fn, stale] of [
    ['certificates', 'issuer_certificate_status_notify', `not (old.status = 'prepared' and new.status = 'issued')`],
    [
      'phones',
      'issuer_mdoc_status_notify',
      `not (old.status in ('provisioning', 'active') and new.status in ('provisioning', 'active'))`,
    ],
    ['mdoc_batches', 'issuer_mdoc_status_notify', `'abandoned' in (old.status, new.status)`],
  ] as const)
    await sql`create trigger ${sql.id(`${table}_status_notify`)} after update of status on ${sql.id(table)} for each row when (${sql.raw(`${changed} and ${stale}`)}) execute function ${sql.id(fn)}()`.execute(
      db,
    );
}

/** The PostgreSQL channel status changes are announced on (payload: JSON naming the schema and what changed). */
export const STATUS_CHANNEL = 'openmyna_issuer_status';

/** 0001: The registry: persons, their cards and phones. */
async function createRegistryTables(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const { binary } = columnTypes(engine);
  await db.schema
    .createTable('persons')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('name_kana', 'text', (col) => col.notNull())
    .addColumn('address', 'text', (col) => col.notNull())
    .addColumn('birth_date', 'text', (col) => col.notNull())
    .addColumn('sex', 'text', (col) => col.notNull())
    .addColumn('my_number', 'text', (col) => col.notNull().unique())
    .addColumn('resident_code', 'text', (col) => col.notNull().unique())
    .addColumn('municipality_code', 'text', (col) => col.notNull())
    .addColumn('photo', binary, (col) => col.notNull())
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('cards')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('person_id', 'text', (col) => col.notNull().references('persons.id'))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('issued_at', 'text', (col) => col.notNull())
    .addColumn('expires_on', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('phones')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('person_id', 'text', (col) => col.notNull().references('persons.id'))
    .addColumn('card_id', 'text', (col) => col.notNull().references('cards.id'))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('device_key', 'text', (col) => col.notNull())
    .addColumn('provisioned_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
}

/** 0001: What is issued and revoked: certificates (indexed by holder and CRL partition), records, revocations, provisioning sessions. */
async function createCredentialTables(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const { binary } = columnTypes(engine);
  await db.schema
    .createTable('certificates')
    .addColumn('serial', 'text', (col) => col.primaryKey())
    .addColumn('hierarchy', 'text', (col) => col.notNull())
    .addColumn('person_id', 'text', (col) => col.notNull().references('persons.id'))
    .addColumn('card_id', 'text', (col) => col.references('cards.id'))
    .addColumn('phone_id', 'text', (col) => col.references('phones.id'))
    .addColumn('municipality_code', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('tbs', binary, (col) => col.notNull())
    .addColumn('der', binary)
    .addColumn('not_after', 'text', (col) => col.notNull())
    .addColumn('reason', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('issued_at', 'text')
    .execute();
  for (const column of ['person_id', 'card_id', 'phone_id'] as const) {
    await db.schema.createIndex(`certificates_${column}`).on('certificates').column(column).execute();
  }
  await db.schema
    .createIndex('certificates_partition')
    .on('certificates')
    .columns(['hierarchy', 'municipality_code', 'status'])
    .execute();
  await db.schema
    .createTable('records')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('person_id', 'text', (col) => col.notNull().references('persons.id'))
    .addColumn('card_id', 'text', (col) => col.references('cards.id'))
    .addColumn('phone_id', 'text', (col) => col.references('phones.id'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('issued_at', 'text', (col) => col.notNull())
    .addColumn('valid_until', 'text')
    .addColumn('status_index', 'integer')
    .execute();
  await db.schema
    .createTable('revocations')
    .addColumn('id', 'integer', identityColumn(engine))
    .addColumn('serial', 'text', (col) => col.notNull().references('certificates.serial'))
    .addColumn('hierarchy', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('revoked_at', 'text', (col) => col.notNull())
    .addColumn('actor', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('provisioning_sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('nonce', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('used_at', 'text')
    .addColumn('phone_id', 'text')
    .execute();
}

/** 0001: The append-only audit log and the CRL numbers. */
async function createAuditTables(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', identityColumn(engine))
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('subject_type', 'text', (col) => col.notNull())
    .addColumn('subject_id', 'text', (col) => col.notNull())
    .addColumn('reason', 'text')
    .addColumn('details', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('crl_numbers')
    .addColumn('partition', 'text', (col) => col.primaryKey())
    .addColumn('number', 'integer', (col) => col.notNull())
    .execute();
  // The audit log is append-only in the database itself, not only by convention.
  await makeAppendOnly(db, engine, 'audit_log', 'audit_log_append_only');
}
