import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import {
  MdocRelay,
  newRelaySessionId,
  RELAY_SENDER_BACKLOG,
  type RelayPeer,
  type RelaySessions,
} from '@openmyna/mdoc/node';

/*
 * Found in review: every frame a peer sent was chained on `connection.sending` until the store took the
 * one before, whatever the bytes already waiting. With a store that stalls (Redis reconnecting: ioredis
 * queues commands offline) a peer that keeps sending made the relay hold its frames without bound.
 */

const relays: MdocRelay[] = [];
const sockets: WebSocket[] = [];
const stalled: StalledSessions[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  // The relay leaves a session once its frames have gone to the store: let them go.
  for (const sessions of stalled.splice(0)) sessions.release();
  for (const relay of relays.splice(0)) await relay.close();
});

/** A store whose sends never complete: Redis gone, its commands waiting in the offline queue. */
class StalledSessions implements RelaySessions {
  sends = 0;
  readonly #waiting: (() => void)[] = [];
  #released = false;

  join(): Promise<RelayPeer | undefined> {
    const peer: RelayPeer = {
      ordinal: 1,
      start: () => Promise.resolve(),
      send: () => {
        this.sends++;
        if (this.#released) return Promise.resolve('ended');
        return new Promise((resolve) => this.#waiting.push(() => resolve('ended')));
      },
      leave: () => Promise.resolve(),
    };
    return Promise.resolve(peer);
  }

  /** The store is back: every send waiting ends. */
  release(): void {
    this.#released = true;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('relay: frames waiting for a stalled store (sender backlog)', () => {
  it('closes the sender with 1008 once its frames waiting for the store would pass maxBufferedBytes', async () => {
    const frameBytes = 64 << 10;
    const sessions = new StalledSessions();
    stalled.push(sessions);
    const relay = new MdocRelay({ sessions, maxMessageBytes: frameBytes, maxBufferedBytes: 4 * frameBytes });
    relays.push(relay);
    const { url } = await relay.listen(0);
    const sender = new WebSocket(`${url}/${newRelaySessionId()}`);
    sockets.push(sender);
    await new Promise((resolve, reject) => sender.once('open', resolve).once('error', reject));
    const senderClosed = new Promise<{ code: number; reason: string }>((resolve) =>
      sender.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const frame = new Uint8Array(frameBytes).fill(0x5a);
    for (let index = 0; index < 32 && sender.readyState === WebSocket.OPEN; index++)
      await new Promise<void>((resolve) => sender.send(frame, { binary: true }, () => resolve()));
    // A pong answers only after the relay has taken every frame before the ping: without the bound it
    // comes (all 2 MiB held), with it the session is closed first.
    const pong = new Promise<'pong'>((resolve) => sender.once('pong', () => resolve('pong')));
    if (sender.readyState === WebSocket.OPEN) sender.ping();
    expect(await Promise.race([senderClosed, pong])).toEqual({
      code: RELAY_SENDER_BACKLOG.code,
      reason: RELAY_SENDER_BACKLOG.reason,
    });
    // Only the first frame reached the store; the rest waited, up to the bound.
    expect(sessions.sends).toBe(1);
  });
});
