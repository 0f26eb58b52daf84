import type { Context, Hono, MiddlewareHandler, Next } from 'hono';
import { bodyLimit } from 'hono/body-limit';

import type { ErrorEnvelopeHandlers } from './error-envelope.js';

/** What any request body may be: 1 MiB unless a route says otherwise. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** How deep a JSON body may nest: our largest body nests four levels. */
export const MAX_JSON_DEPTH = 32;

/** Body limits of a service. */
export interface BodyLimits {
  /** Bytes any request body may have (default {@link DEFAULT_BODY_LIMIT}). */
  readonly maxBytes?: number;
  /** Larger (or smaller) limits by route path prefix, e.g. `{ '/admin/persons': 2 * 1024 * 1024 }`. */
  readonly routes?: Readonly<Record<string, number>>;
}

/**
 * Guards every route against hostile bodies before any handler or validator reads them: a size limit
 * enforced while the body streams in (413 `ERR_BODY_TOO_LARGE` once the limit is passed, before the
 * rest is read; a `content-length` above it is refused unread), and for JSON bodies a nesting limit
 * checked before parsing, then 400 `ERR_VALIDATION` for text that is not JSON, or that has a NUL
 * character or an unpaired surrogate in any string — naming the field, never quoting its value.
 */
export function installRequestGuard(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app: Hono<any, any, any>,
  envelope: ErrorEnvelopeHandlers,
  limits: BodyLimits = {},
): void {
  const routes = Object.entries(limits.routes ?? {}).sort(([a], [b]) => b.length - a.length);
  const guards = new Map<number, ReturnType<typeof bodyLimit>>();
  const guardFor = (path: string) => {
    const maxSize = routes.find(([prefix]) => path.startsWith(prefix))?.[1] ?? limits.maxBytes ?? DEFAULT_BODY_LIMIT;
    let guard = guards.get(maxSize);
    if (!guard) {
      guard = bodyLimit({
        maxSize,
        onError: (c) =>
          envelope.respond(c, 'ERR_BODY_TOO_LARGE', `the request body is larger than ${maxSize} bytes`, 413),
      });
      guards.set(maxSize, guard);
    }
    return guard;
  };
  // The inner step may answer with a refusal: Hono takes a middleware's returned Response as the answer.
  const guard: MiddlewareHandler = (c, next) => {
    const problem = urlProblem(c.req.url);
    if (problem) return Promise.resolve(envelope.respond(c, 'ERR_VALIDATION', problem));
    return guardFor(c.req.path)(c, () => checkJsonBody(c, next, envelope) as Promise<void>);
  };
  app.use('*', guard);
}

/**
 * What is wrong with a request URL's path or query, if anything: escapes that decode to control
 * characters (NUL above all, which PostgreSQL cannot store and C strings end at) or to bytes that are not
 * UTF-8. Ids and values then reach no handler, database or log.
 */
export function urlProblem(url: string): string | undefined {
  const { pathname, search } = new URL(url);
  for (const [part, text] of [
    ['path', pathname],
    ['query', search],
  ] as const) {
    if (/%(?:[01][0-9a-f]|7f)/i.test(text)) return `the ${part} has a control character`;
    try {
      decodeURIComponent(text);
    } catch {
      return `the ${part} is not valid percent-encoded UTF-8`;
    }
  }
  return undefined;
}

async function checkJsonBody(c: Context, next: Next, envelope: ErrorEnvelopeHandlers): Promise<Response | void> {
  const type = c.req.header('content-type') ?? '';
  if (!c.req.raw.body || !/^application\/([\w.+-]+\+)?json\b/i.test(type)) return next();
  const text = await c.req.text();
  // An empty body is the route's to judge (most POSTs without one take none).
  if (text.length === 0) return next();
  const problem = jsonBodyProblem(text);
  if (problem) return envelope.respond(c, 'ERR_VALIDATION', problem);
  return next();
}

/**
 * Why a JSON body is refused, or undefined: nesting deeper than {@link MAX_JSON_DEPTH} (found by a
 * linear scan before `JSON.parse` sees it), not JSON, or a string (value or key) with a NUL character
 * or an unpaired surrogate — which no field of ours allows and PostgreSQL cannot store.
 */
export function jsonBodyProblem(text: string): string | undefined {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`;
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the body is not valid JSON';
  }
  // A NUL or a lone surrogate can only come from a \u escape (decoded UTF-8 has neither, and JSON allows
  // no raw control characters): without such an escape there is nothing to look for, and the walk
  // that names the field — costly over a body of a million array items — is skipped.
  if (!/\\u(?:0000|d[89a-f])/i.test(text)) return undefined;
  return textProblem(value, '(body)');
}

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const badText = (text: string) => text.includes('\u0000') || UNPAIRED_SURROGATE.test(text);
/** A key as it may appear in a message: our field names, never arbitrary text (which could be a secret). */
const nameOf = (key: string) => (/^[A-Za-z_][\w-]{0,63}$/.test(key) && !/\d{4}/.test(key) ? key : '…');

function textProblem(value: unknown, path: string): string | undefined {
  if (typeof value === 'string')
    return badText(value) ? `${path}: contains a NUL character or an unpaired surrogate` : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    const name = Array.isArray(value) ? key : nameOf(key);
    const at = path === '(body)' ? name : `${path}.${name}`;
    if (badText(key)) return `${path}: a key contains a NUL character or an unpaired surrogate`;
    const problem = textProblem(item, at);
    if (problem) return problem;
  }
  return undefined;
}
