import 'reflect-metadata';

import {
  DeviceResponse as AnimoDeviceResponse,
  Document as AnimoDocument,
  MDoc as AnimoMDoc,
  Verifier as AnimoVerifier,
} from '@animo-id/mdoc';
import {
  Document as Auth0Document,
  DeviceResponse as Auth0DeviceResponse,
  MDoc as Auth0MDoc,
  Verifier as Auth0Verifier,
} from '@auth0/mdl';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import {
  createDeviceResponse,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  openId4VpSessionTranscript,
  verifyDeviceResponse,
  type SessionTranscript,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import { animoContext } from '../../../test-support/animo-mdoc-context.js';
import {
  days,
  issueCardFaceMdoc,
  makeMdocHierarchy,
  newKey,
  NOW,
  type MdocHierarchy,
} from '../../../test-support/mdoc-fixtures.js';

/* Peer interop (STYLE.md 13): two independent mdoc implementations check what we produce, and we check theirs. */

const crypto = nodeMdocCrypto;
const pem = (der: Uint8Array): string =>
  x509.PemConverter.encode(
    der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer,
    'CERTIFICATE',
  );

let hierarchy: MdocHierarchy;
let transcript: SessionTranscript;
beforeAll(async () => {
  // The peers read the clock themselves (new Date()): the whole file, theirs included, runs at NOW.
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  hierarchy = await makeMdocHierarchy(crypto);
  transcript = await openId4VpSessionTranscript(
    { clientId: 'x509_san_dns:rp.example', nonce: 'peer', responseUri: 'https://rp.example/post', jwkThumbprint: null },
    crypto,
  );
});
afterAll(() => {
  vi.useRealTimers();
});

const PRESENTATION_DEFINITION = {
  id: 'card-face',
  input_descriptors: [
    {
      id: MNC_DOCTYPE,
      format: { mso_mdoc: { alg: ['ES256'] } },
      constraints: {
        limit_disclosure: 'required',
        fields: [
          { path: [`$['${JP_NAMESPACE}']['full_name_unicode']`], intent_to_retain: false },
          { path: [`$['${ISO_23220_NAMESPACE}']['age_over_20']`], intent_to_retain: false },
        ],
      },
    },
  ],
};

const RELEASE = new Map([
  [JP_NAMESPACE, new Set(['full_name_unicode', 'resident_address_unicode', 'portrait'])],
  [ISO_23220_NAMESPACE, new Set(['birth_date', 'age_over_20'])],
]);

describe('peers verify our DeviceResponses', () => {
  it('@auth0/mdl accepts our response (device signature) with our IACA as its only trust anchor', async () => {
    const { decoded, deviceKey } = await issueCardFaceMdoc(hierarchy);
    const response = await createDeviceResponse({
      issued: decoded,
      release: RELEASE,
      sessionTranscript: transcript,
      deviceKey,
      mode: { type: 'signature' },
      crypto,
    });
    const checks: { status: string; check: string }[] = [];
    const verifier = new Auth0Verifier([pem(hierarchy.iaca.der)]);
    await verifier.verify(response, {
      encodedSessionTranscript: transcript.taggedBytes,
      onCheck: (check) => checks.push(check),
    });
    expect(checks.filter((check) => check.status === 'FAILED')).toEqual([]);
    expect(checks.length).toBeGreaterThan(10);
  });

  it('@auth0/mdl rejects our response when one element value is altered', async () => {
    const { decoded, deviceKey } = await issueCardFaceMdoc(hierarchy);
    const response = await createDeviceResponse({
      issued: decoded,
      release: RELEASE,
      sessionTranscript: transcript,
      deviceKey,
      mode: { type: 'signature' },
      crypto,
    });
    const altered = Buffer.from(response);
    const at = altered.indexOf(
      Buffer.from(decoded.issuerSigned.nameSpaces.get(JP_NAMESPACE)![1]!.elementValue as string),
    );
    altered.writeUInt8(altered.readUInt8(at + 3) ^ 1, at + 3);
    await expect(
      new Auth0Verifier([pem(hierarchy.iaca.der)]).verify(altered, {
        encodedSessionTranscript: transcript.taggedBytes,
      }),
    ).rejects.toThrow();
  });

  it('@animo-id/mdoc accepts our response by signature and by MAC', async () => {
    const { decoded, deviceKey } = await issueCardFaceMdoc(hierarchy);
    const signed = await createDeviceResponse({
      issued: decoded,
      release: RELEASE,
      sessionTranscript: transcript,
      deviceKey,
      mode: { type: 'signature' },
      crypto,
    });
    const verifier = new AnimoVerifier();
    const failed: string[] = [];
    const onCheck = (check: { status: string; check: string }) =>
      void (check.status === 'FAILED' && failed.push(check.check));
    await verifier.verifyDeviceResponse(
      {
        encodedDeviceResponse: signed,
        encodedSessionTranscript: transcript.taggedBytes,
        trustedCertificates: [hierarchy.iaca.der],
        onCheck,
      },
      animoContext,
    );

    const reader = await newKey(crypto);
    const maced = await createDeviceResponse({
      issued: decoded,
      release: RELEASE,
      sessionTranscript: transcript,
      deviceKey,
      mode: { type: 'mac', eReaderKey: reader.key.publicKey },
      crypto,
    });
    await verifier.verifyDeviceResponse(
      {
        encodedDeviceResponse: maced,
        encodedSessionTranscript: transcript.taggedBytes,
        ephemeralReaderKey: reader.jwk as never,
        trustedCertificates: [hierarchy.iaca.der],
        onCheck,
      },
      animoContext,
    );
    expect(failed).toEqual([]);
  });
});

describe('we verify the peers’ DeviceResponses', () => {
  it('a credential issued and presented by @auth0/mdl verifies with every check passing', async () => {
    const device = await newKey(crypto);
    const document = await new Auth0Document(MNC_DOCTYPE)
      .addIssuerNameSpace(JP_NAMESPACE, { full_name_unicode: '番号　花子', sex_unicode: '女' })
      .addIssuerNameSpace(ISO_23220_NAMESPACE, { age_over_20: true })
      .useDigestAlgorithm('SHA-256')
      .addValidityInfo({ signed: days(-1), validFrom: days(-1), validUntil: days(30) })
      .addDeviceKeyInfo({ deviceKey: { kty: 'EC', crv: 'P-256', x: device.jwk.x!, y: device.jwk.y! } })
      .sign({
        issuerPrivateKey: hierarchy.documentSigner.jwk as never,
        issuerCertificate: pem(hierarchy.documentSigner.certificate),
        alg: 'ES256',
      });
    const issued = new Auth0MDoc([document]).encode();
    const response = await Auth0DeviceResponse.from(issued)
      .usingPresentationDefinition(PRESENTATION_DEFINITION)
      .usingSessionTranscriptBytes(Buffer.from(transcript.taggedBytes))
      .authenticateWithSignature(device.jwk as never, 'ES256')
      .sign();
    const result = await verifyDeviceResponse({
      response: response.encode(),
      sessionTranscript: transcript,
      issuerAnchors: [hierarchy.iaca.anchor],
      time: NOW,
      crypto,
      docType: MNC_DOCTYPE,
    });
    expect(result.summary.decidedBy).toBeUndefined();
    expect(result.summary.status).toBe('valid');
    expect(result.documents[0]!.elements.get(JP_NAMESPACE)!.get('full_name_unicode')).toBe('番号　花子');
    expect(result.documents[0]!.elements.get(JP_NAMESPACE)!.has('sex_unicode')).toBe(false);
  });

  it('a credential issued and presented by @animo-id/mdoc verifies, by signature and by MAC', async () => {
    const device = await newKey(crypto);
    const document = await new AnimoDocument(MNC_DOCTYPE, animoContext)
      .addIssuerNameSpace(JP_NAMESPACE, { full_name_unicode: '番号　太郎', local_gov_code_unicode: '13221' })
      .addIssuerNameSpace(ISO_23220_NAMESPACE, { age_over_20: true, age_in_years: 45 })
      .addValidityInfo({ signed: days(-1), validFrom: days(-1), validUntil: days(30) })
      .addDeviceKeyInfo({ deviceKey: { kty: 'EC', crv: 'P-256', x: device.jwk.x!, y: device.jwk.y! } })
      .sign(
        {
          issuerPrivateKey: hierarchy.documentSigner.jwk as never,
          issuerCertificate: hierarchy.documentSigner.certificate,
          alg: 'ES256',
        },
        animoContext,
      );
    const issued = new AnimoMDoc([document]).encode();
    const signed = await AnimoDeviceResponse.from(issued)
      .usingPresentationDefinition(PRESENTATION_DEFINITION)
      .usingSessionTranscriptBytes(transcript.taggedBytes)
      .authenticateWithSignature(device.jwk as never, 'ES256')
      .sign(animoContext);
    const reader = await newKey(crypto);
    const maced = await AnimoDeviceResponse.from(issued)
      .usingPresentationDefinition(PRESENTATION_DEFINITION)
      .usingSessionTranscriptBytes(transcript.taggedBytes)
      .authenticateWithMAC(
        device.jwk as never,
        { kty: 'EC', crv: 'P-256', x: reader.jwk.x!, y: reader.jwk.y! },
        'HS256',
      )
      .sign(animoContext);
    for (const [response, eReaderKey] of [
      [signed, undefined],
      [maced, reader.key],
    ] as const) {
      const result = await verifyDeviceResponse({
        response: response.encode(),
        sessionTranscript: transcript,
        issuerAnchors: [hierarchy.iaca.anchor],
        time: NOW,
        crypto,
        docType: MNC_DOCTYPE,
        ...(eReaderKey ? { eReaderKey } : {}),
      });
      expect(result.summary.decidedBy).toBeUndefined();
      expect(result.documents[0]!.elements.get(ISO_23220_NAMESPACE)!.get('age_over_20')).toBe(true);
    }
  });
});
