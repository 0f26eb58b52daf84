import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

import { connectRedis, redisScript } from '@openmyna/service';
import { describe, expect, it } from 'vitest';

import { TEST_REDIS_URL } from '../../../test-support/redis.js';

/** A TCP proxy to the test Redis whose connections can be cut, as a network failure would. */
async function cuttableProxy() {
  const target = new URL(TEST_REDIS_URL);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    /** Cuts every connection and refuses new ones until {@link reopen}. */
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      }),
    reopen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('connectRedis', () => {
  it('refuses an unreachable Redis with ERR_UNAVAILABLE, naming no part of the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await connectRedis(`redis://:s3cret-password@127.0.0.1:${port}/2`).then(
      () => undefined,
      (thrown: unknown) => thrown as Error & { code?: string },
    );
    expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(error?.message).not.toMatch(/s3cret|127\.0\.0\.1|\d{4,5}/);
  });

  it('reports a lost connection, fails commands meanwhile, and reconnects by itself', async () => {
    const proxy = await cuttableProxy();
    const errors: Error[] = [];
    const redis = await connectRedis(proxy.url, { onError: (error) => errors.push(error) });
    try {
      expect(await redis.ping()).toBe('PONG');
      await proxy.cut();
      // No offline queue: a command while disconnected fails at once instead of waiting.
      await expect.poll(() => redis.status).not.toBe('ready');
      await expect(redis.ping()).rejects.toThrow();
      // Each failed reconnection is reported (the service logs it); none ends the process.
      await expect.poll(() => errors.length, { timeout: 20_000 }).toBeGreaterThan(0);
      await proxy.reopen();
      await expect.poll(() => redis.status, { timeout: 20_000 }).toBe('ready');
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  });

  it('runs a script by its SHA, loading it again after the server forgot it', async () => {
    const redis = await connectRedis(TEST_REDIS_URL);
    try {
      const script = redisScript(redis, 'openmynaTestEcho', "return 'openmyna-' .. ARGV[1]", 0);
      expect(await script([], ['one'])).toBe('openmyna-one');
      await redis.script('FLUSH');
      expect(await script([], ['two'])).toBe('openmyna-two');
    } finally {
      redis.disconnect();
    }
  });
});
