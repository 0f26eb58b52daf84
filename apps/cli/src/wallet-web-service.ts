import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { extname, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';

import { base64UrlEncode } from '@openmyna/core';
import type { SmartCard } from '@openmyna/card';
import { errorEnvelope, installRequestGuard, sourceAddress } from '@openmyna/service';
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
const WALLET_WEB_ENVELOPE = errorEnvelope({ statuses: {}, internalMessage: 'the web wallet host failed' });
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
  /** Services reached through this origin (`/issuer/…`, `/verifier/…`): one origin for a phone on the LAN. */
  readonly upstreams?: Readonly<Record<string, string>>;
}): Hono {
  const app = new Hono();
  // Bodies are guarded here as the services guard theirs: the proxy must not buffer what they refuse.
  installRequestGuard(app, WALLET_WEB_ENVELOPE);
  for (const [prefix, upstream] of Object.entries(options.upstreams ?? {}))
    app.all(`/${prefix}/*`, async (c) =>
      forward(c.req.raw, `/${prefix}`, upstream, {
        client: sourceAddress(c),
        // Read through Hono, which holds what the guard already read.
        body: c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : await c.req.arrayBuffer(),
      }),
    );
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
    const sessionId = base64UrlEncode(new Uint8Array(randomBytes(16)));
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

/**
 * Forwards a request under `prefix` to `upstream` (the prefix removed), as a reverse proxy: method,
 * headers but the hop-by-hop ones, and `body` (the request's own when not given); the answer comes back
 * as it is (already decoded by fetch). `X-Forwarded-For` is replaced by `client`'s address (the proxy is
 * the edge: what a client wrote there is not passed on), so an upstream that trusts this proxy counts
 * each client on its own.
 */
export async function forward(
  request: Request,
  prefix: string,
  upstream: string,
  via: { readonly client?: string | undefined; readonly body?: ArrayBuffer | undefined } = {},
): Promise<Response> {
  const { client } = via;
  const url = new URL(request.url);
  const target = new URL(`${url.pathname.slice(prefix.length) || '/'}${url.search}`, upstream);
  const headers = new Headers(request.headers);
  for (const name of ['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'x-forwarded-for'])
    headers.delete(name);
  if (client) headers.set('x-forwarded-for', client);
  let response: Response;
  try {
    response = await fetch(target, {
      method: request.method,
      headers,
      ...(request.method === 'GET' || request.method === 'HEAD'
        ? {}
        : { body: new Uint8Array(via.body ?? (await request.arrayBuffer())) }),
      redirect: 'manual',
    });
  } catch {
    return Response.json(
      { error: { code: 'ERR_UPSTREAM', message: `the ${prefix.slice(1)} is not reachable` } },
      { status: 502 },
    );
  }
  const answer = new Headers(response.headers);
  for (const name of ['content-encoding', 'content-length', 'transfer-encoding', 'connection']) answer.delete(name);
  return new Response(response.body, { status: response.status, headers: answer });
}

/**
 * Passes a WebSocket upgrade under `prefix` on to `upstream` (the verifier's relay) byte for byte: the
 * request line with the prefix removed and the headers are replayed, then both sockets are piped.
 */
export function forwardUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  prefix: string,
  upstream: string,
): boolean {
  if (!request.url?.startsWith(`${prefix}/`)) return false;
  const target = new URL(upstream);
  const path = request.url.slice(prefix.length);
  const connection = connect(Number(target.port || 80), target.hostname, () => {
    const lines = [`GET ${path} HTTP/1.1`];
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i]!;
      lines.push(`${name}: ${name.toLowerCase() === 'host' ? target.host : request.rawHeaders[i + 1]}`);
    }
    connection.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) connection.write(head);
    connection.pipe(socket).pipe(connection);
  });
  const close = () => {
    connection.destroy();
    socket.destroy();
  };
  connection.on('error', close);
  socket.on('error', close);
  return true;
}

/** Starts the web wallet's host on `host:port` (HTTPS with `tls`, proxying `upstreams` when given). */
export async function startWalletWeb(options: {
  readonly host: string;
  readonly port: number;
  readonly config: WalletWebConfig;
  readonly reader: DemoCardReader;
  readonly staticDir?: string;
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly upstreams?: Readonly<Record<string, string>>;
}): Promise<{ url: string; close(): Promise<void> }> {
  const staticDir = options.staticDir ?? WALLET_WEB_DIST;
  if (!existsSync(join(staticDir, 'index.html')))
    throw new Error(`the web wallet is not built (${staticDir}): run \`npm run build\``);
  const verifier = options.upstreams?.['verifier'];
  const server = await listen(
    options.host,
    options.port,
    verifier ? (request, socket, head) => forwardUpgrade(request, socket, head, '/verifier', verifier) : undefined,
    options.tls,
  );
  const app = createWalletWebApp({
    staticDir,
    config: options.config,
    reader: options.reader,
    clock: () => new Date(),
    ...(options.upstreams ? { upstreams: options.upstreams } : {}),
  });
  server.setHandler((request, env) => app.fetch(request, env));
  return { url: server.url, close: () => server.close() };
}
