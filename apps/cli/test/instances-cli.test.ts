import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { TEST_REDIS_URL, testRedis } from '../../../test-support/redis.js';
import { run, spawnService, stopService } from './cli-harness.js';

/** Opens a WebSocket, resolving once it is open, rejecting if the server refuses it. */
function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('openmyna verifier serve --redis', () => {
  it('runs two instances that relay one session between them and count API keys in Redis', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-instances-cli-'));
    expect((await run(['sandbox', 'up', '--data', 'data', '--persons', '1', '--no-serve'], { cwd: dir })).code).toBe(0);
    const store = await testRedis();
    const [a, b] = [
      await spawnService(dir, 'verifier', 0, ['--redis', TEST_REDIS_URL]),
      await spawnService(dir, 'verifier', 0, ['--redis', TEST_REDIS_URL]),
    ];
    const session = `cli${store.prefix.replace(/[^A-Za-z0-9]/g, '')}aaaaaaaaaaaa`;
    try {
      const relay = (base: string) => `${base.replace(/^http/, 'ws')}/relay/${session}`;
      const first = await connect(relay(a.url));
      const second = await connect(relay(b.url));
      await expect(connect(relay(a.url))).rejects.toThrow(/409/);
      const received = new Promise<Buffer>((resolve) => second.once('message', (data) => resolve(data as Buffer)));
      first.send(Buffer.from([1, 2, 3]));
      expect([...(await received)]).toEqual([1, 2, 3]);
      const closed = new Promise<number>((resolve) => second.once('close', resolve));
      first.close();
      expect(await closed).toBe(1000);

      const { token } = JSON.parse(readFileSync(join(dir, 'data', 'verifier', 'admin-token.json'), 'utf8')) as {
        token: string;
      };
      const registered = (await (
        await fetch(`${b.url}/admin/relying-parties`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'テスト商店', myNumberPurpose: 'none' }),
        })
      ).json()) as { id: string; apiKey: string };
      const challenge = await fetch(`${a.url}/v1/jpki/login/challenges`, {
        method: 'POST',
        headers: { authorization: `Bearer ${registered.apiKey}` },
      });
      expect(challenge.status).toBe(201);
      const bucket = `ratelimit:verifier:api-key:${registered.id}`;
      expect(await store.redis.exists(bucket)).toBe(1);
      await store.redis.del(bucket);
      expect([await stopService(a.child), await stopService(b.child)]).toEqual([0, 0]);
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await store.dispose();
    }
  }, 90_000);

  it('refuses to start when Redis cannot be reached, naming no part of the URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-instances-cli-'));
    expect((await run(['sandbox', 'up', '--data', 'data', '--persons', '1', '--no-serve'], { cwd: dir })).code).toBe(0);
    await expect(spawnService(dir, 'verifier', 0, ['--redis', 'redis://:s3cret-password@127.0.0.1:1'])).rejects.toThrow(
      /Redis \(--redis\) cannot be reached/,
    );
    await expect(
      spawnService(dir, 'verifier', 0, ['--redis', 'redis://:s3cret-password@127.0.0.1:1']),
    ).rejects.not.toThrow(/s3cret/);
  }, 90_000);
});
