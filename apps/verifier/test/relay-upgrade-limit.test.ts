import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { MdocRelay, newRelaySessionId } from '@openmyna/mdoc/node';
import { redisTokenBuckets } from '@openmyna/service';

import { testRedis, type TestRedis } from '../../../test-support/redis.js';
import {
  RELAY_INTERNAL_HEADER,
  RELAY_UPGRADE_LIMIT,
  relayUpgradeLimit,
  type RelayUpgradeLimitOptions,
} from '../src/relay-upgrade-limit.js';

/*
 * The relay's upgrades per source address (issue 20 review: anyone could open sessions as fast as they
 * liked): the verifier's token buckets, in memory or shared through Redis by every instance.
 */

const relays: MdocRelay[] = [];
const sockets: WebSocket[] = [];
const connections: Redis[] = [];
let store: TestRedis | undefined;

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const relay of relays.splice(0)) await relay.close();
  for (const connection of connections.splice(0)) connection.disconnect();
  await store?.dispose();
  store = undefined;
});

const FEW = { perSecond: 0.001, capacity: 2 };

async function limitedRelay(options: RelayUpgradeLimitOptions): Promise<string> {
  const relay = new MdocRelay(relayUpgradeLimit(options));
  relays.push(relay);
  return (await relay.listen(0)).url;
}

/** The upgrade's outcome: 101 when the WebSocket opened, else the HTTP status that refused it. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(`${url}/${newRelaySessionId()}`, { headers });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('relay upgrades per source address, in memory', () => {
  it('admits RELAY_UPGRADE_LIMIT.capacity (60) upgrades at once by default, an IPv6 /64 counting as one source', async () => {
    const { admitSource } = relayUpgradeLimit();
    expect(RELAY_UPGRADE_LIMIT).toEqual({ perSecond: 1, capacity: 60 });
    const answers: boolean[] = [];
    for (let index = 0; index < 60; index++)
      answers.push(await admitSource(`2001:db8:0:1::${(index + 1).toString(16)}`));
    expect(answers.every(Boolean)).toBe(true);
    expect(await admitSource('2001:db8:0:1:ffff::1')).toBe(false);
    expect(await admitSource('2001:db8:0:2::1')).toBe(true);
  });

  it('opens `capacity` sessions from one address, then answers 429', async () => {
    const url = await limitedRelay({ limit: FEW });
    expect([await upgrade(url), await upgrade(url), await upgrade(url)]).toEqual([101, 101, 429]);
  });

  it("does not count the service's own reader, which shows the internal token", async () => {
    const url = await limitedRelay({ limit: FEW, internalToken: 'internal-secret' });
    const own = { [RELAY_INTERNAL_HEADER]: 'internal-secret' };
    for (let index = 0; index < 4; index++) expect(await upgrade(url, own)).toBe(101);
    expect(await upgrade(url)).toBe(101);
    // A wrong token is no token: counted like any other upgrade.
    expect(await upgrade(url, { [RELAY_INTERNAL_HEADER]: 'guessed' })).toBe(101);
    expect(await upgrade(url, { [RELAY_INTERNAL_HEADER]: 'guessed' })).toBe(429);
  });

  it('counts behind a trusted proxy by the forwarded address, and ignores X-Forwarded-For from others', async () => {
    const behindProxy = await limitedRelay({ limit: FEW, trustedProxies: ['127.0.0.1'] });
    const from = (address: string) => ({ 'x-forwarded-for': address });
    expect([await upgrade(behindProxy, from('192.0.2.1')), await upgrade(behindProxy, from('192.0.2.1'))]).toEqual([
      101, 101,
    ]);
    expect(await upgrade(behindProxy, from('192.0.2.1'))).toBe(429);
    expect(await upgrade(behindProxy, from('192.0.2.2'))).toBe(101);
    const direct = await limitedRelay({ limit: FEW });
    expect([await upgrade(direct, from('192.0.2.3')), await upgrade(direct, from('192.0.2.4'))]).toEqual([101, 101]);
    expect(await upgrade(direct, from('192.0.2.5'))).toBe(429);
  });
});

describe('relay upgrades per source address, through Redis', () => {
  it('shares one budget between two instances', async () => {
    const shared = (store = await testRedis());
    const instance = async () => {
      const connection = shared.redis.duplicate();
      await connection.connect();
      connections.push(connection);
      return limitedRelay({
        limit: { perSecond: 0.001, capacity: 3 },
        rateLimits: redisTokenBuckets(connection, shared.prefix),
      });
    };
    const [a, b] = [await instance(), await instance()];
    expect([await upgrade(a), await upgrade(a), await upgrade(b)]).toEqual([101, 101, 101]);
    expect(await upgrade(b)).toBe(429);
    expect(await upgrade(a)).toBe(429);
  });
});
