import { randomBytes } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

import { base64Decode, base64Encode, base64UrlEncode } from '@openmyna/core';
import { serve, type ServerType } from '@hono/node-server';
import { clientAddress, trustedProxySet } from '@openmyna/service';
import pino, { type Logger } from 'pino';

import { readJson, writeAtomically } from './pki-store.js';

/** Where a service's logs go: `{ file }`, or standard output. */
export type LogDestination = { readonly file: string } | 'stdout';

/** pino JSON lines for `name`, to a file or standard output. */
export function serviceLogger(name: string, logTo: LogDestination): Logger {
  return logTo === 'stdout'
    ? pino({ name })
    : // Synchronous: each line is with the kernel before the next request, so a kill -9 loses none.
      pino({ name }, pino.destination({ dest: logTo.file, mkdir: true, sync: true }));
}

/**
 * A service's admin bearer token: the environment variable `variable`, else
 * `<data>/<service>/admin-token.json` (created, mode 0600).
 */
export async function serviceAdminToken(dataDir: string, service: string, variable: string): Promise<string> {
  const fromEnvironment = process.env[variable];
  if (fromEnvironment) return fromEnvironment;
  const path = join(dataDir, service, 'admin-token.json');
  const stored = await readJson<{ token: string }>(path);
  if (stored) return stored.token;
  const token = base64UrlEncode(new Uint8Array(randomBytes(24)));
  await mkdir(join(dataDir, service), { recursive: true });
  await writeAtomically(path, JSON.stringify({ token }) + '\n');
  await chmod(path, 0o600);
  return token;
}

/**
 * A service's key for its data at rest (AES-256): the environment variable `variable` (base64, 32
 * bytes), else `<data>/<service>/sealing-key.json` (created, mode 0600).
 */
export async function serviceSealingKey(dataDir: string, service: string, variable: string): Promise<Uint8Array> {
  const decode = (text: string) => {
    let key: Uint8Array | undefined;
    try {
      key = base64Decode(text);
    } catch {
      key = undefined;
    }
    if (key?.length !== 32) throw new Error(`the ${service} sealing key is 32 bytes, base64`);
    return key;
  };
  const fromEnvironment = process.env[variable];
  if (fromEnvironment) return decode(fromEnvironment);
  const path = join(dataDir, service, 'sealing-key.json');
  const stored = await readJson<{ key: string }>(path);
  if (stored) return decode(stored.key);
  const key = base64Encode(new Uint8Array(randomBytes(32)));
  await mkdir(join(dataDir, service), { recursive: true });
  await writeAtomically(path, JSON.stringify({ key }) + '\n');
  await chmod(path, 0o600);
  return decode(key);
}

/** How long a client may take to send its headers, and its whole request, before it is cut off. */
export const SLOW_CLIENT_MS = { headers: 10_000, request: 60_000 } as const;

/** What serves a service's requests: a Hono app's `fetch`, with @hono/node-server's environment. */
export type ServiceHandler = (request: Request, env: object | undefined) => Response | Promise<Response>;

/**
 * Binds `host:port` first — an app that names its own URL (status lists, request URIs) is made once
 * the port is known — and serves whatever `setHandler` installs (503 until then). `onUpgrade` takes
 * WebSocket upgrades (e.g. the in-person relay); unclaimed ones are closed. Each request's client
 * address — the TCP peer, or behind one of `trustedProxies` the address it forwarded
 * (`X-Forwarded-For`, {@link clientAddress}) — goes to the app in its environment as `clientAddress`.
 */
export async function listen(
  host: string,
  port: number,
  onUpgrade?: (request: IncomingMessage, socket: Socket, head: Buffer) => boolean,
  tls?: { readonly key: string; readonly cert: string },
  trustedProxies: readonly string[] = [],
): Promise<{
  url: string;
  setHandler(handler: ServiceHandler): void;
  close(): Promise<void>;
}> {
  // Until the app is installed: a 503 in the services' envelope, with when to try again.
  let handle: ServiceHandler = () =>
    Response.json(
      { error: { code: 'ERR_UNAVAILABLE', message: 'the service is starting; try again in a moment' } },
      { status: 503, headers: { 'retry-after': '1' } },
    );
  // The environment carries the connection and the client address the rate limits count by.
  const trusted = trustedProxySet(trustedProxies);
  const serveRequest = (
    request: Request,
    env: { incoming?: { socket: { remoteAddress?: string | undefined } } } | undefined,
  ) =>
    handle(request, {
      ...env,
      clientAddress: clientAddress(
        env?.incoming?.socket.remoteAddress,
        request.headers.get('x-forwarded-for'),
        trusted,
      ),
    });
  const server: ServerType = tls
    ? serve({
        fetch: serveRequest,
        port,
        hostname: host,
        createServer: createHttpsServer,
        serverOptions: { key: tls.key, cert: tls.cert },
      })
    : serve({ fetch: serveRequest, port, hostname: host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  // Slow clients are cut off rather than holding connections open (headers 10 s, a whole request 60 s).
  const timeouts = server as { headersTimeout?: number; requestTimeout?: number };
  timeouts.headersTimeout = SLOW_CLIENT_MS.headers;
  timeouts.requestTimeout = SLOW_CLIENT_MS.request;
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!upgraded(onUpgrade, request, socket, head)) socket.destroy();
  });
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${(server.address() as AddressInfo).port}`,
    setHandler: (handler) => {
      handle = handler;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Announces a running service on standard error and keeps it until SIGINT or SIGTERM, then closes it. */
export async function runUntilStopped(
  io: { readonly stderr: { write(text: string): unknown } },
  name: string,
  running: { readonly url: string; readonly database: { readonly location: string }; close(): Promise<void> },
): Promise<void> {
  io.stderr.write(
    `openmyna ${name} on ${running.url} (database ${running.database.location}; OpenAPI at ${running.url}/openapi.json)\n`,
  );
  await new Promise<void>((done) => {
    const stop = () => void running.close().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Whether `onUpgrade` took the connection; whatever it throws on a hostile upgrade ends that connection, never the process. */
function upgraded(
  onUpgrade: ((request: IncomingMessage, socket: Socket, head: Buffer) => boolean) | undefined,
  request: IncomingMessage,
  socket: Socket,
  head: Buffer,
): boolean {
  try {
    return onUpgrade?.(request, socket, head) ?? false;
  } catch {
    return false;
  }
}
