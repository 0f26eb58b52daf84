import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';

import { decodeDeviceEngagement, MdocHolderSession, webSocketTransport, type WebSocketLike } from '@openmyna/mdoc';
import {
  MdocRelay,
  newRelaySessionId,
  nodeMdocCrypto,
  parseRelayStreamEntries,
  RedisRelaySessions,
  relayScriptReply,
  type MdocRelayOptions,
} from '@openmyna/mdoc/node';

import { issueCardFaceMdoc, makeMdocHierarchy, type MdocHierarchy } from '../../../test-support/mdoc-fixtures.js';
import { startOwnRedisServer, testRedis, type TestRedis } from '../../../test-support/redis.js';
import { proximitySides } from './proximity-sides.js';

/*
 * Two relay instances sharing one Redis (issue 20): the phone's WebSocket reaches one, the reader's the
 * other, as behind a round-robin load balancer. Real Redis at 127.0.0.1:6379, a key prefix per test.
 */

const crypto = nodeMdocCrypto;
const createSocket = (url: string) => new WebSocket(url) as unknown as WebSocketLike;
const bytes = (...values: number[]) => new Uint8Array(values);

let hierarchy: MdocHierarchy;
const { holderSide, readerSide } = proximitySides(() => hierarchy);
beforeAll(async () => {
  hierarchy = await makeMdocHierarchy(crypto);
});

let store: TestRedis | undefined;
const opened: { relay: MdocRelay; connection?: Redis }[] = [];

/** Two relays on two ports, each with its own connections to the same Redis, under the test's prefix. */
async function twoRelays(options: MdocRelayOptions & { idleTimeoutMs?: number } = {}) {
  const shared = (store = await testRedis());
  const urls: string[] = [];
  for (let index = 0; index < 2; index++) {
    const connection = shared.redis.duplicate();
    await connection.connect();
    const sessions = await RedisRelaySessions.connect(connection, {
      prefix: shared.prefix,
      ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      ...(options.maxQueuedMessages ? { maxQueuedMessages: options.maxQueuedMessages } : {}),
    });
    const relay = new MdocRelay({ ...options, sessions });
    opened.push({ relay, connection });
    urls.push((await relay.listen(0)).url);
  }
  return [...urls, shared] as [string, string, TestRedis];
}

/** One relay with its sessions in memory, reached at the same address by both peers. */
async function oneRelay(options: MdocRelayOptions = {}) {
  const relay = new MdocRelay(options);
  opened.push({ relay });
  const { url } = await relay.listen(0);
  return [url, url] as const;
}

afterEach(async () => {
  for (const { relay, connection } of opened.splice(0)) {
    await relay.close();
    connection?.disconnect();
  }
  await store?.dispose();
  store = undefined;
});

describe('relay sessions shared through Redis', () => {
  it('carries a whole in-person presentation whichever instance each side reaches', async () => {
    const [a, b, shared] = await twoRelays();
    for (const [holderRelay, readerRelay] of [
      [a, b],
      [b, a],
    ] as const) {
      const issued = await issueCardFaceMdoc(hierarchy);
      const holder = await MdocHolderSession.create({
        crypto,
        relay: { url: readerRelay, session: newRelaySessionId() },
      });
      const session = decodeDeviceEngagement(holder.engagement).relay!.session;
      const holderChannel = await webSocketTransport(`${holderRelay}/${session}`, createSocket);
      const [evaluation, result] = await Promise.all([
        holderSide(holder, holderChannel, issued),
        readerSide(
          holder.uri,
          (reader) =>
            webSocketTransport(`${reader.engagement.relay!.url}/${reader.engagement.relay!.session}`, createSocket),
          true,
        ),
      ]);
      expect(evaluation.refused).toEqual([]);
      expect(result.summary.status).toBe('valid');
      await holderChannel.close();
    }
    // Both sides gone: the second to leave deletes the session's keys.
    await vi.waitFor(async () => expect(await shared.keys()).toEqual([]), { timeout: 10_000 });
  });

  it('ends a session whose only peer left with nothing kept: a later pair under its id starts afresh', async () => {
    const [a, b, shared] = await twoRelays();
    const session = newRelaySessionId();
    const first = await webSocketTransport(`${a}/${session}`, createSocket);
    await first.send(bytes(7));
    await first.close();
    // As in memory: the frames of a peer that left alone are not kept for whoever comes next.
    await vi.waitFor(async () => expect(await shared.keys()).toEqual([]), { timeout: 10_000 });
    const second = await webSocketTransport(`${b}/${session}`, createSocket);
    const third = await webSocketTransport(`${a}/${session}`, createSocket);
    await third.send(bytes(8));
    expect(await second.receive()).toEqual(bytes(8));
    await second.close();
    await third.close();
  });
});

describe.each([
  ['in memory, one instance', oneRelay],
  ['through Redis, two instances', twoRelays],
] as const)('relay rules %s', (_name, make) => {
  it('refuses a third peer on either instance (or the one), and a close on one side ends the other', async () => {
    const [a, b] = await make();
    const session = newRelaySessionId();
    const first = await webSocketTransport(`${a}/${session}`, createSocket);
    const second = await webSocketTransport(`${b}/${session}`, createSocket);
    for (const relay of [a, b])
      await expect(webSocketTransport(`${relay}/${session}`, createSocket)).rejects.toMatchObject({
        code: 'ERR_TRANSPORT',
      });
    await first.send(bytes(1));
    expect(await second.receive()).toEqual(bytes(1));
    await first.close();
    await expect(second.receive()).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });

  it('keeps frames, in order, for a peer that joins later (on the other instance), within a bound', async () => {
    const [a, b] = await make({ maxQueuedMessages: 8 });
    const session = newRelaySessionId();
    const early = await webSocketTransport(`${a}/${session}`, createSocket);
    for (let index = 0; index < 5; index++) await early.send(bytes(index, 0xee));
    const late = await webSocketTransport(`${b}/${session}`, createSocket);
    for (let index = 0; index < 5; index++) expect(await late.receive()).toEqual(bytes(index, 0xee));
    await late.send(bytes(9));
    expect(await early.receive()).toEqual(bytes(9));
    // Many frames each way once both are there: all arrive, in order.
    const many = Array.from({ length: 64 }, (_, index) => bytes(index, 0xaa));
    for (const frame of many) await early.send(frame);
    for (const frame of many) expect(await late.receive()).toEqual(frame);
    await early.close();
    await late.close();

    // Alone, a peer may leave 8 frames; the 9th closes it.
    const alone = await webSocketTransport(`${b}/${newRelaySessionId()}`, createSocket);
    for (let index = 0; index < 9; index++) await alone.send(bytes(index));
    await expect(alone.receive()).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });

  it('ends an idle session on both sides', async () => {
    const [a, b] = await make({ idleTimeoutMs: 300 });
    const session = newRelaySessionId();
    const first = await webSocketTransport(`${a}/${session}`, createSocket);
    const second = await webSocketTransport(`${b}/${session}`, createSocket);
    await expect(first.receive()).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    await expect(second.receive()).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });
});

describe('relay sessions when Redis fails', () => {
  it('refuses new peers with 503 and closes open ones while Redis is down, and works again once it is back', async () => {
    const server = await startOwnRedisServer();
    const { Redis } = await import('ioredis');
    const connection = new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    connection.on('error', () => undefined);
    await connection.connect();
    const sessions = await RedisRelaySessions.connect(connection);
    const relay = new MdocRelay({ sessions });
    opened.push({ relay, connection });
    const { url } = await relay.listen(0);
    try {
      const open = await webSocketTransport(`${url}/${newRelaySessionId()}`, createSocket);
      await server.stop();
      // Closed at its next frame, or at once if it was still subscribing.
      await open.send(bytes(1)).catch(() => undefined);
      await expect(open.receive()).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
      await expect(webSocketTransport(`${url}/${newRelaySessionId()}`, createSocket)).rejects.toMatchObject({
        code: 'ERR_TRANSPORT',
      });
      // Restarted empty: sessions begin again (those in flight were lost with it).
      await server.start();
      await vi.waitFor(() => expect(sessions.ready).toBe(true), { timeout: 10_000 });
      const session = newRelaySessionId();
      const first = await webSocketTransport(`${url}/${session}`, createSocket);
      const second = await webSocketTransport(`${url}/${session}`, createSocket);
      await first.send(bytes(2));
      expect(await second.receive()).toEqual(bytes(2));
      await first.close();
    } finally {
      await server.stop();
    }
  });
});

describe('what comes out of Redis', () => {
  const id = fc.tuple(fc.nat(), fc.nat()).map(([ms, seq]) => `${ms}-${seq}`);

  it('reads well-formed stream entries back as they were written', () => {
    const entry = fc.oneof(
      fc.tuple(id, fc.uint8Array({ maxLength: 64 })).map(([entryId, frame]) => ({ entryId, frame })),
      id.map((entryId) => ({ entryId, frame: undefined })),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (entries) => {
        const reply = entries.map(({ entryId, frame }) => [
          Buffer.from(entryId),
          frame ? [Buffer.from('frame'), Buffer.from(frame)] : [Buffer.from('end'), Buffer.from('1')],
        ]);
        const parsed = parseRelayStreamEntries(reply);
        expect(parsed.map((e) => e.id)).toEqual(entries.map((e) => e.entryId));
        parsed.forEach((e, index) => {
          const frame = entries[index]!.frame;
          if (frame) expect(e).toEqual({ id: e.id, kind: 'frame', bytes: frame });
          else expect(e.kind).toBe('end');
        });
      }),
    );
  });

  it('answers anything else with ERR_TRANSPORT only', () => {
    const junk = fc.anything({ withTypedArray: true, maxDepth: 3 });
    fc.assert(
      fc.property(junk, (reply) => {
        try {
          const parsed = parseRelayStreamEntries(reply);
          // Only lists of well-formed entries get through (the empty list among them).
          for (const entry of parsed) expect(['frame', 'end']).toContain(entry.kind);
        } catch (error) {
          expect(error).toMatchObject({ code: 'ERR_TRANSPORT' });
        }
      }),
    );
    for (const reply of [
      [[Buffer.from('1-1'), [Buffer.from('frame'), 'text, not bytes']]],
      [[Buffer.from('x-1'), [Buffer.from('end'), Buffer.from('1')]]],
      [[Buffer.from('1-1'), [Buffer.from('other'), Buffer.from('1')]]],
      [[Buffer.from('1-1'), [Buffer.from('frame'), Buffer.from('a'), Buffer.from('end'), Buffer.from('1')]]],
      [['1-1']],
      'not a list',
    ])
      expect(() => parseRelayStreamEntries(reply)).toThrow(expect.objectContaining({ code: 'ERR_TRANSPORT' }));
    fc.assert(
      fc.property(fc.anything(), (reply) => {
        try {
          expect(relayScriptReply(reply, 2)).toBeOneOf([0, 1, 2]);
        } catch (error) {
          expect(error).toMatchObject({ code: 'ERR_TRANSPORT' });
        }
      }),
    );
  });
});
