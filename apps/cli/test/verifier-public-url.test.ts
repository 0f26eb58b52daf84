import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { timeoutFor } from '../../../test-support/timeouts.js';
import { startVerifier, type RunningVerifier } from '../src/verifier-service.js';
import { run } from './cli-harness.js';

const PUBLIC_URL = 'https://verifier.example.test/v';
let verifier: RunningVerifier | undefined;
afterAll(() => verifier?.close());

const jwtPart = (jwt: string, index: 0 | 1) =>
  JSON.parse(Buffer.from(jwt.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('verifier serve --public-url', () => {
  it(
    'writes the public URL, not its bind address, into the reader CA, request objects and links',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'openmyna-verifier-public-url-'));
      expect((await run(['issuer', 'keys', 'init', '--data', 'data'], { cwd: dir })).code).toBe(0);
      const dataDir = join(dir, 'data');
      verifier = await startVerifier({
        dataDir,
        host: '127.0.0.1',
        port: 0,
        logTo: { file: join(dir, 'log') },
        publicUrl: PUBLIC_URL,
      });
      const { url } = verifier;
      const readerCaDer = Buffer.from(
        (await readFile(join(dataDir, 'pki', 'mdoc', 'reader-ca.pem'), 'utf8')).replace(/-----[^-]+-----|\s/g, ''),
        'base64',
      );
      expect(readerCaDer.includes(PUBLIC_URL)).toBe(true);
      expect(readerCaDer.includes('127.0.0.1')).toBe(false);

      const registered = (await (
        await fetch(`${url}/admin/relying-parties`, {
          method: 'POST',
          headers: { authorization: `Bearer ${verifier.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'テスト証券', myNumberPurpose: 'kojin-bango-kankei-jimu' }),
        })
      ).json()) as { apiKey: string };
      const created = (await (
        await fetch(`${url}/v1/presentations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${registered.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            elements: [{ nameSpace: 'org.iso.23220.1.jp', elementIdentifier: 'individual_number_unicode' }],
            purpose: '口座開設',
          }),
        })
      ).json()) as { id: string; requestUri: string; link: string };
      expect(created.requestUri).toBe(`${PUBLIC_URL}/v1/presentations/${created.id}/request`);
      expect(decodeURIComponent(created.link)).toContain(created.requestUri);
      expect(created.link).not.toContain('127.0.0.1');
      // The request object, fetched where the verifier listens, names the public URL only.
      const jwt = await (await fetch(created.requestUri.replace(PUBLIC_URL, url))).text();
      expect(jwtPart(jwt, 1)['response_uri']).toBe(`${PUBLIC_URL}/v1/presentations/${created.id}/response`);
      const relyingPartyCertificate = Buffer.from((jwtPart(jwt, 0)['x5c'] as string[])[0]!, 'base64');
      expect(relyingPartyCertificate.includes(PUBLIC_URL)).toBe(true);
    },
    timeoutFor({ 'issuer keys init': [1, 5_000], 'verifier start and requests': [1, 3_000] }),
  );
});
