import { PostgresStatusListener, type StatusChange } from '@openmyna/issuer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TEST_PG_URL } from '../../../test-support/databases.js';

/** A database of its own: NOTIFY reaches every listener of a database, and other suites share `test`. */
const DATABASE = `openmyna_notify_${process.pid}`;
const url = Object.assign(new URL(TEST_PG_URL), { pathname: `/${DATABASE}` }).href;

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe('the status listener and notifications it did not expect', () => {
  beforeAll(() => admin(`CREATE DATABASE ${DATABASE}`));
  afterAll(() => admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));

  // NOTIFY needs no privilege beyond connecting: whoever may connect may send anything on the channel.
  it('reads any payload (null, numbers, arrays, bad JSON, huge) as "drop everything", and keeps listening', async () => {
    const listener = new PostgresStatusListener({ url, onError: () => undefined });
    const seen: StatusChange[] = [];
    listener.subscribe((change) => seen.push(change));
    await listener.start();
    expect(listener.listening).toBe(true);
    seen.length = 0;
    const payloads = [
      'null',
      '7',
      '[]',
      '"text"',
      '{',
      '',
      'x'.repeat(7000),
      '{"schema":"public","kind":"certificate","serial":7}',
    ];
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      for (const payload of payloads)
        await other.query('SELECT pg_notify($1, $2)', ['openmyna_issuer_status', payload]);
      // A change for another schema comes last: it is ignored, and a marker after it tells us all arrived.
      await other.query('SELECT pg_notify($1, $2)', ['openmyna_issuer_status', '{"schema":"elsewhere","kind":"mdoc"}']);
      await other.query('SELECT pg_notify($1, $2)', ['openmyna_issuer_status', '{"schema":"public","kind":"mdoc"}']);
    } finally {
      await other.end();
    }
    await expect.poll(() => seen.at(-1), { timeout: 20_000 }).toEqual({ kind: 'mdoc' });
    expect(seen).toEqual([...payloads.map(() => ({ kind: 'reset' })), { kind: 'mdoc' }]);
    expect(listener.listening).toBe(true);
    await listener.close();
  });
});
