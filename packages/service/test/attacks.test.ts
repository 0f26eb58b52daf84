import { serve, type ServerType } from '@hono/node-server';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AuthenticationFailures,
  canonicalAddress,
  clientAddress,
  errorEnvelope,
  installServiceBasics,
  jsonBody,
  jsonBodyProblem,
  MAX_JSON_DEPTH,
  perSourceLimit,
  RateLimiter,
  sourceOf,
  trustedProxySet,
  urlProblem,
  validationHook,
} from '../src/index.js';

/*
 * Hostile bodies and callers against the plumbing both services share (issue 17), over real HTTP:
 * each of these answered 500, took hundreds of megabytes, or was not limited before.
 */

const envelope = errorEnvelope({ statuses: {}, internalMessage: 'the test service failed' });
let server: ServerType;
let base: string;

beforeAll(async () => {
  const app = new OpenAPIHono({ defaultHook: validationHook(envelope) });
  installServiceBasics(app, {
    name: 'attacks',
    logger: pino({ level: 'silent' }),
    envelope,
    adminToken: 'the-admin-token',
    authenticationFailures: new AuthenticationFailures({ perSecond: 0.01, capacity: 3 }),
    bodyLimits: { maxBytes: 64 * 1024, routes: { '/photos': 256 * 1024 } },
  });
  app.use('/open', perSourceLimit(envelope, { perSecond: 0.01, capacity: 5 }));
  const Person = z.object({ name: z.string().max(100), tags: z.array(z.string()).max(4).optional() });
  for (const path of ['/people', '/photos', '/admin/people'])
    app.openapi(
      createRoute({
        method: 'post',
        path,
        request: { body: jsonBody(Person) },
        responses: { 200: { description: 'ok' } },
      }),
      (c) => c.json({ name: c.req.valid('json').name }, 200),
    );
  app.post('/open', (c) => c.json({}, 200));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (path: string, body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${base}${path}`, { method: 'POST', headers, body });
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string } }).error;

describe('request bodies', () => {
  it('refuses a body over the limit with 413 in the envelope, streamed or declared', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(100_000) });
    const declared = await post('/people', big);
    expect([declared.status, (await errorOf(declared)).code]).toEqual([413, 'ERR_BODY_TOO_LARGE']);
    // Chunked, with no content-length: refused while streaming, before the whole body is read.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 50 * 1024 * 1024) return controller.close();
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const streamed = await fetch(`${base}/people`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(50 * 1024 * 1024);
    // A route may have a larger limit of its own.
    expect((await post('/photos', JSON.stringify({ name: 'x' }) + ' '.repeat(100_000))).status).toBe(200);
  });

  it('answers malformed JSON, a wrong or missing content-type, deep nesting, NUL and lone surrogates with 400', async () => {
    const cases: [string, BodyInit, Record<string, string>][] = [
      ['malformed JSON', '{"name": ', { 'content-type': 'application/json' }],
      ['wrong content-type', '{"name":"a"}', { 'content-type': 'text/plain' }],
      ['no content-type', '{"name":"a"}', {}],
      ['deep nesting', '['.repeat(10_000), { 'content-type': 'application/json' }],
      ['a NUL character', '{"name":"a\\u0000b"}', { 'content-type': 'application/json' }],
      ['an unpaired surrogate', '{"tags":["ok","\\ud800"],"name":"a"}', { 'content-type': 'application/json' }],
    ];
    for (const [what, body, headers] of cases) {
      const response = await post('/people', body, headers);
      expect(response.status, what).toBe(400);
      expect((await errorOf(response)).code, what).toBe('ERR_VALIDATION');
    }
    const surrogate = await errorOf(await post('/people', '{"name":"a","tags":["ok","\\udc00"]}'));
    expect(surrogate.message).toContain('tags.1');
  });

  it('never answers 500 to any body, and never quotes it back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((value) => JSON.stringify({ name: value })),
        ),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
        async (body, type) => {
          const response = await post('/people', body, type ? { 'content-type': type } : {});
          expect(response.status).toBeLessThan(500);
          if (response.status !== 200 && body.length >= 12 && /^\d+$/.test(body))
            expect(JSON.stringify(await response.json())).not.toContain(body);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('finds the depth of a JSON text in one pass before parsing it', () => {
    expect(jsonBodyProblem(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeUndefined();
    expect(jsonBodyProblem(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`)).toMatch(/deeper/);
    expect(jsonBodyProblem('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')).toBeUndefined();
    expect(jsonBodyProblem('{"123456789012\\u0000":1}')).not.toContain('123456789012');
    expect(jsonBodyProblem('{"_123456789012":{"a":"\\u0000"}}')).not.toContain('123456789012');
  });

  it('finds every NUL and lone surrogate, and only those, whatever the JSON (property)', () => {
    const bad = (text: string) =>
      text.includes('\u0000') || /[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
    const anyBad = (value: unknown): boolean =>
      typeof value === 'string'
        ? bad(value)
        : typeof value === 'object' && value !== null
          ? Object.entries(value).some(([key, item]) => bad(key) || anyBad(item))
          : false;
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('\u0000', '\uD800', '\uDC00', '😀'),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(text, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        expect(jsonBodyProblem(JSON.stringify(value)) !== undefined).toBe(anyBad(value));
      }),
      { numRuns: 500 },
    );
  });
});

describe('request URLs', () => {
  it('refuses control characters and broken escapes in the path or query, before any handler', async () => {
    for (const path of [
      '/admin/people/%00',
      '/admin/people/a%0Ab',
      '/admin/people/%ff',
      '/admin/people?x=%E3%81',
      '/x?q=%7f',
    ])
      expect(urlProblem(`http://service.test${path}`), path).toBeDefined();
    for (const path of ['/ocsp/signing/MEMw%2BQ%3D%3D', '/persons/P0000001', '/q?name=%E7%95%AA%E5%8F%B7'])
      expect(urlProblem(`http://service.test${path}`), path).toBeUndefined();
    const response = await fetch(`${base}/admin/people/%00`);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('ERR_VALIDATION');
  });
});

describe('callers', () => {
  it('limits failed authentications per source, with Retry-After, before comparing the credential', async () => {
    const wrong = () =>
      post('/admin/people', '{"name":"a"}', { 'content-type': 'application/json', authorization: 'Bearer guess' });
    for (let i = 0; i < 3; i++) expect((await wrong()).status).toBe(401);
    const limited = await wrong();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await errorOf(limited)).code).toBe('ERR_RATE_LIMITED');
    // Even the right token waits now: the source spent its failures.
    const right = await post('/admin/people', '{"name":"a"}', {
      'content-type': 'application/json',
      authorization: 'Bearer the-admin-token',
    });
    expect(right.status).toBe(429);
  });

  it('limits anonymous endpoints per source, with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const response = await fetch(`${base}/open`, { method: 'POST' });
      statuses.push(response.status);
      retryAfter ??= response.headers.get('retry-after');
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(3);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});

describe('sources as the limits count them', () => {
  it('spells each address one way, and counts an IPv6 client by its /64', () => {
    expect(canonicalAddress('2001:DB8::5')).toBe(canonicalAddress('2001:db8:0:0::5'));
    expect(canonicalAddress('2001:db8::5')).toBe('2001:db8:0:0:0:0:0:5');
    expect(canonicalAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalAddress('::FFFF:0a00:0001')).toBe('10.0.0.1');
    expect(canonicalAddress('[::1]')).toBe('0:0:0:0:0:0:0:1');
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe(sourceOf('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(sourceOf('2001:db8:1:3::1')).not.toBe(sourceOf('2001:db8:1:2::1'));
    expect(sourceOf('192.0.2.7')).toBe('192.0.2.7');
    // A proxy configured in any spelling is recognised in any other.
    expect(clientAddress('::ffff:10.0.0.1', '198.51.100.7', trustedProxySet(['10.0.0.1']))).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.1', '198.51.100.7', trustedProxySet(['::ffff:10.0.0.1']))).toBe('198.51.100.7');
    expect(clientAddress('2001:db8::1', '198.51.100.7', trustedProxySet(['2001:DB8:0::1']))).toBe('198.51.100.7');
  });

  it('forgets one source at a time past its bound, never every source at once', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 0.001, capacity: 1, clock: () => now });
    for (let i = 0; i <= RateLimiter.MAX_KEYS + 10; i++) {
      now += 1;
      limiter.take(`source-${i}`);
    }
    // Recently spent sources stay spent (the whole map used to be cleared here); the oldest went first.
    expect(limiter.has(`source-${RateLimiter.MAX_KEYS - 10}`)).toBe(false);
    expect(limiter.has(`source-${RateLimiter.MAX_KEYS + 10}`)).toBe(false);
    expect(limiter.has('source-0')).toBe(true);
    // A source whose bucket has refilled is forgotten before any spent one.
    const quick = new RateLimiter({ perSecond: 1000, capacity: 1, clock: () => now });
    quick.take('refilled');
    now += 10;
    for (let i = 0; i < RateLimiter.MAX_KEYS; i++) quick.take(`spent-${i}`);
    expect(quick.has('spent-0')).toBe(false);
  });
});

describe('the client behind a proxy', () => {
  const TRUSTED = trustedProxySet(['127.0.0.1', '10.0.0.2']);

  it('takes the address a trusted proxy names, and only from a trusted proxy', () => {
    expect(clientAddress('::ffff:127.0.0.1', '198.51.100.7', TRUSTED)).toBe('198.51.100.7');
    // Entries left of the last untrusted hop were written by the client: never taken.
    expect(clientAddress('127.0.0.1', '203.0.113.9, 198.51.100.7, 10.0.0.2', TRUSTED)).toBe('198.51.100.7');
    // An untrusted peer's header is ignored; so is garbage, which ends the chain.
    expect(clientAddress('192.0.2.1', '198.51.100.7', TRUSTED)).toBe('192.0.2.1');
    expect(clientAddress('127.0.0.1', 'evil, 10.0.0.2', TRUSTED)).toBe('10.0.0.2');
    expect(clientAddress('127.0.0.1', undefined, TRUSTED)).toBe('127.0.0.1');
    expect(clientAddress(undefined, '198.51.100.7', TRUSTED)).toBeUndefined();
  });

  it('never answers an address a client could choose through an untrusted peer (property)', () => {
    const address = fc.oneof(fc.ipV4(), fc.constantFrom('127.0.0.1', '10.0.0.2'));
    fc.assert(
      fc.property(address, fc.array(fc.oneof(address, fc.string()), { maxLength: 6 }), (peer, hops) => {
        const header = hops.join(',');
        const client = clientAddress(peer, header, TRUSTED)!;
        if (!TRUSTED.has(peer)) return client === peer;
        // From a trusted peer: the peer, or a hop that is a valid address right of any untrusted one.
        const trimmed = header.split(',').map((hop) => hop.trim());
        const index = trimmed.lastIndexOf(client);
        return client === peer || (index >= 0 && trimmed.slice(index + 1).every((hop) => TRUSTED.has(hop)));
      }),
    );
  });
});
