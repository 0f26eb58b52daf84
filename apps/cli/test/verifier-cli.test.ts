import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { run, spawnService, stopService } from './cli-harness.js';

describe('openmyna verifier serve', () => {
  it('serves the verifier over the sandbox’s anchors: relying parties register, get an API key, and ask', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-verifier-cli-'));
    expect((await run(['sandbox', 'up', '--data', 'data', '--persons', '2', '--no-serve'], { cwd: dir })).code).toBe(0);
    const { url, child } = await spawnService(dir, 'verifier');
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      const { token } = JSON.parse(readFileSync(join(dir, 'data', 'verifier', 'admin-token.json'), 'utf8')) as {
        token: string;
      };
      const registration = { name: 'テスト証券', myNumberPurpose: 'kojin-bango-kankei-jimu' };
      expect(
        (await fetch(`${url}/admin/relying-parties`, { method: 'POST', body: JSON.stringify(registration) })).status,
      ).toBe(401);
      const registered = (await (
        await fetch(`${url}/admin/relying-parties`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(registration),
        })
      ).json()) as { apiKey: string };
      const created = await fetch(`${url}/v1/presentations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${registered.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          elements: [{ nameSpace: 'org.iso.23220.1.jp', elementIdentifier: 'individual_number_unicode' }],
          purpose: '口座開設',
        }),
      });
      expect(created.status).toBe(201);
      const { requestUri } = (await created.json()) as { requestUri: string };
      const jwt = await (await fetch(requestUri)).text();
      expect(jwt.split('.')).toHaveLength(3);
      expect(await stopService(child)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
