import { columnTypes, identityColumn, makeAppendOnly, type EngineMigration } from '@openmyna/storage';
import type { Kysely } from 'kysely';

/** The verifier service's migrations, applied in name order by `migrate`. Never edit one that has shipped. */
export const VERIFIER_MIGRATIONS: Record<string, EngineMigration> = {
  '0001-verifier': {
    async up(db: Kysely<unknown>, engine) {
      const { binary } = columnTypes(engine);
      await db.schema
        .createTable('relying_parties')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('api_key_digest', 'text', (col) => col.notNull().unique())
        .addColumn('my_number_purpose', 'text', (col) => col.notNull())
        .addColumn('elements', 'text', (col) => col.notNull())
        .addColumn('request_certificate', binary, (col) => col.notNull())
        .addColumn('request_key_sealed', binary, (col) => col.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('created_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('presentations')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('rp_id', 'text', (col) => col.notNull().references('relying_parties.id'))
        .addColumn('nonce', 'text', (col) => col.notNull().unique())
        .addColumn('state', 'text', (col) => col.notNull().unique())
        .addColumn('request', 'text', (col) => col.notNull())
        .addColumn('request_jwt', 'text', (col) => col.notNull())
        .addColumn('decryption_key_sealed', binary)
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('responded_at', 'text')
        .addColumn('result', 'text')
        .addColumn('claims_sealed', binary)
        .addColumn('claims_fetched_at', 'text')
        .execute();
      await db.schema.createIndex('presentations_rp').on('presentations').column('rp_id').execute();
      // Each JPKI signature is accepted once: a signature replayed into another presentation is refused.
      await db.schema
        .createTable('presented_signatures')
        .addColumn('digest', 'text', (col) => col.primaryKey())
        .addColumn('presentation_id', 'text', (col) => col.notNull())
        .addColumn('at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('login_challenges')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('rp_id', 'text', (col) => col.notNull().references('relying_parties.id'))
        .addColumn('value', 'text', (col) => col.notNull())
        .addColumn('client_id', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('used_at', 'text')
        .execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'integer', identityColumn(engine))
        .addColumn('at', 'text', (col) => col.notNull())
        .addColumn('rp_id', 'text')
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('subject_id', 'text', (col) => col.notNull())
        .addColumn('result', 'text', (col) => col.notNull())
        .addColumn('details', 'text', (col) => col.notNull())
        .execute();
      await makeAppendOnly(db, engine, 'audit_log', 'verifier_audit_log_append_only');
    },
  },
  '0002-proximity-sessions': {
    async up(db: Kysely<unknown>, engine) {
      const { binary } = columnTypes(engine);
      await db.schema
        .createTable('proximity_sessions')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('rp_id', 'text', (col) => col.notNull().references('relying_parties.id'))
        .addColumn('elements', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('responded_at', 'text')
        .addColumn('result', 'text')
        .addColumn('claims_sealed', binary)
        .addColumn('claims_fetched_at', 'text')
        .execute();
      await db.schema.createIndex('proximity_sessions_rp').on('proximity_sessions').column('rp_id').execute();
    },
  },
  '0003-presentation-rejections': {
    async up(db: Kysely<unknown>) {
      // Answers that did not verify (and wallet refusals) no longer end a request: they are counted, and
      // the last one kept, while the request stays open for the holder's own answer.
      await db.schema
        .alterTable('presentations')
        .addColumn('rejected_answers', 'integer', (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('presentations').addColumn('last_rejection', 'text').execute();
    },
  },
  '0004-webhook-outbox': {
    async up(db: Kysely<unknown>) {
      // Webhooks go out through an outbox written with the result, retried until delivered or expired.
      await db.schema
        .createTable('webhook_outbox')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('rp_id', 'text', (col) => col.notNull().references('relying_parties.id'))
        .addColumn('subject_id', 'text', (col) => col.notNull())
        .addColumn('url', 'text', (col) => col.notNull())
        .addColumn('body', 'text', (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('next_attempt_at', 'text', (col) => col.notNull())
        .addColumn('lease_token', 'text')
        .addColumn('lease_until', 'text')
        .addColumn('last_attempt_at', 'text')
        .addColumn('last_error', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema
        .createIndex('webhook_outbox_due')
        .on('webhook_outbox')
        .columns(['state', 'next_attempt_at'])
        .execute();
      await db.schema.createIndex('webhook_outbox_rp').on('webhook_outbox').columns(['rp_id', 'created_at']).execute();
    },
  },
  '0005-oidc': {
    async up(db: Kysely<unknown>, engine) {
      const { binary } = columnTypes(engine);
      // The デジタル認証アプリ-compatible OpenID Provider (docs/oidc.md): relying parties' OIDC clients, the
      // provider's own records (codes, tokens, interactions, grants), the accounts an authorization made, its
      // ID-token signing key, and sign transactions.
      await db.schema
        .createTable('oidc_clients')
        .addColumn('client_id', 'text', (col) => col.primaryKey())
        .addColumn('rp_id', 'text', (col) => col.notNull().unique().references('relying_parties.id'))
        .addColumn('redirect_uris', 'text', (col) => col.notNull())
        .addColumn('jwks', 'text', (col) => col.notNull())
        .addColumn('scopes', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('oidc_records')
        .addColumn('model', 'text', (col) => col.notNull())
        .addColumn('id', 'text', (col) => col.notNull())
        .addColumn('payload', 'text', (col) => col.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('uid', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('consumed_at', 'text')
        .addPrimaryKeyConstraint('oidc_records_pk', ['model', 'id'])
        .execute();
      await db.schema.createIndex('oidc_records_grant').on('oidc_records').column('grant_id').execute();
      await db.schema.createIndex('oidc_records_uid').on('oidc_records').column('uid').execute();
      await db.schema.createIndex('oidc_records_expiry').on('oidc_records').column('expires_at').execute();
      await db.schema
        .createTable('oidc_accounts')
        .addColumn('grant_id', 'text', (col) => col.primaryKey())
        .addColumn('claims_sealed', binary, (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('oidc_keys')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('key_sealed', binary, (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('sign_transactions')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('client_id', 'text', (col) => col.notNull())
        .addColumn('rp_id', 'text', (col) => col.notNull().references('relying_parties.id'))
        .addColumn('digest', 'text', (col) => col.notNull())
        .addColumn('digest_info', 'integer', (col) => col.notNull())
        .addColumn('title', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('interaction_uid', 'text')
        .addColumn('grant_id', 'text')
        .addColumn('result_sealed', binary)
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('sign_transactions_expiry').on('sign_transactions').column('expires_at').execute();
    },
  },
};
