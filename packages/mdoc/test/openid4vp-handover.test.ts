import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';

import { openId4VpDcApiSessionTranscript, openId4VpSessionTranscript, webMdocCrypto } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import { readVectorJson } from '../../../test-support/test-vectors.js';

interface Examples {
  jwkThumbprintInput: string;
  jwkThumbprintSha256: string;
  redirect: { inputs: Record<string, string>; SessionTranscript: string };
  dcApi: { inputs: Record<string, string>; SessionTranscript: string };
}
const examples = readVectorJson<Examples>('openid4vp/handover-examples.json');

describe.each([
  ['node', nodeMdocCrypto],
  ['web', webMdocCrypto],
])('OpenID4VP 1.0 Appendix B.2.6 handovers (%s)', (_name, crypto) => {
  it('reproduces the JWK thumbprint', async () => {
    const digest = await crypto.digest('SHA-256', new TextEncoder().encode(examples.jwkThumbprintInput));
    expect(bytesToHex(digest)).toBe(examples.jwkThumbprintSha256);
  });

  it('reproduces the redirect SessionTranscript byte for byte', async () => {
    const { inputs } = examples.redirect;
    const transcript = await openId4VpSessionTranscript(
      {
        clientId: inputs['client_id']!,
        nonce: inputs['nonce']!,
        jwkThumbprint: hexToBytes(inputs['jwkThumbprint']!),
        responseUri: inputs['response_uri']!,
      },
      crypto,
    );
    expect(bytesToHex(transcript.bytes)).toBe(examples.redirect.SessionTranscript);
  });

  it('reproduces the DC API SessionTranscript byte for byte', async () => {
    const { inputs } = examples.dcApi;
    const transcript = await openId4VpDcApiSessionTranscript(
      { origin: inputs['origin']!, nonce: inputs['nonce']!, jwkThumbprint: hexToBytes(inputs['jwkThumbprint']!) },
      crypto,
    );
    expect(bytesToHex(transcript.bytes)).toBe(examples.dcApi.SessionTranscript);
  });
});
