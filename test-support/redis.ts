import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';

import { Redis } from 'ioredis';

/**
 * The Redis the multi-instance tests share: `OPENMYNA_TEST_REDIS`, else the machine's at 127.0.0.1:6379.
 * Tests fail, never skip, when it is unreachable.
 */
export const TEST_REDIS_URL = process.env['OPENMYNA_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  /** A connection set up as the services set theirs up (no offline queue, short command timeout). */
  readonly redis: Redis;
  /** Put before every key of this test (`t:<random>:`), so parallel tests never meet. */
  readonly prefix: string;
  /** The keys under `prefix` now. */
  keys(): Promise<string[]>;
  /** Deletes the keys under `prefix` and closes the connection. */
  dispose(): Promise<void>;
}

/** A connection to the test Redis with a key prefix of its own. */
export async function testRedis(): Promise<TestRedis> {
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
  });
  await redis.connect();
  const prefix = `t:${randomBytes(6).toString('hex')}:`;
  const keys = async () => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  return {
    redis,
    prefix,
    keys,
    dispose: async () => {
      const left = await keys();
      if (left.length > 0) await redis.del(...left);
      redis.disconnect();
    },
  };
}

/** A Redis server of the test's own, to stop and start again (Redis down, Redis restarted). */
export interface OwnRedisServer {
  readonly url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (it keeps nothing on disk). */
  start(): Promise<void>;
}

/**
 * The environment without libfaketime (the shifted-clock run): redis-server stalls under it, and the
 * tests read no date from Redis — the token buckets run wholly on Redis's own clock.
 */
function withoutFaketime(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('FAKETIME')));
  const preload = (env['LD_PRELOAD'] ?? '')
    .split(/[:\s]+/)
    .filter((library) => library !== '' && !library.includes('faketime'))
    .join(':');
  if (preload === '') delete clean['LD_PRELOAD'];
  else clean['LD_PRELOAD'] = preload;
  return clean;
}

/** Starts `redis-server` (Debian's) on a free port, keeping nothing on disk. */
export async function startOwnRedisServer(): Promise<OwnRedisServer> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
      { stdio: ['ignore', 'pipe', 'inherit'], env: withoutFaketime(process.env) },
    );
    child = started;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      // A server that never gets ready is not left behind when the test gives up.
      const stalled = setTimeout(() => {
        started.kill('SIGKILL');
        reject(new Error('redis-server did not get ready'));
      }, 20_000);
      started.once('exit', (code) => {
        clearTimeout(stalled);
        reject(new Error(`redis-server exited (${code}) before it was ready`));
      });
      started.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (!seen.includes('Ready to accept connections')) return;
        clearTimeout(stalled);
        resolve();
      });
    });
    started.stdout.resume();
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, stop, start };
}
