import type { IncomingMessage, ServerResponse } from 'node:http';

import type { HttpBindings } from '@hono/node-server';
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
export function nodeOf(c: Context): { req: IncomingMessage; res: ServerResponse } | undefined {
  const env = c.env as Partial<HttpBindings> | undefined;
  return env?.incoming && env.outgoing ? { req: env.incoming, res: env.outgoing } : undefined;
}

/**
 * The answer of a route whose Node response the provider wrote: nothing more is sent, and the request log
 * and metrics see the status the provider gave.
 */
export function sentBy(res: ServerResponse): Response {
  const status = res.statusCode >= 200 && res.statusCode <= 599 ? res.statusCode : 200;
  return new Response(null, { status, headers: { 'x-hono-already-sent': 'true' } });
}
