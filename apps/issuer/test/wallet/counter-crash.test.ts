import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { VerifyOutcome } from '@openmyna/card';
import { storageRetryCounters } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import { describe, expect, it } from 'vitest';

import { ISSUER_MIGRATIONS, type IssuerSchema } from '@openmyna/issuer';
import { migrate, type Engine } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { ENGINES, testDatabase } from '../../../../test-support/databases.js';
import { REPO_ROOT } from '../../../../test-support/test-vectors.js';

/*
 * Issue 23, finding 1: correct VERIFYs killed with SIGKILL used to leave their decrement behind (the
 * restore was written lazily), and the losses added up until a PIN never entered wrong was blocked.
 * Now the restore is durable before the answer, so a kill at any instant may cost the attempt in flight
 * and nothing earlier. Two lanes (two phone files) run side by side; 2 × 70 kills at random offsets.
 *
 * The attempt in flight is paid for before the comparison (as on the card), so kills that each land
 * inside a VERIFY before any answer can, one after another, use up the tries: that is the price of a
 * counter a thief cannot reset by pulling the power, not a loss. When it happens the lane is unblocked
 * (what the municipal office's PIN reset does) and goes on; each step is still checked for losses.
 */

const MAX_TRIES = 3;

/** Where a lane's counter lives: the child that loops VERIFYs on it, and how the parent reads it. */
interface Lane {
  readonly child: string;
  readonly args: readonly string[];
  readonly answersPath: string;
  triesLeft(): Promise<number>;
  /** Gives the PIN all its tries again (the PIN reset), after in-flight kills used them up. */
  unblock(): Promise<void>;
  dispose(): Promise<void>;
}

function phoneFileLane(): Lane {
  const path = join(mkdtempSync(join(tmpdir(), 'openmyna-counter-crash-')), 'phone.json');
  return {
    child: resolve(REPO_ROOT, 'apps/issuer/test/wallet/counter-crash-child.mjs'),
    args: [path],
    answersPath: `${path}.answers`,
    triesLeft: async () => {
      const storage = await openEncryptedFileWalletStorage({ path, passphrase: 'crash test', iterations: 10_000 });
      return (await storageRetryCounters(storage).read('jpki/0018')) ?? MAX_TRIES;
    },
    unblock: async () => {
      const storage = await openEncryptedFileWalletStorage({ path, passphrase: 'crash test', iterations: 10_000 });
      await storageRetryCounters(storage).write('jpki/0018', MAX_TRIES);
    },
    dispose: () => Promise.resolve(),
  };
}

/** The remote secure area's counter: one row of a migrated issuer database on `engine`. */
async function secureAreaLane(engine: Engine): Promise<Lane> {
  const database = await testDatabase<IssuerSchema>(engine);
  await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
  const now = new Date().toISOString();
  await database.db
    .insertInto('secure_area_devices')
    .values({
      id: 'sa_crash',
      device_key: '{}',
      status: 'active',
      phone_id: null,
      authentication_key: 'crash-test-key',
      public_keys: '{}',
      sealed_keys: null,
      sealed_credential: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await database.db
    .insertInto('secure_area_counters')
    .values({ device_id: 'sa_crash', reference: 'jpki/0018', tries_left: MAX_TRIES })
    .execute();
  return {
    child: resolve(REPO_ROOT, 'apps/issuer/test/wallet/secure-area-crash-child.mjs'),
    args: [database.url, database.schema ?? '-', 'sa_crash'],
    answersPath: join(mkdtempSync(join(tmpdir(), 'openmyna-counter-crash-')), 'answers'),
    triesLeft: async () =>
      Number(
        (
          await database.db
            .selectFrom('secure_area_counters')
            .select('tries_left')
            .where('device_id', '=', 'sa_crash')
            .executeTakeFirstOrThrow()
        ).tries_left,
      ),
    unblock: async () => {
      await database.db
        .updateTable('secure_area_counters')
        .set({ tries_left: MAX_TRIES })
        .where('device_id', '=', 'sa_crash')
        .execute();
    },
    dispose: () => database.dispose(),
  };
}

/** What a killed child left: its answers, and whether a VERIFY had started that it never answered. */
interface Run {
  readonly answers: VerifyOutcome[];
  readonly inFlight: boolean;
}

/** Starts the child, lets it answer for a random while, kills it; returns what it answered. */
function runAndKill(lane: Lane): Promise<Run> {
  return new Promise((done, fail) => {
    const { answersPath } = lane;
    const process_ = spawn(process.execPath, [lane.child, ...lane.args, answersPath], { cwd: REPO_ROOT });
    let output = '';
    let stderr = '';
    // Killed after a random number of answers (0–8), a random 0–8 ms into the next VERIFY.
    const answersBeforeKill = Math.floor(Math.random() * 9);
    let armed = false;
    process_.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const answered = output.split('.').length - 1;
      if (!armed && output.includes('ready\n') && answered >= answersBeforeKill) {
        armed = true;
        setTimeout(() => process_.kill('SIGKILL'), Math.floor(Math.random() * 9));
      }
    });
    process_.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    process_.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') return fail(new Error(`the child ended without being killed: ${stderr}`));
      const lines = readFileSync(answersPath, 'utf8').split('\n').filter(Boolean);
      done({
        answers: lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as VerifyOutcome),
        inFlight: lines.at(-1) === 'start',
      });
    });
  });
}

/** Tries left that the last answer promised (none: what the lane had before the run). */
function promised(answers: readonly VerifyOutcome[], before: number): number {
  const last = answers.at(-1);
  if (!last) return before;
  if (last.result === 'verified') return MAX_TRIES;
  if (last.result === 'wrong') return last.triesLeft;
  return 0;
}

interface LaneResult {
  readonly kills: number;
  readonly correctAnswered: number;
  /** The runs after which the counter was lower than the last answer promised, less the attempt in flight. */
  readonly lost: number[];
  /** How often in-flight kills in a row used up the tries (each then unblocked). */
  readonly blocked: number;
}

async function run(lane: Lane, kills: number): Promise<LaneResult> {
  let before = MAX_TRIES;
  let correctAnswered = 0;
  let blocked = 0;
  const lost: number[] = [];
  try {
    for (let kill = 0; kill < kills; kill++) {
      const { answers, inFlight } = await runAndKill(lane);
      correctAnswered += answers.filter((answer) => answer.result === 'verified').length;
      const after = await lane.triesLeft();
      // The attempt in flight (if one had started) may have been paid for; anything lower lost an
      // answered attempt, and with none in flight the counter is exactly what the last answer said.
      if (after < promised(answers, before) - (inFlight ? 1 : 0)) lost.push(kill);
      before = after;
      if (after === 0) {
        blocked++;
        await lane.unblock();
        before = MAX_TRIES;
      }
    }
  } finally {
    await lane.dispose();
  }
  return { kills, correctAnswered, lost, blocked };
}

describe('retry counters under SIGKILL at random instants', () => {
  it('the phone file never loses a correct VERIFY that was answered: 140 kills, only the attempt in flight is paid', async () => {
    const lanes = await Promise.all([run(phoneFileLane(), 70), run(phoneFileLane(), 70)]);
    const kills = lanes.reduce((sum, result) => sum + result.kills, 0);
    const correct = lanes.reduce((sum, result) => sum + result.correctAnswered, 0);
    expect(kills).toBeGreaterThanOrEqual(140);
    expect(lanes.flatMap((result) => result.lost)).toEqual([]);
    // The kills landed among answers, not only before the first one.
    expect(correct).toBeGreaterThan(70);
  }, 600_000);

  it('the remote secure area (SQLite and PostgreSQL) loses none either: 2 × 40 kills', async () => {
    const lanes = await Promise.all(ENGINES.map(async (engine) => run(await secureAreaLane(engine), 40)));
    expect(lanes.flatMap((result) => result.lost)).toEqual([]);
    expect(lanes.reduce((sum, result) => sum + result.correctAnswered, 0)).toBeGreaterThan(30);
  }, 600_000);
});
