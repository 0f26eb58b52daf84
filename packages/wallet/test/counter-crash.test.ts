import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { VerifyOutcome } from '@openmyna/card';
import { storageRetryCounters } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../../test-support/test-vectors.js';

/*
 * Issue 23, finding 1: correct VERIFYs killed with SIGKILL used to leave their decrement behind (the
 * restore was written lazily), and the losses added up until a PIN never entered wrong was blocked.
 * Now the restore is durable before the answer, so a kill at any instant may cost the attempt in flight
 * and nothing earlier. Two lanes (two phone files) run side by side; 2 × 100 kills at random offsets.
 */

const child = resolve(REPO_ROOT, 'packages/wallet/test/counter-crash-child.mjs');
const MAX_TRIES = 3;
const KILLS_PER_LANE = 100;

async function triesLeft(path: string): Promise<number> {
  const storage = await openEncryptedFileWalletStorage({ path, passphrase: 'crash test', iterations: 10_000 });
  return (await storageRetryCounters(storage).read('jpki/0018')) ?? MAX_TRIES;
}

/** Starts the child, lets it answer for a random while, kills it; returns the answers it gave. */
function runAndKill(path: string): Promise<VerifyOutcome[]> {
  return new Promise((done, fail) => {
    const answersPath = `${path}.answers`;
    const process_ = spawn(process.execPath, [child, path, answersPath], { cwd: REPO_ROOT });
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
      const answers = readFileSync(answersPath, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as VerifyOutcome);
      done(answers);
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

async function lane(): Promise<{ kills: number; correctAnswered: number; lost: number[] }> {
  const path = join(mkdtempSync(join(tmpdir(), 'openmyna-counter-crash-')), 'phone.json');
  let before = MAX_TRIES;
  let correctAnswered = 0;
  const lost: number[] = [];
  for (let kill = 0; kill < KILLS_PER_LANE; kill++) {
    const answers = await runAndKill(path);
    correctAnswered += answers.filter((answer) => answer.result === 'verified').length;
    const after = await triesLeft(path);
    // The attempt in flight may have been decremented; anything lower lost an answered attempt.
    if (after < promised(answers, before) - 1) lost.push(kill);
    before = after;
  }
  return { kills: KILLS_PER_LANE, correctAnswered, lost };
}

describe('retry counters of the phone file under SIGKILL at random instants', () => {
  it('never lose a correct VERIFY that was answered: 200 kills, the PIN never blocks', async () => {
    const lanes = await Promise.all([lane(), lane()]);
    const kills = lanes.reduce((sum, result) => sum + result.kills, 0);
    const correct = lanes.reduce((sum, result) => sum + result.correctAnswered, 0);
    expect(kills).toBeGreaterThanOrEqual(200);
    expect(lanes.flatMap((result) => result.lost)).toEqual([]);
    // The kills landed among answers, not only before the first one (and the PIN never blocked).
    expect(correct).toBeGreaterThan(100);
  }, 600_000);
});
