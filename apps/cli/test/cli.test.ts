import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { generatePopulation, isValidMyNumber } from '@openmyna/core';
import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import { timeoutFor } from '../../../test-support/timeouts.js';
import { run } from './cli-harness.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'openmyna-cli-'));

describe('openmyna --help / --version', () => {
  it('prints help listing every command', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const command of ['mynumber', 'person', 'sandbox']) expect(stdout).toContain(command);
    expect(stdout).toContain('Exit codes');
  });

  it('prints the version', async () => {
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('treats unknown commands and options as usage errors (exit 2)', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['mynumber', 'check'])).code).toBe(2);
    expect((await run(['person', 'generate', '--seed', 'a'])).code).toBe(2);
    expect((await run(['person', 'generate', '--seed', 'a', '--count', '-5'])).code).toBe(2);
    expect((await run(['person', 'generate', '--seed', 'a', '--count', '5', '--as-of', '2025-02-30'])).code).toBe(2);
  });
});

describe('openmyna mynumber check', () => {
  it.each(['123456789018', '537686677188'])('exits 0 for %s without echoing it', async (number) => {
    const { code, stdout, stderr } = await run(['mynumber', 'check', number]);
    expect(code).toBe(0);
    expect(stdout).toContain('valid');
    expect(stdout + stderr).not.toContain(number);
  });

  it.each([
    ['123456789019', 'ERR_MY_NUMBER_CHECK_DIGIT'],
    ['12345678901', 'ERR_MY_NUMBER_FORMAT'],
    ['abcdefghijkl', 'ERR_MY_NUMBER_FORMAT'],
  ])('exits 1 for %s with the reason', async (number, reason) => {
    const { code, stdout, stderr } = await run(['mynumber', 'check', number]);
    expect(code).toBe(1);
    expect(stderr).toContain(reason);
    expect(stdout + stderr).not.toContain(number);
  });

  it('reads the number from standard input with "-"', async () => {
    expect((await run(['mynumber', 'check', '-'], { stdin: '123456789018\n' })).code).toBe(0);
    expect((await run(['mynumber', 'check', '-'], { stdin: '123456789019\n' })).code).toBe(1);
  });
});

describe('openmyna person generate', () => {
  it('writes the seeded population as JSON Lines', async () => {
    const { code, stdout } = await run(['person', 'generate', '--seed', 'cli', '--count', '25']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(25);
    const expected = [...generatePopulation({ seed: 'cli' }, 25)];
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(expected);
  });

  it('starts at --start and follows --as-of', async () => {
    const all = (await run(['person', 'generate', '--seed', 'cli', '--count', '10'])).stdout.split('\n');
    const tail = (await run(['person', 'generate', '--seed', 'cli', '--count', '4', '--start', '6'])).stdout.split(
      '\n',
    );
    expect(tail.slice(0, 4)).toEqual(all.slice(6, 10));
    const later = (await run(['person', 'generate', '--seed', 'cli', '--count', '10', '--as-of', '2040-01-01'])).stdout;
    expect(later).not.toBe(all.join('\n'));
  });

  it('adds base64 JPEG photos with --photos', async () => {
    const { stdout } = await run(['person', 'generate', '--seed', 'cli', '--count', '2', '--photos']);
    const person = JSON.parse(stdout.split('\n')[0]!) as { photo: string; myNumber: string };
    expect(Buffer.from(person.photo, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(isValidMyNumber(person.myNumber)).toBe(true);
  });

  it('writes --out atomically and draws progress only on a terminal', async () => {
    const dir = tempDir();
    const quiet = await run(['person', 'generate', '--seed', 'cli', '--count', '3000', '--out', 'a.jsonl'], {
      cwd: dir,
    });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe(`wrote 3000 persons to ${join(dir, 'a.jsonl')}\n`);
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(3000);
    expect(readdirSync(dir)).toEqual(['a.jsonl']);
    const loud = await run(['person', 'generate', '--seed', 'cli', '--count', '3000', '--out', 'b.jsonl'], {
      cwd: dir,
      interactive: true,
    });
    expect(loud.stderr).toContain('100%');
  });

  it('reports an unwritable --out as a failure and leaves nothing behind', async () => {
    const dir = tempDir();
    const { code, stderr } = await run(
      ['person', 'generate', '--seed', 'x', '--count', '3', '--out', 'missing/dir/p.jsonl'],
      {
        cwd: dir,
      },
    );
    expect(code).toBe(3);
    expect(stderr).toContain('openmyna:');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('openmyna sandbox up', () => {
  it(
    'creates the data directory with the demo population and the issuer registry, then reuses it',
    async () => {
      const dir = tempDir();
      const first = await run(['sandbox', 'up', '--data', 'data', '--persons', '12', '--no-serve'], { cwd: dir });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('Issuer registry: 12 persons registered');
      expect(first.stdout).toMatch(/P0000000 {2}\.\/data\/cards\/P0000000\.json {2}セキュリティコード \d{4}/);
      const dump = await run(
        ['card', 'dump', '--data', 'data', '--card', 'data/cards/P0000001.json', '--auth-pin', '1234'],
        { cwd: dir },
      );
      expect(dump.code, dump.stdout + dump.stderr).toBe(0);
      expect(first.stdout).toContain('Created a sandbox in ./data');
      expect(first.stdout).toContain('P0000000');
      expect(first.stdout).not.toMatch(/\d{12}/);
      const data = join(dir, 'data');
      expect(readFileSync(join(data, 'population.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(12);
      expect(readdirSync(join(data, 'photos'))).toHaveLength(12);
      expect(JSON.parse(readFileSync(join(data, 'sandbox.json'), 'utf8'))).toMatchObject({
        seed: 'openmyna-sandbox',
        persons: 12,
      });

      const again = await run(['sandbox', 'up', '--data', 'data', '--persons', '12', '--no-serve'], { cwd: dir });
      expect(again.stdout).toContain('Using the existing sandbox');
      expect(again.stdout).toContain('Issuer registry: up to date');
      const resized = await run(['sandbox', 'up', '--data', 'data', '--persons', '5', '--no-serve'], { cwd: dir });
      expect(resized.stdout).toContain('Created a sandbox');
      expect(resized.stdout).toContain('Issuer registry: 5 persons registered');
      expect(readdirSync(join(data, 'photos'))).toHaveLength(5);
    },
    timeoutFor({
      // Each creation makes both JPKI hierarchies, the card-face and mdoc keys, and five cards (RSA key generation).
      'sandbox up, creating': [2, 8_000],
      'sandbox up, reusing': [1, 2_000],
      'card dump': [1, 1_500],
    }),
  );
});

describe('the built openmyna binary', () => {
  const main = resolve(REPO_ROOT, 'apps/cli/dist/main.js');

  it('exists (npm test builds it before the tests run)', () => {
    expect(existsSync(main)).toBe(true);
  });

  it('sets the process exit code', () => {
    expect(spawnSync(process.execPath, [main, 'mynumber', 'check', '123456789018']).status).toBe(0);
    expect(spawnSync(process.execPath, [main, 'mynumber', 'check', '123456789019']).status).toBe(1);
    expect(spawnSync(process.execPath, [main, 'mynumber']).status).toBe(2);
  });

  it('ends quietly when the reader closes the pipe early', () => {
    const result = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" "${main}" person generate --seed pipe --count 1000000 | head -n 1`],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toContain('"id":"P0000000"');
    expect(result.stderr).toBe('');
  });

  it('writes a service log line by line, so a kill -9 loses none of it', () => {
    const log = join(tempDir(), 'logs', 'service.log');
    const runner = resolve(REPO_ROOT, 'apps/cli/dist/service-runner.js');
    const script = `const { serviceLogger } = await import(${JSON.stringify(runner)});
      const logger = serviceLogger('test', { file: ${JSON.stringify(log)} });
      for (let i = 0; i < 50; i++) logger.info({ route: '/healthz', i }, 'request');
      process.kill(process.pid, 'SIGKILL');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.signal, result.stderr).toBe('SIGKILL');
    expect(readFileSync(log, 'utf8').trimEnd().split('\n')).toHaveLength(50);
  });

  it(
    'creates every file of the sandbox 0600 and every directory 0700, whatever the umask',
    () => {
      const dir = tempDir();
      const result = spawnSync(
        'sh',
        ['-c', `umask 022 && "${process.execPath}" "${main}" sandbox up --data data --persons 3 --no-serve`],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(result.status, result.stderr).toBe(0);
      const open: string[] = [];
      const walk = (path: string) => {
        const mode = statSync(path).mode;
        if (mode & 0o077) open.push(`${path} ${(mode & 0o777).toString(8)}`);
        if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
      };
      walk(join(dir, 'data'));
      expect(open).toEqual([]);
      expect(existsSync(join(dir, 'data', 'population.jsonl'))).toBe(true);
    },
    timeoutFor({ 'sandbox up, creating': [1, 8_000] }),
  );
});
