import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';

import {
  decodeCbor,
  decodeDeviceEngagement,
  decodeDeviceRequest,
  decodeDeviceResponse,
  decodeSessionData,
  decodeSessionEstablishment,
  deriveSessionKeys,
  ecPublicJwk,
  ecPublicKey,
  mdocTrustAnchor,
  SessionEncryption,
  sessionTranscriptFromTaggedBytes,
  verifyDeviceResponse,
  verifyReaderAuthentication,
  webMdocCrypto,
  type MdocCrypto,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import { readVectorJson } from '../../../test-support/test-vectors.js';
import { deriveEMacKey } from './internal.js';

interface AnnexD {
  vectors: Record<string, string>;
  derived: Record<string, { value: string }>;
}
const annex = readVectorJson<AnnexD>('iso18013-5/annex-d.json');
const v = (name: string): Uint8Array => hexToBytes(annex.vectors[name]!);
const derived = (name: string): Uint8Array => hexToBytes(annex.derived[name]!.value);
const MDL = 'org.iso.18013.5.1.mDL';

function privateJwk(prefix: string): JsonWebKey {
  const base = ecPublicJwk(ecPublicKey(v(`${prefix}X`), v(`${prefix}Y`)));
  const d = Buffer.from(v(`${prefix}D`)).toString('base64url');
  return { ...base, d };
}

const transcript = sessionTranscriptFromTaggedBytes(v('sessionTranscriptBytes'));

describe.each<[string, MdocCrypto]>([
  ['node', nodeMdocCrypto],
  ['web', webMdocCrypto],
])('ISO/IEC 18013-5 Annex D (%s crypto)', (_name, crypto) => {
  it('parses the device engagement and its ephemeral key', () => {
    const engagement = decodeDeviceEngagement(v('deviceEngagement'));
    expect(engagement.version).toBe('1.0');
    expect(Buffer.from(engagement.eDeviceKey.x).toString('hex')).toBe(annex.vectors['ephemeralDeviceKeyX']);
    expect(engagement.deviceRetrievalMethods).toHaveLength(1);
  });

  it('reproduces each public key from its published private scalar', async () => {
    for (const prefix of ['ephemeralDeviceKey', 'ephemeralReaderKey', 'staticDeviceKey']) {
      const key = await crypto.importEcPrivateKey(privateJwk(prefix));
      expect(Buffer.from(key.publicKey.y).toString('hex')).toBe(annex.vectors[`${prefix}Y`]);
    }
  });

  it('derives the published session keys and decrypts both session messages', async () => {
    const device = await crypto.importEcPrivateKey(privateJwk('ephemeralDeviceKey'));
    const establishment = decodeSessionEstablishment(v('sessionEstablishment'));
    const secret = await device.deriveSharedSecret(establishment.eReaderKey);
    expect(secret).toEqual(derived('sharedSecretEphemeral'));
    const keys = await deriveSessionKeys(secret, transcript, crypto);
    expect(keys.skReader).toEqual(derived('SKReader'));
    expect(keys.skDevice).toEqual(derived('SKDevice'));

    const mdocSide = await SessionEncryption.establish({
      role: 'mdoc',
      privateKey: device,
      peerKey: establishment.eReaderKey,
      transcript,
      crypto,
    });
    expect(await mdocSide.decrypt(establishment.data)).toEqual(v('deviceRequest'));

    const reader = await crypto.importEcPrivateKey(privateJwk('ephemeralReaderKey'));
    const engagement = decodeDeviceEngagement(v('deviceEngagement'));
    const readerSide = await SessionEncryption.establish({
      role: 'reader',
      privateKey: reader,
      peerKey: engagement.eDeviceKey,
      transcript,
      crypto,
    });
    const sessionData = decodeSessionData(v('sessionData'));
    expect(await readerSide.decrypt(sessionData.data!)).toEqual(v('deviceResponse'));
    // §9.1.1.5: the same message again has the wrong counter.
    await expect(readerSide.decrypt(sessionData.data!)).rejects.toMatchObject({ code: 'ERR_SESSION_DECRYPT' });
  });

  it('decodes session termination as status 20', () => {
    expect(decodeSessionData(v('sessionTermination'))).toEqual({ status: 20 });
  });

  it('verifies the reader authentication of the published request', async () => {
    const request = decodeDeviceRequest(v('deviceRequest'));
    expect(request.docRequests[0]!.itemsRequest.docType).toBe(MDL);
    expect(request.docRequests[0]!.itemsRequestBytes).toEqual(decodeCbor(v('itemsRequest'), 'x') && v('itemsRequest'));
    const result = await verifyReaderAuthentication({
      docRequest: request.docRequests[0]!,
      sessionTranscript: transcript,
      readerAnchors: [mdocTrustAnchor(v('readerCert'))],
      time: new Date('2021-06-01T00:00:00Z'),
      crypto,
    });
    expect(result.checks.find((check) => check.check === 'reader.signature')?.status).toBe('pass');
  });

  it('verifies the published response: issuer signature, digests and the device MAC over the transcript', async () => {
    const response = decodeDeviceResponse(v('deviceResponse'));
    expect(response.documents[0]!.issuerSigned.nameSpaces.get('org.iso.18013.5.1')).toHaveLength(6);
    const eReaderKey = await crypto.importEcPrivateKey(privateJwk('ephemeralReaderKey'));
    const staticDevice = ecPublicKey(v('staticDeviceKeyX'), v('staticDeviceKeyY'));
    expect(await deriveEMacKey(await eReaderKey.deriveSharedSecret(staticDevice), transcript, crypto)).toEqual(
      derived('EMacKey'),
    );
    const result = await verifyDeviceResponse({
      response: v('deviceResponse'),
      sessionTranscript: transcript,
      // Annex D publishes the document signer, not its IACA, so the test pins the DS certificate.
      issuerAnchors: [mdocTrustAnchor(v('dsCert'))],
      time: new Date('2021-06-01T00:00:00Z'),
      crypto,
      docType: MDL,
      eReaderKey,
    });
    expect(result.summary.status).toBe('valid');
    expect(result.summary.checks.map((check) => `${check.check}:${check.status}`)).toEqual([
      'response.decode:pass',
      'response.limits:pass',
      'response.status:pass',
      'response.docType:pass',
      'issuer.certificate.parse:pass',
      'issuer.chain.anchor:pass',
      'issuer.chain.signature:skip',
      'issuer.certificate.profile:pass',
      'issuer.certificate.validity:pass',
      'issuer.signature:pass',
      'mso.decode:pass',
      'mso.docType:pass',
      'mso.validity:pass',
      'issuer.digests:pass',
      'issuer.elements:pass',
      'device.nameSpaces:pass',
      'device.authentication:pass',
      'request.consistency:pass',
      'status.revocation:skip',
    ]);
    expect(result.documents[0]!.elements.get('org.iso.18013.5.1')!.get('family_name')).toBe('Doe');
  });

  it('fails the device MAC against any other transcript', async () => {
    const eReaderKey = await crypto.importEcPrivateKey(privateJwk('ephemeralReaderKey'));
    const other = sessionTranscriptFromTaggedBytes(
      v('sessionTranscriptBytes').map((byte, i, all) => (i === all.length - 1 ? byte ^ 1 : byte)),
    );
    const result = await verifyDeviceResponse({
      response: v('deviceResponse'),
      sessionTranscript: other,
      issuerAnchors: [mdocTrustAnchor(v('dsCert'))],
      time: new Date('2021-06-01T00:00:00Z'),
      crypto,
      docType: MDL,
      eReaderKey,
    });
    expect(result.summary.decidedBy?.check).toBe('device.authentication');
    expect(result.documents).toEqual([]);
  });
});
