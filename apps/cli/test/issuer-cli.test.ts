import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../../test-support/shared-vectors.js';
import { run } from './cli-harness.js';

describe('openmyna issuer serve', () => {
  it("serves the issuer over the data directory's CAs until stopped, with the admin API behind a token", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-issuer-cli-'));
    expect((await run(['sandbox', 'up', '--data', 'data', '--persons', '3', '--no-serve'], { cwd: dir })).code).toBe(0);
    const child = spawn(
      process.execPath,
      [resolve(REPO_ROOT, 'apps/cli/dist/main.js'), 'issuer', 'serve', '--data', 'data', '--port', '0'],
      { cwd: dir },
    );
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /openmyna issuer on (http:\/\/\S+)/.exec(stderr);
          if (match) resolveUrl(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`issuer exited ${code}: ${stderr}`)));
      });
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${url}/admin/persons/P0000001`)).status).toBe(401);
      const { token } = JSON.parse(readFileSync(join(dir, 'data', 'issuer', 'admin-token.json'), 'utf8')) as {
        token: string;
      };
      const person = (await (
        await fetch(`${url}/admin/persons/P0000001`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as Record<string, unknown>;
      expect(person).toMatchObject({ id: 'P0000001', version: 1 });
      const stopped = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGTERM');
      expect(await stopped).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
