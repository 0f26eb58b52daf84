import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { MdocHolderSession } from '@openmyna/mdoc';
import { newRelaySessionId, nodeMdocCrypto } from '@openmyna/mdoc/node';

import { timeoutFor } from '../../../test-support/timeouts.js';
import { startVerifier, type RunningVerifier } from '../src/verifier-service.js';
import { run } from './cli-harness.js';

let verifier: RunningVerifier | undefined;
const sockets: WebSocket[] = [];
afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await verifier?.close();
});

/** The upgrade's outcome: 101 when the WebSocket opened, else the HTTP status that refused it. */
function upgrade(url: string): Promise<number> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/relay/${newRelaySessionId()}`);
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('verifier serve: the relay', () => {
  it(
    "limits relay upgrades per source address (429 past the budget), but not the service's own reader",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'openmyna-verifier-relay-limit-'));
      expect((await run(['issuer', 'keys', 'init', '--data', 'data'], { cwd: dir })).code).toBe(0);
      verifier = await startVerifier({
        dataDir: join(dir, 'data'),
        host: '127.0.0.1',
        port: 0,
        logTo: { file: join(dir, 'log') },
        relayUpgradeLimit: { perSecond: 0.001, capacity: 2 },
      });
      expect([await upgrade(verifier.url), await upgrade(verifier.url), await upgrade(verifier.url)]).toEqual([
        101, 101, 429,
      ]);
      // The counter's reader joins from the service's own address, whose budget is spent: not counted.
      const admin = { authorization: `Bearer ${verifier.adminToken}`, 'content-type': 'application/json' };
      const registered = (await (
        await fetch(`${verifier.url}/admin/relying-parties`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ name: 'テスト窓口', myNumberPurpose: 'none' }),
        })
      ).json()) as { apiKey: string };
      const holder = await MdocHolderSession.create({
        crypto: nodeMdocCrypto,
        relay: { url: `${verifier.url.replace(/^http/, 'ws')}/relay`, session: newRelaySessionId() },
      });
      const started = await fetch(`${verifier.url}/v1/proximity-sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${registered.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          engagement: holder.uri,
          elements: [{ nameSpace: 'org.iso.23220.1.jp', elementIdentifier: 'full_name_unicode' }],
        }),
      });
      expect(started.status).toBe(201);
    },
    timeoutFor({ 'issuer keys init': [1, 5_000], 'verifier start and upgrades': [1, 3_000] }),
  );
});
