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
}

export interface RpDemoSchema {
  applications: ApplicationTable;
  accounts: AccountTable;
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
};
