import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Kysely } from 'kysely';
import pino from 'pino';

import type { VerifierContext } from '../src/context.js';
import type { VerifierSchema } from '../src/storage/schema.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../src/webhook-dispatcher.js';

/** One request the receiver got. */
export interface Receipt {
  readonly path: string;
  readonly idempotencyKey: string;
  readonly body: Record<string, unknown>;
}

/**
 * A relying party's webhook endpoint over real HTTP on 127.0.0.1: answers each request as `answer`
 * says (a status, or a promise of one to hold the request open), and keeps what it received.
 */
export async function startReceiver() {
  const receipts: Receipt[] = [];
  let answer: (receipt: Receipt) => number | Promise<number> = () => 204;
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const receipt: Receipt = {
        path: request.url ?? '',
        idempotencyKey: String(request.headers['idempotency-key'] ?? ''),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
      };
      receipts.push(receipt);
      for (const waiter of waiters.filter((waiting) => receipts.length >= waiting.count)) waiter.resolve();
      void Promise.resolve(answer(receipt)).then((status) => {
        if (status >= 300 && status < 400) response.setHeader('location', '/elsewhere');
        response.writeHead(status).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    receipts,
    answerWith(next: (receipt: Receipt) => number | Promise<number>) {
      answer = next;
    },
    /** Resolves once `count` requests have arrived in all. */
    received(count: number): Promise<void> {
      if (receipts.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A relying party registered straight into the table, its webhook at `webhookUrl`. */
export async function insertRelyingParty(db: Kysely<VerifierSchema>, id: string, webhookUrl: string | null) {
  await db
    .insertInto('relying_parties')
    .values({
      id,
      name: `${id} 株式会社`,
      api_key_digest: `digest-${id}`,
      my_number_purpose: 'none',
      elements: '[]',
      request_certificate: new Uint8Array([1]),
      request_key_sealed: new Uint8Array([2]),
      webhook_url: webhookUrl,
      created_at: '2026-12-01T00:00:00.000Z',
    })
    .execute();
}

/** A clock the test moves by hand. */
export function handClock(start: string) {
  let now = new Date(start);
  return {
    clock: () => now,
    set(to: Date | string) {
      now = new Date(to);
    },
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

/** A scheduler that never runs anything: the test drives passes itself and no send times out. */
export const standingScheduler = { schedule: () => () => undefined };

export const cryptoRandom = (length: number): Uint8Array => new Uint8Array(randomBytes(length));

/** A dispatcher on the test's clock, logging into `logs`. */
export function handDispatcher(
  context: VerifierContext,
  options: Omit<WebhookDispatcherOptions, 'context' | 'logger'>,
  logs: string[] = [],
): WebhookDispatcher {
  return new WebhookDispatcher({
    context,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    scheduler: standingScheduler,
    ...options,
  });
}
