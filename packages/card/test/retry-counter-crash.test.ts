import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { protectPin, RetryCounter } from '@openmyna/card';
import { FileRetryCounterStore, type PersistencePoint } from '@openmyna/card/node';
import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../../test-support/test-vectors.js';

const POINTS: readonly PersistencePoint[] = ['temporary-written', 'temporary-synced', 'renamed', 'directory-synced'];
const child = resolve(REPO_ROOT, 'packages/card/test/crash-child.ts');

function verifyInChild(path: string, killPoint: PersistencePoint | 'none', occurrence: number, candidate: string) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', child, path, killPoint, String(occurrence), candidate],
    {
      encoding: 'utf8',
      cwd: REPO_ROOT,
    },
  );
  return {
    killed: result.signal === 'SIGKILL',
    compared: result.stdout.includes('compared'),
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

async function triesLeft(path: string): Promise<number> {
  const counter = new RetryCounter({
    reference: 'jpki/0018',
    maxTries: 3,
    pin: protectPin(new Uint8Array(), new Uint8Array(16)),
    store: new FileRetryCounterStore({ path, key: new Uint8Array(32).fill(9) }),
  });
  return counter.triesLeft();
}

describe('retry counters under SIGKILL at every persistence point of VERIFY', () => {
  it.each(POINTS)(
    'allows at most 3 wrong comparisons when killed at %s, and the state stays readable',
    async (point) => {
      const path = join(mkdtempSync(join(tmpdir(), 'openmyna-crash-')), 'counters.json');
      let comparisons = 0;
      let kills = 0;
      for (let attempt = 0; attempt < 12 && (await triesLeft(path)) > 0; attempt++) {
        // Every other attempt is killed; the others run to the end.
        const run = verifyInChild(path, attempt % 2 === 0 ? point : 'none', 1, '0000');
        if (run.killed) kills++;
        else expect(run.stderr).toBe('');
        if (run.compared) comparisons++;
        await expect(triesLeft(path)).resolves.toBeGreaterThanOrEqual(0);
      }
      expect(kills).toBeGreaterThan(0);
      expect(await triesLeft(path)).toBe(0);
      expect(comparisons).toBeLessThanOrEqual(3);
      // Blocked means blocked: the right PIN is not even compared.
      expect(verifyInChild(path, 'none', 1, '1234').stdout).toContain('"blocked"');
    },
    60_000,
  );

  it.each(POINTS)(
    'loses at most one try when a correct VERIFY is killed at %s while restoring',
    async (point) => {
      const path = join(mkdtempSync(join(tmpdir(), 'openmyna-crash-')), 'counters.json');
      const run = verifyInChild(path, point, 2, '1234');
      expect(run.killed).toBe(true);
      expect(run.compared).toBe(true);
      expect([2, 3]).toContain(await triesLeft(path));
    },
    30_000,
  );
});
