import fc from 'fast-check';
import { expect } from 'vitest';

/** A service as the route fuzzer sees it. */
export interface FuzzTarget {
  /** The app's handler, called in process: no source address, so no per-source limit gets in the way. */
  readonly fetch: (request: Request) => Response | Promise<Response>;
  /** Every route, `METHOD /path/{param}`: the OpenAPI document's ({@link openApiRoutes}) and the rest. */
  readonly routes: readonly string[];
  /** Path parameter values that name something real, so handlers get past the lookup. */
  readonly ids: readonly string[];
  /** `Authorization` values to try, the valid ones among them (list one more than once to try it more often). */
  readonly credentials: readonly (string | undefined)[];
  /** Valid JSON bodies by route: the fuzzer also sends them with one field made hostile. */
  readonly samples?: Readonly<Record<string, Record<string, unknown>>>;
}

/** A digit string shaped like a My Number: never to be quoted back in an error. */
export const FUZZ_MARKER = '123456789018';

/** The routes of a service's OpenAPI document (`GET /openapi.json`), as `METHOD /path/{param}`. */
export async function openApiRoutes(fetch: FuzzTarget['fetch']): Promise<string[]> {
  const document = (await (await fetch(new Request('http://service.test/openapi.json'))).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constant(FUZZ_MARKER),
  fc.constant('\u0000'),
  fc.constant('\ud800'),
  fc.constant('9999-99-99'),
  fc.constant('a'.repeat(5000)),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('name', 'id', 'state', 'vp_token')),
      tie('value'),
      {
        maxKeys: 5,
      },
    ),
  ),
})).value;
const body = fc.oneof(
  fc.constant(undefined),
  json.map((value) => JSON.stringify(value)),
  text,
  fc.constant('{"a":'.repeat(100)),
  fc
    .dictionary(fc.constantFrom('vp_token', 'state', 'error', 'response', 'name', 'x'), text, { maxKeys: 4 })
    .map((form) => new URLSearchParams(form).toString()),
  fc.uint8Array({ maxLength: 256 }),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const extraHeaders = fc.dictionary(
  fc.constantFrom('accept', 'x-forwarded-for', 'origin', 'cookie', 'if-none-match', 'range', 'accept-encoding'),
  headerValue,
  { maxKeys: 3 },
);

/**
 * Throws random requests at every route of `target` — path parameters real and not, bodies of every
 * shape (JSON deep and wide, forms, bytes, NULs, lone surrogates, impossible dates, a My Number), wrong
 * content types, stray headers, with and without valid credentials — and sends each twice (a replay).
 * Every answer must be a decision, never a crash: no 5xx but 501 and 503; an error in the envelope with
 * a code; and no error that quotes the My Number-shaped marker back. Returns the statuses seen.
 */
export async function fuzzEveryRoute(target: FuzzTarget, runsPerRoute = 16): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const param = fc.oneof(
    { arbitrary: fc.constantFrom(...target.ids), weight: 4 },
    { arbitrary: fc.string({ maxLength: 30 }).map(encodeURIComponent), weight: 1 },
    { arbitrary: fc.constantFrom('%00', '..', 'a'.repeat(300), FUZZ_MARKER), weight: 1 },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...target.routes),
      param,
      body,
      contentType,
      fc.constantFrom(...target.credentials),
      extraHeaders,
      fc.option(fc.record({ index: fc.nat(), value: json })),
      async (route, id, payload, type, credential, headers, mutation) => {
        const [method, template] = route.split(' ') as [string, string];
        const sample = target.samples?.[route];
        if (sample && mutation) {
          // A valid body with one field made hostile: past the shape checks, into the handler.
          const keys = Object.keys(sample);
          const key = keys[mutation.index % keys.length]!;
          payload = JSON.stringify({ ...sample, [key]: mutation.value });
          type = 'application/json';
        }
        const path = template.replace(/\{[^}]+\}|:[A-Za-z]+/g, id);
        const sent = method !== 'GET' && method !== 'HEAD' ? payload : undefined;
        for (let attempt = 0; attempt < 2; attempt++) {
          const response = await target.fetch(
            new Request(`http://service.test${path}`, {
              method,
              headers: {
                ...headers,
                ...(type ? { 'content-type': type } : {}),
                ...(credential ? { authorization: credential } : {}),
              },
              ...(sent !== undefined ? { body: sent } : {}),
            }),
          );
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (process.env['OPENMYNA_FUZZ_TRACE']) console.log(route, response.status);
          const answer = await response.text();
          const what = `${method} ${path} (${type ?? 'no type'}): ${response.status} ${answer.slice(0, 200)}`;
          expect(response.status >= 500 && response.status !== 501 && response.status !== 503, what).toBe(false);
          if (response.status >= 400 && (response.headers.get('content-type') ?? '').includes('json')) {
            const error = (JSON.parse(answer) as { error?: { code?: unknown } }).error;
            expect(typeof error?.code, what).toBe('string');
            expect(answer, what).not.toContain(FUZZ_MARKER);
          }
        }
      },
    ),
    { numRuns: target.routes.length * runsPerRoute },
  );
  return statuses;
}

/** How many requests of a fuzz run answered with a status `test` accepts. */
export function countStatuses(statuses: ReadonlyMap<number, number>, test: (status: number) => boolean): number {
  return [...statuses].reduce((sum, [status, n]) => sum + (test(status) ? n : 0), 0);
}
