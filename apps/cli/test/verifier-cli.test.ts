import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../../test-support/shared-vectors.js';
import { run } from './cli-harness.js';

describe('openmyna verifier serve', () => {
  it('serves the verifier over the sandbox’s anchors: relying parties register, get an API key, and ask', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-verifier-cli-'));
    expect((await run(['sandbox', 'up', '--data', 'data', '--persons', '2', '--no-serve'], { cwd: dir })).code).toBe(0);
    const child = spawn(
      process.execPath,
      [resolve(REPO_ROOT, 'apps/cli/dist/main.js'), 'verifier', 'serve', '--data', 'data', '--port', '0'],
      { cwd: dir },
    );
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /openmyna verifier on (http:\/\/\S+)/.exec(stderr);
          if (match) resolveUrl(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`verifier exited ${code}: ${stderr}`)));
      });
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
      const stopped = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGTERM');
      expect(await stopped).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
