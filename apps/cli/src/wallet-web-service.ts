import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

import type { SmartCard } from '@openmyna/card';
import { Hono } from 'hono';

import { listen } from './service-runner.js';

/** Where `npm run build` puts the web wallet (apps/wallet-web/dist). */
export const WALLET_WEB_DIST = resolve(import.meta.dirname, '../../wallet-web/dist');

/** What the web wallet is told at start: the issuer, the reader CA it trusts, the verifier's relay. */
export interface WalletWebConfig {
  readonly issuerUrl: string;
  /** DER, base64. */
  readonly readerCa: string;
  readonly relayUrl: string;
}

/** The cards the sandbox's card reader can reach, and how to open one (a fresh chip session). */
export interface DemoCardReader {
  readonly cards: readonly { readonly id: string; readonly name: string }[];
  open(id: string): Promise<SmartCard>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};
const SESSION_SECONDS = 300;
const MAX_SESSIONS = 64;

/**
 * The web wallet's host in the sandbox: the built PWA, its configuration, and a card reader for the
 * demo cards — the browser sends each APDU here and it reaches the virtual card as it would reach a
 * physical card over NFC (PINs travel in VERIFY commands to the card and are never read here).
 * Reader sessions last five minutes.
 */
export function createWalletWebApp(options: {
  readonly staticDir: string;
  readonly config: WalletWebConfig;
  readonly reader: DemoCardReader;
  readonly clock: () => Date;
}): Hono {
  const app = new Hono();
  const sessions = new Map<string, { card: SmartCard; expires: number }>();
  const refuse = (status: 400 | 404 | 503, code: string, message: string) =>
    Response.json({ error: { code, message } }, { status });

  app.get('/api/config', (c) => c.json(options.config));
  app.get('/api/demo-cards', (c) => c.json(options.reader.cards));
  app.post('/api/demo-cards/:id/sessions', async (c) => {
    const id = c.req.param('id');
    if (!options.reader.cards.some((card) => card.id === id))
      return refuse(404, 'ERR_CARD_UNKNOWN', 'no such demo card');
    const now = options.clock().getTime();
    for (const [key, session] of sessions) if (session.expires < now) sessions.delete(key);
    if (sessions.size >= MAX_SESSIONS) return refuse(503, 'ERR_READER_BUSY', 'too many card sessions; try again later');
    const sessionId = randomBytes(16).toString('base64url');
    sessions.set(sessionId, { card: await options.reader.open(id), expires: now + SESSION_SECONDS * 1000 });
    return c.json({ sessionId }, 201);
  });
  app.post('/api/card-sessions/:session/apdu', async (c) => {
    const session = sessions.get(c.req.param('session'));
    if (!session || session.expires < options.clock().getTime())
      return refuse(404, 'ERR_CARD_SESSION', 'the card session ended; hold the card again');
    const body = (await c.req.json().catch(() => undefined)) as { apdu?: unknown } | undefined;
    if (typeof body?.apdu !== 'string' || !/^(?:[0-9a-f]{2}){4,600}$/i.test(body.apdu))
      return refuse(400, 'ERR_APDU', 'an APDU is 4 to 600 bytes of hex');
    const response = await session.card.transmit(new Uint8Array(Buffer.from(body.apdu, 'hex')));
    return c.json({ response: Buffer.from(response).toString('hex') });
  });
  app.get('*', async (c) => {
    const path = new URL(c.req.url).pathname;
    const file = resolve(options.staticDir, `.${path === '/' ? '/index.html' : path}`);
    // Only files under the build directory; anything else is the app (a same-device link lands on it).
    const inside = file.startsWith(options.staticDir + '/') && existsSync(file);
    const served = inside ? file : join(options.staticDir, 'index.html');
    return new Response(new Uint8Array(await readFile(served)), {
      headers: {
        'content-type': CONTENT_TYPES[extname(served)] ?? 'application/octet-stream',
        'cache-control': served.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
    });
  });
  return app;
}

/** Starts the web wallet's host on `host:port`. */
export async function startWalletWeb(options: {
  readonly host: string;
  readonly port: number;
  readonly config: WalletWebConfig;
  readonly reader: DemoCardReader;
  readonly staticDir?: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const staticDir = options.staticDir ?? WALLET_WEB_DIST;
  if (!existsSync(join(staticDir, 'index.html')))
    throw new Error(`the web wallet is not built (${staticDir}): run \`npm run build\``);
  const server = await listen(options.host, options.port);
  const app = createWalletWebApp({
    staticDir,
    config: options.config,
    reader: options.reader,
    clock: () => new Date(),
  });
  server.setHandler((request) => app.fetch(request));
  return { url: server.url, close: () => server.close() };
}
