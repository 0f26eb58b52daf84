import { beforeAll, describe, expect, it } from 'vitest';

import { base64UrlEncode } from '@openmyna/core';
import {
  createRequestObject,
  encodeTransactionData,
  verifyRequestObject,
  type VerifiedAuthorizationRequest,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import { allCardFaceElements, makeMdocHierarchy, makeReader, NOW } from '../../../test-support/mdoc-fixtures.js';
import { consentForRequest, consentLogEntry, digestHex } from '@openmyna/wallet';

const HASH = Uint8Array.from({ length: 32 }, (_, index) => 0xa0 + index);
const DIGEST_INFO = new Uint8Array([
  ...Uint8Array.from(Buffer.from('3031300d060960864801650304020105000420', 'hex')),
  ...HASH,
]);

describe('the consent view of a jpki_sign_digest request', () => {
  let verified: VerifiedAuthorizationRequest;
  beforeAll(async () => {
    const hierarchy = await makeMdocHierarchy(nodeMdocCrypto);
    const reader = await makeReader(hierarchy, 'デモ証券', allCardFaceElements());
    const { jwt } = await createRequestObject({
      request: {
        response_type: 'vp_token',
        response_mode: 'direct_post',
        response_uri: 'https://rp.example/post',
        nonce: 'n'.repeat(24),
        dcql_query: {
          credentials: [
            { id: 'sign', format: 'jpki_sign' },
            { id: 'login', format: 'jpki_auth' },
          ],
        },
        transaction_data: [
          encodeTransactionData({
            type: 'jpki_sign_digest',
            credential_ids: ['sign'],
            digest: base64UrlEncode(DIGEST_INFO),
            digest_info: true,
            document_title: '証券総合口座 開設申込書',
          }),
        ],
      },
      reader,
      crypto: nodeMdocCrypto,
      now: NOW,
    });
    const result = await verifyRequestObject({
      jwt,
      readerAnchors: [hierarchy.readerCa.anchor],
      time: NOW,
      crypto: nodeMdocCrypto,
    });
    verified = result.verified!;
  });

  const view = () => consentForRequest({ ...verified, available: new Map(), hasSigningCertificate: true });

  it('shows the title and the digest instead of a document, and asks for the signing password and the PIN', () => {
    const shown = view();
    expect(shown.document).toBeUndefined();
    expect(shown.digest).toEqual({ title: '証券総合口座 開設申込書', bytes: DIGEST_INFO, digestInfo: true });
    expect(shown.items.map((item) => item.name)).toEqual(['jpki_sign', 'jpki_auth']);
    expect([...shown.secrets].sort()).toEqual(['authenticationPin', 'signingPassword']);
    expect(digestHex(shown.digest!)).toBe(
      'a0a1 a2a3 a4a5 a6a7 a8a9 aaab acad aeaf b0b1 b2b3 b4b5 b6b7 b8b9 babb bcbd bebf',
    );
  });

  it('logs the title and the items, never the digest', () => {
    const entry = consentLogEntry('presentation', view());
    expect(entry).toMatchObject({ documentTitle: '証券総合口座 開設申込書', items: ['jpki_sign', 'jpki_auth'] });
    expect(JSON.stringify(entry)).not.toMatch(/a0a1|oKGi/);
  });

  it('refuses it on a phone without a signing certificate', () => {
    expect(() => consentForRequest({ ...verified, available: new Map(), hasSigningCertificate: false })).toThrow(
      expect.objectContaining({ code: 'ERR_REQUEST_UNSUPPORTED' }),
    );
  });
});
