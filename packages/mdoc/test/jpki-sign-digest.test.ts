import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { base64UrlEncode } from '@openmyna/core';
import {
  createRequestObject,
  encodeTransactionData,
  jpkiSignDocumentFor,
  jpkiSignEntryFor,
  verifyRequestObject,
  type AuthorizationRequest,
  type ReaderKey,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import {
  allCardFaceElements,
  makeMdocHierarchy,
  makeReader,
  NOW,
  type MdocHierarchy,
} from '../../../test-support/mdoc-fixtures.js';

const DIGEST_INFO_PREFIX = Uint8Array.from(Buffer.from('3031300d060960864801650304020105000420', 'hex'));
const DIGEST = Uint8Array.from({ length: 32 }, (_, index) => index);
const DIGEST_INFO = new Uint8Array([...DIGEST_INFO_PREFIX, ...DIGEST]);

const request = (transactionData: readonly string[], login = true): AuthorizationRequest => ({
  client_id: 'x509_hash:abc',
  response_type: 'vp_token',
  response_mode: 'direct_post',
  response_uri: 'https://rp.example/post',
  nonce: 'n'.repeat(20),
  dcql_query: {
    credentials: [
      { id: 'sign', format: 'jpki_sign' },
      ...(login ? [{ id: 'login', format: 'jpki_auth' as const }] : []),
    ],
  },
  transaction_data: transactionData,
});
const digestEntry = (fields: Record<string, unknown> = {}) =>
  encodeTransactionData({
    type: 'jpki_sign_digest',
    credential_ids: ['sign'],
    digest: base64UrlEncode(DIGEST),
    digest_info: false,
    document_title: '証券総合口座 開設申込書',
    ...fields,
  });
const documentEntry = () =>
  encodeTransactionData({
    type: 'jpki_sign_document',
    credential_ids: ['sign'],
    document: base64UrlEncode(new TextEncoder().encode('申込書')),
    document_title: '申込書',
    document_media_type: 'text/plain',
  });

describe('jpki_sign_digest: a signature over the relying party’s digest', () => {
  it('reads a plain SHA-256 digest and a SHA-256 DigestInfo, exactly as given', () => {
    expect(jpkiSignEntryFor(request([digestEntry()]), 'sign')).toEqual({
      kind: 'digest',
      bytes: DIGEST,
      digestInfo: false,
      title: '証券総合口座 開設申込書',
    });
    const info = jpkiSignEntryFor(
      request([digestEntry({ digest: base64UrlEncode(DIGEST_INFO), digest_info: true })]),
      'sign',
    );
    expect(info).toMatchObject({ kind: 'digest', bytes: DIGEST_INFO, digestInfo: true });
    expect(jpkiSignEntryFor(request([documentEntry()]), 'sign')).toMatchObject({
      kind: 'document',
      title: '申込書',
      mediaType: 'text/plain',
    });
  });

  it('keeps jpkiSignDocumentFor for documents and refuses a digest entry there by name', () => {
    expect(() => jpkiSignDocumentFor(request([digestEntry()]), 'sign')).toThrow(/not over a document/);
    expect(() => jpkiSignEntryFor(request([digestEntry(), documentEntry()]), 'sign')).toThrow(/exactly one/);
    expect(() => jpkiSignDocumentFor(request([digestEntry(), documentEntry()]), 'sign')).toThrow(/exactly one/);
  });

  it.each([
    ['31 bytes', { digest: base64UrlEncode(DIGEST.subarray(1)) }, /32 bytes/],
    ['33 bytes', { digest: base64UrlEncode(new Uint8Array(33)) }, /32 bytes/],
    ['a DigestInfo without digest_info', { digest: base64UrlEncode(DIGEST_INFO) }, /32 bytes/],
    ['digest_info over a bare digest', { digest_info: true }, /DigestInfo/],
    [
      'a SHA-1 DigestInfo',
      {
        digest_info: true,
        digest: Buffer.from(`3021300906052b0e03021a05000414${'00'.repeat(20)}`, 'hex').toString('base64url'),
      },
      /DigestInfo/,
    ],
    [
      'a DigestInfo with one more byte',
      { digest_info: true, digest: base64UrlEncode(new Uint8Array([...DIGEST_INFO, 0])) },
      /DigestInfo/,
    ],
    ['digest_info as text', { digest_info: 'false' }, /digest_info/],
    ['no digest_info', { digest_info: undefined }, /digest_info/],
    ['an empty title', { document_title: '' }, /document_title/],
    ['a digest that is not base64url', { digest: 'not base64!' }, /not base64url/],
    ['a digest that is a number', { digest: 7 }, /needs digest/],
  ])('refuses %s with ERR_OPENID4VP', (_name, fields, message) => {
    let caught: unknown;
    try {
      jpkiSignEntryFor(request([digestEntry(fields)]), 'sign');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'ERR_OPENID4VP' });
    expect((caught as Error).message).toMatch(message);
  });

  it('never crashes on random digests, lengths and entries: a digest entry or ERR_OPENID4VP (property)', () => {
    const entry = fc.oneof(
      fc
        .record({
          digest: fc.oneof(fc.uint8Array({ maxLength: 80 }).map(base64UrlEncode), fc.string(), fc.integer()),
          digest_info: fc.oneof(fc.boolean(), fc.string(), fc.constant(null)),
          document_title: fc.oneof(fc.string(), fc.constant(undefined)),
        })
        .map((fields) => digestEntry(fields)),
      fc.uint8Array({ maxLength: 52 }).map((bytes) =>
        digestEntry({
          digest: base64UrlEncode(new Uint8Array([...DIGEST_INFO_PREFIX.subarray(0, 19), ...bytes])),
          digest_info: true,
        }),
      ),
      fc.json().map((json) => base64UrlEncode(new TextEncoder().encode(json))),
      fc.string(),
    );
    fc.assert(
      fc.property(entry, (transactionData) => {
        try {
          const found = jpkiSignEntryFor(request([transactionData]), 'sign');
          if (found.kind !== 'digest') return false;
          return found.digestInfo
            ? found.bytes.length === 51 && DIGEST_INFO_PREFIX.every((byte, index) => found.bytes[index] === byte)
            : found.bytes.length === 32;
        } catch (error) {
          return (error as { code?: string }).code === 'ERR_OPENID4VP';
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the wallet’s request check of a jpki_sign_digest request', () => {
  let hierarchy: MdocHierarchy;
  let reader: ReaderKey;
  beforeAll(async () => {
    hierarchy = await makeMdocHierarchy(nodeMdocCrypto);
    reader = await makeReader(hierarchy, 'デモ証券', allCardFaceElements());
  });

  const check = async (login: boolean) => {
    const { client_id: _clientId, ...fields } = request([digestEntry()], login);
    const { jwt } = await createRequestObject({ request: fields, reader, crypto: nodeMdocCrypto, now: NOW });
    return verifyRequestObject({ jwt, readerAnchors: [hierarchy.readerCa.anchor], time: NOW, crypto: nodeMdocCrypto });
  };

  it('accepts it beside a jpki_auth query, and refuses it without one (request.parameters)', async () => {
    expect((await check(true)).verified).toBeDefined();
    const refused = await check(false);
    expect(refused.verified).toBeUndefined();
    expect(refused.checks.at(-1)).toMatchObject({ check: 'request.parameters', status: 'fail' });
    expect(refused.checks.at(-1)?.reason).toMatch(/needs a jpki_auth query/);
  });
});
