import type { IncomingMessage, ServerResponse } from 'node:http';

import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type Provider from 'oidc-provider';

import type { RouteDeps } from '../http/route-deps.js';
import type { OidcPaths } from './paths.js';

/** What the OIDC routes run with: the provider, made once on first use (it reads its key from the database). */
export interface OidcDeps extends RouteDeps {
  readonly paths: OidcPaths;
  readonly provider: () => Promise<Provider>;
  readonly signTransactionSeconds: number;
}

/** The Node request and response under a Hono context (the provider is a Koa app): only over `@hono/node-server`. */
export function nodeOf(c: Context, publicUrl: string): { req: IncomingMessage; res: ServerResponse } | undefined {
  const env = c.env as Partial<HttpBindings> | undefined;
  if (!env?.incoming || !env.outgoing) return undefined;
  addressedTo(env.incoming, publicUrl);
  return { req: env.incoming, res: env.outgoing };
}

/**
 * The provider builds its own URLs (the token endpoint a client assertion may be addressed to, the
 * resume URL) from the request's host and scheme: every request reaches it as addressed to the public
 * URL, whatever `Host` and `X-Forwarded-*` said — so an assertion made for another server's endpoint of
 * the same layout is refused.
 */
function addressedTo(req: IncomingMessage, publicUrl: string): void {
  const url = new URL(publicUrl);
  req.headers['host'] = url.host;
  req.headers['x-forwarded-host'] = url.host;
  req.headers['x-forwarded-proto'] = url.protocol.slice(0, -1);
  delete req.headers['x-forwarded-port'];
  delete req.headers['forwarded'];
}

/**
 * The answer of a route whose Node response the provider wrote: nothing more is sent, and the request log
 * and metrics see the status the provider gave.
 */
export function sentBy(res: ServerResponse): Response {
  const status = res.statusCode >= 200 && res.statusCode <= 599 ? res.statusCode : 200;
  // The class of the server's own marker: `@hono/node-server` replaces the global `Response` with a
  // lighter one, whose instances it writes out again.
  const Sent = RESPONSE_ALREADY_SENT.constructor as typeof Response;
  return new Sent(null, { status, headers: RESPONSE_ALREADY_SENT.headers });
}
