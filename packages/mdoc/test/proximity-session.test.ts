import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import {
  createDeviceRequest,
  decodeDeviceEngagement,
  JP_NAMESPACE,
  MdocHolderSession,
  MdocReaderSession,
  webSocketTransport,
  type MessageTransport,
  type WebSocketLike,
} from '@openmyna/mdoc';
import { MdocRelay, newRelaySessionId, nodeMdocCrypto } from '@openmyna/mdoc/node';

import { issueCardFaceMdoc, makeMdocHierarchy, type MdocHierarchy } from '../../../test-support/mdoc-fixtures.js';
import { inProcessTransportPair } from './internal.js';
import { proximitySides } from './proximity-sides.js';

const crypto = nodeMdocCrypto;
const createSocket = (url: string) => new WebSocket(url) as unknown as WebSocketLike;

let hierarchy: MdocHierarchy;
beforeAll(async () => {
  hierarchy = await makeMdocHierarchy(crypto);
});

const { holderSide, readerSide, ASK } = proximitySides(() => hierarchy);

describe('ISO/IEC 18013-5 proximity session', () => {
  it('engages by QR, exchanges encrypted request and response in process, and verifies', async () => {
    const issued = await issueCardFaceMdoc(hierarchy);
    const holder = await MdocHolderSession.create({ crypto });
    expect(holder.uri).toMatch(/^mdoc:[A-Za-z0-9_-]+$/);
    const [holderEnd, readerEnd] = inProcessTransportPair();
    const [evaluation, result] = await Promise.all([
      holderSide(holder, holderEnd, issued),
      readerSide(holder.uri, () => Promise.resolve(readerEnd), false),
    ]);
    expect(evaluation.refused.map((r) => `${r.elementIdentifier}:${r.reason}`)).toEqual([
      'individual_number_unicode:reader-not-authorized-for-my-number',
    ]);
    expect(result.summary.status).toBe('valid');
    expect(result.documents[0]!.elements.get(JP_NAMESPACE)!.has('individual_number_unicode')).toBe(false);
    expect(result.documents[0]!.elements.get(JP_NAMESPACE)!.has('portrait')).toBe(true);
  });

  it('tells the reader when the holder declines', async () => {
    const holder = await MdocHolderSession.create({ crypto });
    const [holderEnd, readerEnd] = inProcessTransportPair();
    const reader = await MdocReaderSession.fromEngagement({ engagement: holder.engagement, crypto });
    await reader.sendRequest(
      readerEnd,
      await createDeviceRequest({ docRequests: [ASK], sessionTranscript: reader.transcript }),
    );
    await holder.receiveRequest(holderEnd);
    await holder.terminate(holderEnd);
    await expect(reader.receiveResponse(readerEnd)).rejects.toMatchObject({ code: 'ERR_SESSION_STATE' });
  });

  it('answers a tampered SessionEstablishment with status 10 and no response', async () => {
    const holder = await MdocHolderSession.create({ crypto });
    const [holderEnd, readerEnd] = inProcessTransportPair();
    const reader = await MdocReaderSession.fromEngagement({ engagement: holder.engagement, crypto });
    const tampering: MessageTransport = {
      ...readerEnd,
      send: (message) => readerEnd.send(message.map((byte, i) => (i === 12 ? byte ^ 1 : byte))),
    };
    await reader.sendRequest(
      tampering,
      await createDeviceRequest({ docRequests: [ASK], sessionTranscript: reader.transcript }),
    );
    await expect(holder.receiveRequest(holderEnd)).rejects.toMatchObject({ code: 'ERR_SESSION_DECRYPT' });
    await expect(reader.receiveResponse(readerEnd)).rejects.toThrow(/status 10/);
  });

  it('rejects an engagement that is not an mdoc: URI or not a DeviceEngagement', () => {
    expect(() => decodeDeviceEngagement(Uint8Array.of(0xa0))).toThrow(
      expect.objectContaining({ code: 'ERR_ENGAGEMENT' }) as Error,
    );
    return expect(
      MdocReaderSession.fromEngagement({ engagement: 'https://example.com', crypto }),
    ).rejects.toMatchObject({ code: 'ERR_ENGAGEMENT' });
  });
});

describe('WebSocket relay', () => {
  const frames: Uint8Array[] = [];
  const relay = new MdocRelay({ onForward: (_session, bytes) => frames.push(bytes.slice()) });
  let url: string;
  beforeAll(async () => {
    ({ url } = await relay.listen(0));
  });
  afterAll(() => relay.close());

  it('carries a whole presentation between two WebSocket clients, and sees only ciphertext', async () => {
    const issued = await issueCardFaceMdoc(hierarchy);
    const holder = await MdocHolderSession.create({ crypto, relay: { url, session: newRelaySessionId() } });
    const holderChannel = await webSocketTransport(
      `${url}/${decodeDeviceEngagement(holder.engagement).relay!.session}`,
      createSocket,
    );
    const [evaluation, result] = await Promise.all([
      holderSide(holder, holderChannel, issued),
      readerSide(
        holder.uri,
        (reader) =>
          webSocketTransport(`${reader.engagement.relay!.url}/${reader.engagement.relay!.session}`, createSocket),
        true,
      ),
    ]);
    expect(evaluation.refused).toEqual([]);
    expect(result.summary.status).toBe('valid');
    expect(result.documents[0]!.elements.get(JP_NAMESPACE)!.get('individual_number_unicode')).toMatch(/^\d{12}$/);

    // Nothing the relay forwarded contains the name, the My Number or a piece of the portrait.
    const secrets = [
      Buffer.from(
        issued.decoded.issuerSigned.nameSpaces
          .get(JP_NAMESPACE)!
          .find((i) => i.elementIdentifier === 'full_name_unicode')!.elementValue as string,
      ),
      Buffer.from(
        issued.decoded.issuerSigned.nameSpaces
          .get(JP_NAMESPACE)!
          .find((i) => i.elementIdentifier === 'individual_number_unicode')!.elementValue as string,
      ),
      Buffer.from(
        (
          issued.decoded.issuerSigned.nameSpaces.get(JP_NAMESPACE)!.find((i) => i.elementIdentifier === 'portrait')!
            .elementValue as Uint8Array
        ).subarray(100, 132),
      ),
      Buffer.from('individual_number_unicode'),
    ];
    expect(frames.length).toBe(2);
    for (const frame of frames) for (const secret of secrets) expect(Buffer.from(frame).indexOf(secret)).toBe(-1);
    await holderChannel.close();
  });

  it('refuses a third peer and unknown paths', async () => {
    const session = newRelaySessionId();
    const first = await webSocketTransport(`${url}/${session}`, createSocket);
    const second = await webSocketTransport(`${url}/${session}`, createSocket);
    await expect(webSocketTransport(`${url}/${session}`, createSocket)).rejects.toMatchObject({
      code: 'ERR_TRANSPORT',
    });
    await expect(webSocketTransport(`${url}/short`, createSocket)).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    await first.close();
    await expect(second.receive()).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });
});
