import { columnTypes, type EngineMigration } from '@openmyna/storage';
import type { Kysely } from 'kysely';

/** An application for a securities account, from the form to the account (or the refusal). */
export interface ApplicationTable {
  id: string;
  /** The person's answers: occupation, purpose of trading, experience (JSON). */
  answers: string;
  /** The application document the person signs with the phone (UTF-8 text). */
  document: string;
  presentation_id: string | null;
  /** `filled` → `waiting` (the phone asked) → `opened` or `refused`. */
  state: 'filled' | 'waiting' | 'opened' | 'refused';
  /** The verifier's deciding check when refused. */
  refusal: string | null;
  account_no: string | null;
  created_at: string;
}

/**
 * An account, with what a securities firm must keep: the 4 info as verified, the My Number for its
 * statutory reports (個人番号関係事務; sealed with AES-256-GCM), and the verification record
 * (犯罪収益移転防止法 本人確認記録). Nothing else from the card.
 */
export interface AccountTable {
  account_no: string;
  application_id: string;
  name: string;
  address: string;
  birth_date: string;
  sex: string;
  my_number_sealed: Uint8Array;
  verification: string;
  opened_at: string;
  /**
   * The pairwise subject of the phone's JPKI authentication certificate at this firm (verified at
   * opening): 「スマホでログイン」 finds the account by it. Null for accounts opened without it.
   */
  login_subject: string | null;
}

/**
 * A request to a phone that one browser waits for: a login or an age check. The browser that started
 * it holds a secret cookie; only it learns the outcome.
 */
export interface PhoneRequestTable {
  id: string;
  kind: 'login' | 'age';
  presentation_id: string;
  /** `waiting` → `done` or `refused`. */
  state: 'waiting' | 'done' | 'refused';
  /** The verifier's deciding check, or the firm's own reason, when refused. */
  refusal: string | null;
  /** The account logged into (`login`). */
  account_no: string | null;
  /** SHA-256 (hex) of the browser's secret. */
  browser_digest: string;
  created_at: string;
}

/** A signed-in browser (after 「スマホでログイン」): the SHA-256 of its cookie. */
export interface WebSessionTable {
  token_digest: string;
  account_no: string;
  created_at: string;
  expires_at: string;
}

/**
 * A check at the counter (対面): the record the clerk keeps — when, what was verified (element names,
 * the verifier's checks) and the clerk's comparison with the person's face. Never the values.
 */
export interface CounterCheckTable {
  id: string;
  proximity_id: string;
  /** `waiting` → `answered` (shown to the clerk once) → `recorded`; or `refused`. */
  state: 'waiting' | 'answered' | 'refused' | 'recorded';
  refusal: string | null;
  /** The element names asked for (JSON). */
  elements: string;
  /** The verifier's records (JSON; no values). */
  verification: string | null;
  /** The clerk's comparison: the photo matches the person, or not. */
  decision: 'match' | 'mismatch' | null;
  browser_digest: string;
  created_at: string;
  recorded_at: string | null;
}

export interface RpDemoSchema {
  applications: ApplicationTable;
  accounts: AccountTable;
  phone_requests: PhoneRequestTable;
  web_sessions: WebSessionTable;
  counter_checks: CounterCheckTable;
}

/** The RP demo's migrations, applied in name order by `migrate`. Never edit one that has shipped. */
export const RP_DEMO_MIGRATIONS: Record<string, EngineMigration> = {
  '0001-accounts': {
    async up(db: Kysely<unknown>, engine) {
      const { binary } = columnTypes(engine);
      await db.schema
        .createTable('applications')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('answers', 'text', (col) => col.notNull())
        .addColumn('document', 'text', (col) => col.notNull())
        .addColumn('presentation_id', 'text')
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('refusal', 'text')
        .addColumn('account_no', 'text')
        .addColumn('created_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('accounts')
        .addColumn('account_no', 'text', (col) => col.primaryKey())
        .addColumn('application_id', 'text', (col) => col.notNull().unique().references('applications.id'))
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('address', 'text', (col) => col.notNull())
        .addColumn('birth_date', 'text', (col) => col.notNull())
        .addColumn('sex', 'text', (col) => col.notNull())
        .addColumn('my_number_sealed', binary, (col) => col.notNull())
        .addColumn('verification', 'text', (col) => col.notNull())
        .addColumn('opened_at', 'text', (col) => col.notNull())
        .execute();
    },
  },
  '0002-login-and-counter': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('accounts').addColumn('login_subject', 'text').execute();
      await db.schema.createIndex('accounts_login_subject').unique().on('accounts').column('login_subject').execute();
      await db.schema
        .createTable('phone_requests')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('presentation_id', 'text', (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('refusal', 'text')
        .addColumn('account_no', 'text')
        .addColumn('browser_digest', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('web_sessions')
        .addColumn('token_digest', 'text', (col) => col.primaryKey())
        .addColumn('account_no', 'text', (col) => col.notNull().references('accounts.account_no'))
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('counter_checks')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('proximity_id', 'text', (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('refusal', 'text')
        .addColumn('elements', 'text', (col) => col.notNull())
        .addColumn('verification', 'text')
        .addColumn('decision', 'text')
        .addColumn('browser_digest', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('recorded_at', 'text')
        .execute();
    },
  },
};
