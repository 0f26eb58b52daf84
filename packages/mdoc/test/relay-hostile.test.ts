import type { IncomingMessage } from 'node:http';
import { connect, Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { MdocRelay, MemoryRelaySessions, RedisRelaySessions, type RelaySessions } from '@openmyna/mdoc/node';

import { testRedis, type TestRedis } from '../../../test-support/redis.js';

describe('relay: hostile upgrade requests', () => {
  // Found in review: a request-target such as `//` (one unauthenticated packet) made URL parsing throw
  // inside the server's 'upgrade' listener, and the process exited.
  it.each(['//', '//x:y@', '///relay/abcdefghijklmnop'])('does not throw on request-target %s', (url) => {
    const relay = new MdocRelay();
    const socket = new Socket();
    expect(() => relay.handleUpgrade({ url, headers: {} } as IncomingMessage, socket, Buffer.alloc(0))).not.toThrow();
    socket.destroy();
  });
});

describe('relay sessions: a session whose only peer left', () => {
  // A peer that leaves before anyone joined ends the session and its queued frames are dropped:
  // whoever uses the id later (it is in the QR) gets a fresh, empty session — in Redis as in memory
  // (found in review: Redis kept the frames for the idle timeout and gave them to the next joiner).
  let store: TestRedis | undefined;
  const closing: RelaySessions[] = [];
  afterEach(async () => {
    for (const sessions of closing.splice(0)) await sessions.close();
    await store?.dispose();
  });

  async function framesSeenByLateJoiner(sessions: RelaySessions): Promise<number[][]> {
    const first = (await sessions.join('abandonedabandoned'))!;
    await first.start({ frame: () => undefined, end: () => undefined });
    await first.send(new Uint8Array([7, 7, 7]));
    await first.leave();
    const late = (await sessions.join('abandonedabandoned'))!;
    const seen: number[][] = [];
    await new Promise<void>((resolve) => {
      void late.start({ frame: (bytes) => seen.push([...bytes]), end: () => resolve() });
      setTimeout(resolve, 300); // memory: a fresh session never ends by itself
    });
    await late.leave();
    return seen;
  }

  it('in memory the late joiner sees nothing (reference behaviour)', async () => {
    const memory = new MemoryRelaySessions();
    closing.push(memory);
    expect(await framesSeenByLateJoiner(memory)).toEqual([]);
  });

  it("in Redis the late joiner must not receive the departed peer's frames either", async () => {
    store = await testRedis();
    const connection = store.redis.duplicate();
    await connection.connect();
    const redis = await RedisRelaySessions.connect(connection, { prefix: store.prefix });
    closing.push(redis, {
      join: () => Promise.resolve(undefined),
      close: () => Promise.resolve(connection.disconnect()),
    });
    expect(await framesSeenByLateJoiner(redis)).toEqual([]);
  });
});

describe('relay: one hostile packet against a listening relay', () => {
  it('answers `GET // HTTP/1.1` with Upgrade: websocket with a 404, and goes on serving', async () => {
    const relay = new MdocRelay();
    const { url } = await relay.listen(0);
    const port = Number(new URL(url).port);
    const exchange = (target: string) =>
      new Promise<string>((resolve, reject) => {
        let answer = '';
        const socket = connect(port, '127.0.0.1', () =>
          socket.write(
            `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
          ),
        );
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('close', () => resolve(answer.split('\r\n', 1)[0]!));
        socket.on('error', reject);
      });
    try {
      for (const target of ['//', '//x:y@', '/relay/../relay/abcdefghijklmnop/x'])
        expect(await exchange(target)).toBe('HTTP/1.1 404 Not Found');
    } finally {
      await relay.close();
    }
  });
});
