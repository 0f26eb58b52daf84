import { CoreError } from '@openmyna/core';
import {
  ecPublicKeyFromJwk,
  jpkiSignDocumentFor,
  MdocError,
  readAuthorizationResponse,
  type AuthorizationRequest,
} from '@openmyna/mdoc';
import { describe, expect, it } from 'vitest';

import { coseVerificationProblem } from './internal.js';

// Regression (issue 22): a bad base64url field was reported as ERR_COSE_KEY, and a COSE verification
// that threw was turned into a bare false, losing its code.

const signRequest = (document: string): AuthorizationRequest => ({
  client_id: 'x509_hash:abc',
  response_type: 'vp_token',
  response_mode: 'direct_post',
  response_uri: 'https://rp.example/post',
  nonce: 'n'.repeat(20),
  dcql_query: { credentials: [{ id: 'sign', format: 'jpki_sign' }] },
  transaction_data: [
    Buffer.from(
      JSON.stringify({
        type: 'jpki_sign_document',
        credential_ids: ['sign'],
        document,
        document_title: '申込書',
        document_media_type: 'text/plain',
      }),
    ).toString('base64url'),
  ],
});

describe('errors keep their own codes', () => {
  it.each(['a', 'ab+/', 'YQ==', 'YR'])(
    'a jpki_sign_document "document" of %j is ERR_OPENID4VP, not ERR_COSE_KEY',
    (document) => {
      expect(() => jpkiSignDocumentFor(signRequest(document), 'sign')).toThrow(/"document" is not base64url/);
      expect(() => jpkiSignDocumentFor(signRequest(document), 'sign')).toThrow(
        expect.objectContaining({ code: 'ERR_OPENID4VP' }),
      );
    },
  );

  it('a vp_token entry that is not base64url is ERR_OPENID4VP', async () => {
    for (const entry of ['a', 'ab+/', 'YR']) {
      await expect(
        readAuthorizationResponse({
          form: { vp_token: JSON.stringify({ card: [entry] }) },
          responseMode: 'direct_post',
        }),
      ).rejects.toMatchObject({ code: 'ERR_OPENID4VP', message: 'a vp_token entry is not base64url' });
    }
  });

  it('a JWK whose coordinates are not base64url is ERR_COSE_KEY, with the base64 error as its cause', () => {
    let thrown: unknown;
    try {
      ecPublicKeyFromJwk({ kty: 'EC', crv: 'P-256', x: 'a', y: 'a' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MdocError);
    expect(thrown).toMatchObject({ code: 'ERR_COSE_KEY' });
    expect((thrown as MdocError).cause).toMatchObject({ code: 'ERR_BASE64' });
  });

  it('a COSE verification that throws fails its check and names the error code', async () => {
    expect(await coseVerificationProblem(Promise.resolve(true), 'no')).toBeUndefined();
    expect(await coseVerificationProblem(Promise.resolve(false), 'no')).toBe('no');
    const thrown = Promise.reject(new MdocError('ERR_COSE_SIGNATURE', 'the signature is 63 bytes'));
    expect(await coseVerificationProblem(thrown, 'no')).toBe('no (ERR_COSE_SIGNATURE)');
    expect(await coseVerificationProblem(Promise.reject(new CoreError('ERR_BASE64', 'x')), 'no')).toBe(
      'no (ERR_BASE64)',
    );
    expect(await coseVerificationProblem(Promise.reject(new Error('secret detail')), 'no')).toBe(
      'no (verification failed)',
    );
  });
});
