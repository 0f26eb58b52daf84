import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MemoryRetryCounterStore, openVirtualCard } from '@openmyna/card';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { issuerWithCards } from '../../../test-support/verifier-fixtures.js';
import { listen } from '../src/service-runner.js';
import { createWalletWebApp } from '../src/wallet-web-service.js';

describe("the web wallet's host: static files, configuration and the demo card reader", () => {
  let issuer: Awaited<ReturnType<typeof issuerWithCards>>;
  let app: ReturnType<typeof createWalletWebApp>;
  let clock = new Date();
  const root = mkdtempSync(join(tmpdir(), 'openmyna-host-'));
  const staticDir = join(root, 'dist');

  beforeAll(async () => {
    mkdirSync(join(staticDir, 'assets'), { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>wallet</title>');
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'outside the build');
    issuer = await issuerWithCards('wallet-web-host', [3]);
    const card = issuer.cards[0]!;
    app = createWalletWebApp({
      staticDir,
      config: { issuerUrl: 'http://127.0.0.1:1', readerCa: 'AA==', relayUrl: 'ws://127.0.0.1:2/relay' },
      reader: {
        cards: [{ id: card.document.personId, name: 'x' }],
        open: () =>
          openVirtualCard({
            document: card.document,
            passphrase: card.passphrase,
            store: () => new MemoryRetryCounterStore(),
          }),
      },
      clock: () => clock,
    });
  }, 60_000);
  afterAll(() => issuer.dispose());

  const session = async () => {
    const response = await app.request(`/api/demo-cards/${issuer.cards[0]!.document.personId}/sessions`, {
      method: 'POST',
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { sessionId: string }).sessionId;
  };
  const apdu = (id: string, body: unknown) =>
    app.request(`/api/card-sessions/${id}/apdu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('serves the app for any path it does not hold, and nothing outside the build', async () => {
    expect(await (await app.request('/')).text()).toContain('<title>wallet</title>');
    expect((await app.request('/assets/app.js')).headers.get('cache-control')).toContain('immutable');
    expect(await (await app.request('/%2e%2e/secret.txt')).text()).not.toContain('outside the build');
    expect(await (await app.request('/../secret.txt')).text()).not.toContain('outside the build');
    expect(await (await app.request('/api/config')).json()).toMatchObject({ relayUrl: 'ws://127.0.0.1:2/relay' });
  });

  it('carries APDUs to the card: SELECT of the JPKI-AP answers 9000', async () => {
    const id = await session();
    const answer = (await (await apdu(id, { apdu: '00a4040c0ad392f000260100000001' })).json()) as { response: string };
    expect(answer.response).toBe('9000');
  });

  it('refuses unknown cards, unknown or expired sessions and malformed APDUs with their codes', async () => {
    expect((await app.request('/api/demo-cards/P9999999/sessions', { method: 'POST' })).status).toBe(404);
    expect(await (await apdu('no-such-session', { apdu: '00a4040c' })).json()).toMatchObject({
      error: { code: 'ERR_CARD_SESSION' },
    });
    const id = await session();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.jsonValue(), fc.constant('{"apdu":"0"}'), fc.constant('{"apdu":"zz00aa11"}')),
        async (body) => {
          const response = await apdu(id, typeof body === 'string' ? body : { apdu: body });
          if (response.status === 200) return true;
          const error = ((await response.json()) as { error: { code: string } }).error;
          // Not JSON at all is the guard's ERR_VALIDATION; JSON without a good APDU is the reader's ERR_APDU.
          return response.status === 400 && ['ERR_APDU', 'ERR_VALIDATION'].includes(error.code);
        },
      ),
      { numRuns: 100 },
    );
    clock = new Date(clock.getTime() + 301_000);
    expect(await (await apdu(id, { apdu: '00a4040c' })).json()).toMatchObject({ error: { code: 'ERR_CARD_SESSION' } });
    clock = new Date();
  });
});

describe("the web wallet host's proxy and the services' edge", () => {
  const seen: { forwardedFor: string | undefined; bytes: number }[] = [];
  const upstream = createServer((request, response) => {
    let bytes = 0;
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      seen.push({ forwardedFor: request.headers['x-forwarded-for'] as string | undefined, bytes });
      response.end('{}');
    });
  });
  let proxy: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    await new Promise<void>((ready) => upstream.listen(0, '127.0.0.1', ready));
    const app = createWalletWebApp({
      staticDir: mkdtempSync(join(tmpdir(), 'openmyna-proxy-')),
      config: { issuerUrl: 'http://127.0.0.1:1', readerCa: 'AA==', relayUrl: 'ws://127.0.0.1:2/relay' },
      reader: { cards: [], open: () => Promise.reject(new Error('no cards')) },
      clock: () => new Date(),
      upstreams: { issuer: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
    });
    proxy = await listen('127.0.0.1', 0);
    proxy.setHandler((request, env) => app.fetch(request, env));
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((done) => upstream.close(() => done()));
  });

  it('names the client it saw in X-Forwarded-For, never what the client wrote there', async () => {
    const response = await fetch(`${proxy.url}/issuer/provisioning/sessions`, {
      method: 'POST',
      headers: { 'x-forwarded-for': '198.51.100.7', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(200);
    expect(seen.at(-1)).toEqual({ forwardedFor: '127.0.0.1', bytes: 2 });
  });

  it('refuses a body over 1 MiB with 413 and passes none of it on', async () => {
    const before = seen.length;
    const response = await fetch(`${proxy.url}/issuer/provisioning/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(2 * 1024 * 1024),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ERR_BODY_TOO_LARGE');
    expect(seen.length).toBe(before);
  });

  it('gives the services the client a trusted proxy names, and the peer otherwise', async () => {
    for (const [trusted, expected] of [
      [['127.0.0.1'], '198.51.100.7'],
      [[], '127.0.0.1'],
    ] as const) {
      const edge = await listen('127.0.0.1', 0, undefined, undefined, trusted);
      edge.setHandler((_request, env) => Response.json((env as { clientAddress?: string }).clientAddress));
      try {
        const response = await fetch(edge.url, { headers: { 'x-forwarded-for': '203.0.113.1, 198.51.100.7' } });
        expect(await response.json()).toBe(expected);
      } finally {
        await edge.close();
      }
    }
  });
});

describe('the services’ edge under clients that misbehave', () => {
  it('survives clients that abort mid-body or send garbage', async () => {
    const edge = await listen('127.0.0.1', 0);
    edge.setHandler(async (request) => Response.json({ bytes: (await request.arrayBuffer()).byteLength }));
    const { port } = new URL(edge.url);
    try {
      for (let i = 0; i < 5; i++)
        await new Promise<void>((done) => {
          const socket = connect(Number(port), '127.0.0.1', () => {
            socket.write(
              'POST /x HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"a":',
            );
            setTimeout(() => (socket.destroy(), done()), 30);
          });
          socket.on('error', () => done());
        });
      const garbage = await new Promise<string>((done) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write('\x00\x01 NOT HTTP\r\n\r\n'));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
        socket.on('close', () => done(answer));
        socket.on('error', () => done(answer));
      });
      expect(garbage).toMatch(/^HTTP\/1\.1 400/);
      // Still serving.
      const response = await fetch(`${edge.url}/x`, { method: 'POST', body: '{}' });
      expect(await response.json()).toEqual({ bytes: 2 });
    } finally {
      await edge.close();
    }
  });
});
