import { exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  authorizationRequestUri,
  createAuthorizationResponse,
  createDeviceResponse,
  createRequestObject,
  dcqlItemsRequest,
  dcqlQueryFor,
  evaluateItemsRequest,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  parseAuthorizationRequestUri,
  parseDcqlQuery,
  readAuthorizationResponse,
  sessionTranscriptForRequest,
  verifyDeviceResponse,
  verifyRequestObject,
  type AuthorizationRequest,
  type ReaderKey,
  type ResponseMode,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import {
  allCardFaceElements,
  days,
  issueCardFaceMdoc,
  makeMdocHierarchy,
  makeReader,
  NOW,
  type MdocHierarchy,
} from '../../../test-support/mdoc-fixtures.js';

const crypto = nodeMdocCrypto;
let hierarchy: MdocHierarchy;
let securities: ReaderKey;
let shop: ReaderKey;
beforeAll(async () => {
  hierarchy = await makeMdocHierarchy(crypto);
  securities = await makeReader(hierarchy, 'デモ証券', allCardFaceElements());
  shop = await makeReader(
    hierarchy,
    'Demo shop',
    allCardFaceElements().filter((e) => e.elementIdentifier !== 'individual_number_unicode'),
  );
});

const QUERY = dcqlQueryFor('card', MNC_DOCTYPE, [
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode', intentToRetain: true },
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'individual_number_unicode', intentToRetain: true },
  { nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' },
]);

async function rpRequest(reader: ReaderKey, responseMode: ResponseMode, overrides: Partial<AuthorizationRequest> = {}) {
  const encryption = await generateKeyPair('ECDH-ES', { crv: 'P-256' });
  const jwk = { ...(await exportJWK(encryption.publicKey)), kid: 'enc-1', use: 'enc', alg: 'ECDH-ES' };
  const { jwt, clientId } = await createRequestObject({
    request: {
      response_type: 'vp_token',
      response_mode: responseMode,
      response_uri: 'https://rp.example/openid4vp/response',
      nonce: 'n-0S6_WzA2Mj-very-random',
      state: 'st-4711',
      dcql_query: QUERY,
      client_metadata: {
        jwks: { keys: [jwk] },
        encrypted_response_enc_values_supported: ['A128GCM'],
        purpose: '口座開設の本人確認',
      },
      ...overrides,
    },
    reader,
    crypto,
    now: NOW,
  });
  return { jwt, clientId, decryptionKey: encryption.privateKey };
}

/** The wallet: verify the request, apply the policy, answer with exactly what may be released. */
async function wallet(jwt: string, expectedClientId: string) {
  const { checks, verified } = await verifyRequestObject({
    jwt,
    readerAnchors: [hierarchy.readerCa.anchor],
    time: NOW,
    crypto,
    expectedClientId,
  });
  if (!verified) return { checks };
  const { decoded, deviceKey } = await issueCardFaceMdoc(hierarchy);
  const query = parseDcqlQuery(verified.request.dcql_query);
  const itemsRequest = dcqlItemsRequest(query.credentials[0]!);
  const available = new Map(
    [...decoded.issuerSigned.nameSpaces].map(([ns, items]) => [ns, new Set(items.map((i) => i.elementIdentifier))]),
  );
  const evaluation = evaluateItemsRequest({
    itemsRequest,
    reader: verified.reader,
    available,
    availableDocType: MNC_DOCTYPE,
  });
  const release = new Map<string, Set<string>>();
  for (const e of evaluation.releasable)
    release.set(e.nameSpace, (release.get(e.nameSpace) ?? new Set()).add(e.elementIdentifier));
  const sessionTranscript = await sessionTranscriptForRequest(verified.request, crypto);
  const response = await createDeviceResponse({
    issued: decoded,
    release,
    sessionTranscript,
    deviceKey,
    mode: { type: 'signature' },
    crypto,
  });
  const form = await createAuthorizationResponse({ request: verified.request, presentations: { card: [response] } });
  return { checks, evaluation, form, request: verified.request };
}

describe('OpenID4VP 1.0 with mso_mdoc', () => {
  it.each<ResponseMode>(['direct_post', 'direct_post.jwt'])(
    'presents the card face online by %s and the verifier accepts it',
    async (mode) => {
      const { jwt, clientId, decryptionKey } = await rpRequest(securities, mode);
      expect(clientId).toMatch(/^x509_hash:[A-Za-z0-9_-]{43}$/);
      const link = authorizationRequestUri({ clientId, requestUri: 'https://rp.example/request/abc' });
      expect(parseAuthorizationRequestUri(link)).toEqual({ clientId, requestUri: 'https://rp.example/request/abc' });

      const answered = await wallet(jwt, clientId);
      expect(answered.checks.map((c) => c.status)).not.toContain('fail');
      expect(answered.evaluation!.refused).toEqual([]);
      if (mode === 'direct_post.jwt') {
        expect(Object.keys(answered.form!)).toEqual(['response']);
        expect(answered.form!['response']!.split('.')).toHaveLength(5);
      }

      // The verifier's side: decrypt, rebuild the transcript from its own request, verify.
      const presentations = await readAuthorizationResponse({
        form: answered.form!,
        responseMode: mode,
        expectedState: 'st-4711',
        decryptionKey,
      });
      const result = await verifyDeviceResponse({
        response: presentations['card']![0]!,
        sessionTranscript: await sessionTranscriptForRequest(answered.request!, crypto),
        issuerAnchors: [hierarchy.iaca.anchor],
        time: NOW,
        crypto,
        docType: MNC_DOCTYPE,
        request: dcqlItemsRequest(QUERY.credentials[0]!),
        authorizedElements: allCardFaceElements(),
      });
      expect(result.summary.status).toBe('valid');
      expect(result.documents[0]!.elements.get(JP_NAMESPACE)!.get('individual_number_unicode')).toMatch(/^\d{12}$/);
    },
  );

  it('withholds the My Number from a requester not authorized for it, and says so', async () => {
    const { jwt, clientId } = await rpRequest(shop, 'direct_post');
    const answered = await wallet(jwt, clientId);
    expect(answered.evaluation!.refused).toEqual([
      {
        nameSpace: JP_NAMESPACE,
        elementIdentifier: 'individual_number_unicode',
        intentToRetain: true,
        reason: 'reader-not-authorized-for-my-number',
      },
    ]);
    expect(answered.form!['vp_token']).not.toMatch(/individual_number/);
  });

  it('binds the presentation to the request: another nonce or response_uri fails device authentication', async () => {
    const { jwt, clientId } = await rpRequest(securities, 'direct_post');
    const answered = await wallet(jwt, clientId);
    const presentations = await readAuthorizationResponse({
      form: answered.form!,
      responseMode: 'direct_post',
      expectedState: 'st-4711',
    });
    for (const changed of [{ nonce: 'another-nonce-0123456789' }, { response_uri: 'https://attacker.example/post' }]) {
      const result = await verifyDeviceResponse({
        response: presentations['card']![0]!,
        sessionTranscript: await sessionTranscriptForRequest({ ...answered.request!, ...changed }, crypto),
        issuerAnchors: [hierarchy.iaca.anchor],
        time: NOW,
        crypto,
        docType: MNC_DOCTYPE,
      });
      expect(result.summary.decidedBy?.check).toBe('device.authentication');
    }
    await expect(
      readAuthorizationResponse({ form: answered.form!, responseMode: 'direct_post', expectedState: 'other' }),
    ).rejects.toMatchObject({ code: 'ERR_OPENID4VP' });
  });

  it.each<[string, () => Promise<{ jwt: string; expected?: string }>, string]>([
    [
      'a flipped signature byte',
      async () => {
        const { jwt } = await rpRequest(securities, 'direct_post');
        return { jwt: jwt.slice(0, -2) + (jwt.at(-2) === 'A' ? 'B' : 'A') + jwt.at(-1)! };
      },
      'request.signature',
    ],
    [
      'a reader outside the reader CA',
      async () => {
        const stranger = await makeReader(await makeMdocHierarchy(crypto), 'stranger', allCardFaceElements());
        return { jwt: (await rpRequest(stranger, 'direct_post')).jwt };
      },
      'request.chain.anchor',
    ],
    [
      'a link whose client_id is another requester',
      async () => {
        const { jwt } = await rpRequest(securities, 'direct_post');
        return { jwt, expected: (await rpRequest(shop, 'direct_post')).clientId };
      },
      'request.client-id',
    ],
    [
      'a plain-http response_uri',
      async () => ({
        jwt: (await rpRequest(securities, 'direct_post', { response_uri: 'http://rp.example/post' })).jwt,
      }),
      'request.parameters',
    ],
    [
      'a short nonce',
      async () => ({ jwt: (await rpRequest(securities, 'direct_post', { nonce: 'abc' })).jwt }),
      'request.parameters',
    ],
    [
      'a DCQL query for another format',
      async () => ({
        jwt: (
          await rpRequest(securities, 'direct_post', {
            dcql_query: { credentials: [{ id: 'x', format: 'dc+sd-jwt', meta: { doctype_value: 'x' } }] } as never,
          })
        ).jwt,
      }),
      'request.parameters',
    ],
    [
      'direct_post.jwt without an encryption key',
      async () => ({ jwt: (await rpRequest(securities, 'direct_post.jwt', { client_metadata: {} })).jwt }),
      'request.parameters',
    ],
    ['not a JWT', () => Promise.resolve({ jwt: 'not-a-jwt' }), 'request.decode'],
  ])('refuses a request object with %s', async (_name, build, check) => {
    const { jwt, expected } = await build();
    const { checks, verified } = await verifyRequestObject({
      jwt,
      readerAnchors: [hierarchy.readerCa.anchor],
      time: NOW,
      crypto,
      ...(expected ? { expectedClientId: expected } : {}),
    });
    expect(verified).toBeUndefined();
    expect(checks.find((c) => c.status === 'fail')?.check).toBe(check);
  });

  it('refuses an expired request object', async () => {
    const { jwt } = await rpRequest(securities, 'direct_post');
    const { checks } = await verifyRequestObject({
      jwt,
      readerAnchors: [hierarchy.readerCa.anchor],
      time: days(1),
      crypto,
    });
    expect(checks.at(-1)).toMatchObject({ check: 'request.validity', status: 'fail' });
  });

  it('rejects malformed DCQL', () => {
    for (const bad of [
      null,
      {},
      { credentials: [] },
      { credentials: [{ id: 'a b', format: 'mso_mdoc', meta: { doctype_value: 'x' } }] },
      {
        credentials: [{ id: 'a', format: 'mso_mdoc', meta: { doctype_value: 'x' }, claims: [{ path: ['only-one'] }] }],
      },
    ]) {
      expect(() => parseDcqlQuery(bad)).toThrow(expect.objectContaining({ code: 'ERR_OPENID4VP' }) as Error);
    }
  });
});
