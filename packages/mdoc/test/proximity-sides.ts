import type { MdocHolderSession } from '@openmyna/mdoc';
import {
  createDeviceRequest,
  createDeviceResponse,
  evaluateItemsRequest,
  JP_NAMESPACE,
  ISO_23220_NAMESPACE,
  MdocReaderSession,
  MNC_DOCTYPE,
  verifyDeviceResponse,
  verifyReaderAuthentication,
  type MessageTransport,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import type { issueCardFaceMdoc } from '../../../test-support/mdoc-fixtures.js';
import { allCardFaceElements, makeReader, NOW, type MdocHierarchy } from '../../../test-support/mdoc-fixtures.js';

const crypto = nodeMdocCrypto;

/** The two sides of an in-person presentation over any transport, for the hierarchy `current()` returns. */
export function proximitySides(current: () => MdocHierarchy) {
  const ASK = {
    docType: MNC_DOCTYPE,
    nameSpaces: new Map([
      [
        JP_NAMESPACE,
        new Map([
          ['portrait', false],
          ['full_name_unicode', false],
          ['individual_number_unicode', true],
        ]),
      ],
      [ISO_23220_NAMESPACE, new Map([['age_over_20', false]])],
    ]),
  };

  /** Runs the holder side: verify the reader, apply the policy, release what is allowed. */
  async function holderSide(
    holder: MdocHolderSession,
    transport: MessageTransport,
    issued: Awaited<ReturnType<typeof issueCardFaceMdoc>>,
  ) {
    const { deviceRequest, transcript } = await holder.receiveRequest(transport);
    const docRequest = deviceRequest.docRequests[0]!;
    const readerCheck = await verifyReaderAuthentication({
      docRequest,
      sessionTranscript: transcript,
      readerAnchors: [current().readerCa.anchor],
      time: NOW,
      crypto,
    });
    const available = new Map(
      [...issued.decoded.issuerSigned.nameSpaces].map(([ns, items]) => [
        ns,
        new Set(items.map((item) => item.elementIdentifier)),
      ]),
    );
    const evaluation = evaluateItemsRequest({
      itemsRequest: docRequest.itemsRequest,
      reader: readerCheck.reader,
      available,
      availableDocType: MNC_DOCTYPE,
    });
    const release = new Map<string, Set<string>>();
    for (const element of evaluation.releasable)
      release.set(element.nameSpace, (release.get(element.nameSpace) ?? new Set()).add(element.elementIdentifier));
    const notReturned = new Map<string, Set<string>>();
    for (const element of evaluation.refused)
      notReturned.set(
        element.nameSpace,
        (notReturned.get(element.nameSpace) ?? new Set()).add(element.elementIdentifier),
      );
    const response = await createDeviceResponse({
      issued: issued.decoded,
      release,
      notReturned,
      sessionTranscript: transcript,
      deviceKey: issued.deviceKey,
      mode: { type: 'signature' },
      crypto,
    });
    await holder.sendResponse(transport, response);
    return evaluation;
  }

  async function readerSide(
    uri: string,
    transport: (reader: MdocReaderSession) => Promise<MessageTransport>,
    authorizedForMyNumber: boolean,
  ) {
    const reader = await MdocReaderSession.fromEngagement({ engagement: uri, crypto });
    const channel = await transport(reader);
    const readerKey = await makeReader(
      current(),
      'Counter',
      authorizedForMyNumber
        ? allCardFaceElements()
        : allCardFaceElements().filter((e) => e.elementIdentifier !== 'individual_number_unicode'),
    );
    await reader.sendRequest(
      channel,
      await createDeviceRequest({ docRequests: [ASK], sessionTranscript: reader.transcript, reader: readerKey }),
    );
    const response = await reader.receiveResponse(channel);
    return verifyDeviceResponse({
      response,
      sessionTranscript: reader.transcript,
      issuerAnchors: [current().iaca.anchor],
      time: NOW,
      crypto,
      docType: MNC_DOCTYPE,
      request: ASK,
    });
  }

  return { holderSide, readerSide, ASK };
}
