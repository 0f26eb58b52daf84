import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { dropSchema, ensureSchema, openDatabase, type Engine, type OpenedDatabase } from '@openmyna/storage';

/**
 * The PostgreSQL every storage test also runs on: `OPENMYNA_TEST_PG` (set by .ci/run), else the machine's
 * server with trust auth. Tests fail, never skip, when it is unreachable.
 */
export const TEST_PG_URL = process.env['OPENMYNA_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

export interface TestDatabase<Schema> extends OpenedDatabase<Schema> {
  /** What to pass to `openDatabase` to reach the same data again (e.g. from a child process). */
  readonly url: string;
  readonly schema?: string;
  /** Closes and removes the data. */
  dispose(): Promise<void>;
}

/** A fresh, empty database on `engine`: a temporary SQLite file, or a PostgreSQL schema of its own. */
export async function testDatabase<Schema>(engine: Engine): Promise<TestDatabase<Schema>> {
  if (engine === 'sqlite') {
    const url = join(mkdtempSync(join(tmpdir(), 'openmyna-db-')), 'test.db');
    const opened = openDatabase<Schema>(url);
    return { ...opened, url, dispose: () => opened.close() };
  }
  const schema = `t_${Math.random().toString(36).slice(2, 12)}`;
  await ensureSchema(TEST_PG_URL, schema);
  const opened = openDatabase<Schema>(TEST_PG_URL, { schema });
  return {
    ...opened,
    url: TEST_PG_URL,
    schema,
    dispose: async () => {
      await opened.close();
      await dropSchema(TEST_PG_URL, schema);
    },
  };
}
