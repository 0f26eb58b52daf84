import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createDeviceResponse,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  openId4VpSessionTranscript,
  signStatusListToken,
  StatusList,
  statusListChecker,
  TOKEN_STATUS,
  verifyDeviceResponse,
  verifyStatusListToken,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import {
  days,
  issueCardFaceMdoc,
  makeMdocHierarchy,
  NOW,
  type MdocHierarchy,
} from '../../../test-support/mdoc-fixtures.js';

const crypto = nodeMdocCrypto;

describe('StatusList bit layout (draft-ietf-oauth-status-list §4.1)', () => {
  it('matches the 1-bit example: statuses 1,0,0,1,1,1,0,1,1,1,0,0,0,1,0,1 → B9 A3', () => {
    const list = new StatusList(1, 16);
    [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1].forEach((status, index) => list.set(index, status));
    expect(Buffer.from(list.bytes).toString('hex')).toBe('b9a3');
  });

  it('matches the 2-bit example: 1,2,0,3,0,1,0,1,1,2,3,3 → C9 44 F9', () => {
    const list = new StatusList(2, 12);
    [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3].forEach((status, index) => list.set(index, status));
    expect(Buffer.from(list.bytes).toString('hex')).toBe('c944f9');
  });

  it('reads back what was set, for every width, without disturbing neighbours', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8),
        fc.array(fc.tuple(fc.nat(199), fc.nat(255)), { maxLength: 60 }),
        (bits, writes) => {
          const width = bits;
          const list = new StatusList(width, 200);
          const model = new Array<number>(200).fill(0);
          for (const [index, raw] of writes) {
            const value = raw % (1 << width);
            list.set(index, value);
            model[index] = value;
          }
          expect(Array.from({ length: 200 }, (_, i) => list.get(i))).toEqual(model);
        },
      ),
    );
  });

  it('refuses indices outside the list and values wider than the bits', () => {
    const list = new StatusList(1, 8);
    expect(() => list.get(8)).toThrow(expect.objectContaining({ code: 'ERR_MDOC_ELEMENT' }) as Error);
    expect(() => list.set(0, 2)).toThrow(expect.objectContaining({ code: 'ERR_MDOC_ELEMENT' }) as Error);
  });
});

describe('revocation through a Status List Token served over HTTP', () => {
  let hierarchy: MdocHierarchy;
  let other: MdocHierarchy;
  let server: Server;
  let uri: string;
  const list = new StatusList(2, 1024);
  let token: Uint8Array;
  let clock = NOW;
  const publish = async (signer = hierarchy, subject = uri) => {
    token = await signStatusListToken({
      list,
      uri: subject,
      issuedAt: clock,
      expiresAt: new Date(clock.getTime() + 86_400_000),
      ttl: 60,
      signer: signer.documentSigner,
    });
  };

  beforeAll(async () => {
    hierarchy = await makeMdocHierarchy(crypto);
    other = await makeMdocHierarchy(crypto);
    server = createServer((request, response) => {
      if (request.url === '/status/1')
        response.writeHead(200, { 'content-type': 'application/statuslist+cwt' }).end(token);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status/1`;
    await publish();
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const present = async (idx: number, statusUri = uri) => {
    const { decoded, deviceKey } = await issueCardFaceMdoc(hierarchy, { status: { idx, uri: statusUri } });
    const sessionTranscript = await openId4VpSessionTranscript(
      { clientId: 'x509_san_dns:rp', nonce: String(idx), responseUri: 'https://rp/post', jwkThumbprint: null },
      crypto,
    );
    const response = await createDeviceResponse({
      issued: decoded,
      release: new Map([[JP_NAMESPACE, new Set(['full_name_unicode'])]]),
      sessionTranscript,
      deviceKey,
      mode: { type: 'signature' },
      crypto,
    });
    return { response, sessionTranscript };
  };
  const checker = () =>
    statusListChecker({
      fetch: (url, init) => fetch(url, init),
      anchors: [hierarchy.iaca.anchor],
      crypto,
      clock: () => clock,
    });
  const verify = async (idx: number, status = checker(), statusUri = uri) => {
    const { response, sessionTranscript } = await present(idx, statusUri);
    return verifyDeviceResponse({
      response,
      sessionTranscript,
      issuerAnchors: [hierarchy.iaca.anchor],
      time: clock,
      crypto,
      docType: MNC_DOCTYPE,
      status,
    });
  };

  it('verifies the token and its checks', async () => {
    const result = await verifyStatusListToken({ token, uri, anchors: [hierarchy.iaca.anchor], time: NOW, crypto });
    expect(result.checks.every((check) => check.status !== 'fail')).toBe(true);
    expect(result.statusList?.list.size).toBe(1024);
    expect(result.statusList?.ttl).toBe(60);
  });

  it('answers valid, then revoked once the cache expires, and suspended', async () => {
    const status = checker();
    expect((await verify(7, status)).summary.status).toBe('valid');
    list.set(7, TOKEN_STATUS.invalid);
    list.set(8, TOKEN_STATUS.suspended);
    await publish();
    // Within the token's ttl the cached list still answers.
    expect((await verify(7, status)).summary.status).toBe('valid');
    clock = days(0.001);
    const revoked = await verify(7, status);
    expect(revoked.summary.decidedBy).toMatchObject({
      check: 'status.revocation',
      status: 'fail',
      reason: 'the credential is revoked',
    });
    const suspended = await verify(8, status);
    expect(suspended.summary.decidedBy).toMatchObject({
      check: 'status.revocation',
      reason: 'the credential is suspended',
    });
    clock = NOW;
    list.set(7, 0);
    list.set(8, 0);
    await publish();
  });

  it('is status unknown — not valid, not revoked — when the list cannot be fetched or trusted', async () => {
    const unreachable = await verify(1, checker(), 'http://127.0.0.1:9/status/1');
    expect(unreachable.summary.status).toBe('status-unknown');
    const missing = await verify(1, checker(), `${uri}/missing`);
    expect(missing.summary.status).toBe('status-unknown');
    await publish(other);
    const untrusted = await verify(1, checker());
    expect(untrusted.summary).toMatchObject({ status: 'status-unknown', decidedBy: { check: 'status.revocation' } });
    expect(untrusted.summary.decidedBy?.reason).toMatch(/status-list.chain.anchor/);
    await publish(hierarchy, 'https://elsewhere.example/status/1');
    const misdirected = await verifyStatusListToken({
      token,
      uri,
      anchors: [hierarchy.iaca.anchor],
      time: NOW,
      crypto,
    });
    expect(misdirected.checks.at(-1)).toMatchObject({ check: 'status-list.subject', status: 'fail' });
    const index = await verify(5000);
    expect(index.summary.status).toBe('status-unknown');
    await publish();
  });

  it('refuses an expired token', async () => {
    const result = await verifyStatusListToken({ token, uri, anchors: [hierarchy.iaca.anchor], time: days(2), crypto });
    expect(result.checks.at(-1)).toMatchObject({ check: 'status-list.validity', status: 'fail' });
  });
});
