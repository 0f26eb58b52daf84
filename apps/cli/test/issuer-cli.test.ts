import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { run, spawnService, stopService } from './cli-harness.js';

describe('openmyna issuer serve', () => {
  it("serves the issuer over the data directory's CAs until stopped, with the admin API behind a token", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-issuer-cli-'));
    expect((await run(['sandbox', 'up', '--data', 'data', '--persons', '3', '--no-serve'], { cwd: dir })).code).toBe(0);
    // A repair grace that is not a whole number of seconds: refused before anything is opened.
    process.env['OPENMYNA_ISSUER_REPAIR_GRACE_SECONDS'] = 'soon';
    try {
      const refused = await run(['issuer', 'serve', '--data', 'data', '--port', '0'], { cwd: dir });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('OPENMYNA_ISSUER_REPAIR_GRACE_SECONDS is a whole number of seconds');
    } finally {
      delete process.env['OPENMYNA_ISSUER_REPAIR_GRACE_SECONDS'];
    }
    const { url, child } = await spawnService(dir, 'issuer');
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${url}/admin/persons/P0000001`)).status).toBe(401);
      const { token } = JSON.parse(readFileSync(join(dir, 'data', 'issuer', 'admin-token.json'), 'utf8')) as {
        token: string;
      };
      const person = (await (
        await fetch(`${url}/admin/persons/P0000001`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as Record<string, unknown>;
      expect(person).toMatchObject({ id: 'P0000001', version: 1 });
      expect(await stopService(child)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
