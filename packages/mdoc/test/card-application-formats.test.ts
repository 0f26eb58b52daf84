import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  dcqlItemsRequest,
  decodeTransactionData,
  encodeTransactionData,
  jpkiSignDocumentFor,
  parseDcqlQuery,
  type AuthorizationRequest,
} from '@openmyna/mdoc';
import { base64UrlEncode } from '@openmyna/core';

const request = (overrides: Partial<AuthorizationRequest>): AuthorizationRequest => ({
  client_id: 'x509_hash:abc',
  response_type: 'vp_token',
  response_mode: 'direct_post',
  response_uri: 'https://rp.example/post',
  nonce: 'n'.repeat(20),
  dcql_query: { credentials: [{ id: 'sign', format: 'jpki_sign' }] },
  ...overrides,
});
const documentEntry = (fields: Record<string, unknown> = {}) =>
  encodeTransactionData({
    type: 'jpki_sign_document',
    credential_ids: ['sign'],
    document: base64UrlEncode(new TextEncoder().encode('申込書')),
    document_title: '申込書',
    document_media_type: 'text/plain',
    ...fields,
  });

describe('DCQL for the card applications (jpki_sign, jpki_auth, jp_kenhojo)', () => {
  it('parses our formats beside mso_mdoc', () => {
    const query = parseDcqlQuery({
      credentials: [
        { id: 'sign', format: 'jpki_sign' },
        { id: 'kenhojo', format: 'jp_kenhojo', meta: { records: ['my_number', 'basic_four_info'] } },
        { id: 'login', format: 'jpki_auth' },
      ],
    });
    expect(query.credentials.map((credential) => credential.format)).toEqual(['jpki_sign', 'jp_kenhojo', 'jpki_auth']);
    expect(() => dcqlItemsRequest(query.credentials[0]!)).toThrow(/not an mso_mdoc/);
  });

  it.each([
    [{ id: 'k', format: 'jp_kenhojo' }, /meta.records/],
    [{ id: 'k', format: 'jp_kenhojo', meta: { records: ['photo'] } }, /meta.records/],
    [{ id: 'k', format: 'jp_kenhojo', meta: { records: ['my_number', 'my_number'] } }, /each once/],
    [{ id: 's', format: 'jpki_sign', meta: { records: ['my_number'] } }, /takes no "meta"/],
    [{ id: 's', format: 'jpki_sign', meta: [] }, /must be an object/],
  ])('refuses %j', (credential, message) => {
    expect(() => parseDcqlQuery({ credentials: [credential] })).toThrow(message);
  });

  it('finds the document of a jpki_sign query in transaction_data, and refuses what is not one', () => {
    const found = jpkiSignDocumentFor(request({ transaction_data: [documentEntry()] }), 'sign');
    expect(new TextDecoder().decode(found.bytes)).toBe('申込書');
    expect(() => jpkiSignDocumentFor(request({}), 'sign')).toThrow(/exactly one/);
    expect(() =>
      jpkiSignDocumentFor(request({ transaction_data: [documentEntry(), documentEntry()] }), 'sign'),
    ).toThrow(/exactly one/);
    expect(() =>
      jpkiSignDocumentFor(request({ transaction_data: [documentEntry({ document_title: '' })] }), 'sign'),
    ).toThrow(/document_title/);
    expect(() =>
      jpkiSignDocumentFor(
        request({ transaction_data: [documentEntry({ document: base64UrlEncode(new Uint8Array(70_000)) })] }),
        'sign',
      ),
    ).toThrow(/64 KiB/);
  });

  it('refuses any malformed transaction_data entry with ERR_OPENID4VP (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String()), (entry) => {
        try {
          const decoded = decodeTransactionData(entry);
          return typeof decoded.type === 'string' && Array.isArray(decoded.credential_ids);
        } catch (error) {
          return (error as { code?: string }).code === 'ERR_OPENID4VP';
        }
      }),
      { numRuns: 300 },
    );
  });
});
