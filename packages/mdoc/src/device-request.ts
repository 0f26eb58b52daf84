import { fail, pass, type CheckResult } from '@openmyna/pki';

import { decodeCbor, embedCbor, encodeCbor, encodedCbor, type CborValue } from './cbor.js';
import { asArray, asBoolean, asMap, asText, decodeEmbedded, required } from './cbor-structure.js';
import {
  COSE_HEADER,
  coseVerificationProblem,
  decodeCoseMessage,
  signCoseSign1,
  verifyCoseSign1,
  x5chainOf,
  type CoseMessage,
} from './cose.js';
import type { EcPrivateKey, MdocCrypto } from './crypto.js';
import {
  validateMdocChain,
  type MdocChainCache,
  type MdocTrustAnchor,
  type ValidatedLeaf,
} from './certificate-chain.js';
import { MdocError } from './errors.js';
import { authenticationBytes, type SessionTranscript } from './session-transcript.js';

/**
 * ItemsRequest (ISO/IEC 18013-5 §8.3.2.1.2.1):
 * `{ "docType": tstr, "nameSpaces": { + NameSpace => { + DataElementIdentifier => IntentToRetain } }, ? "requestInfo": {...} }`
 */
export interface ItemsRequest {
  readonly docType: string;
  readonly nameSpaces: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
  readonly requestInfo?: ReadonlyMap<CborValue, CborValue>;
}

/** DocRequest: `{ "itemsRequest": ItemsRequestBytes, ? "readerAuth": ReaderAuth }`, with the signed bytes kept. */
export interface DocRequest {
  readonly itemsRequestBytes: Uint8Array;
  readonly itemsRequest: ItemsRequest;
  readonly readerAuth?: CoseMessage;
}

/** DeviceRequest: `{ "version": tstr, "docRequests": [+ DocRequest] }`. */
export interface DeviceRequest {
  readonly version: string;
  readonly docRequests: readonly DocRequest[];
}

/** A reader's signing key and certificate chain (leaf first, without the root). */
export interface ReaderKey {
  readonly key: EcPrivateKey;
  readonly certificateChain: readonly Uint8Array[];
}

/**
 * Builds a DeviceRequest; with `reader`, each DocRequest carries ReaderAuth, a detached COSE_Sign1
 * over ReaderAuthenticationBytes (§9.1.4).
 *
 * @example
 * ```ts
 * const request = await createDeviceRequest({ docRequests: [{ docType: MNC_DOCTYPE, nameSpaces }], sessionTranscript, reader });
 * ```
 */
export async function createDeviceRequest(options: {
  readonly docRequests: readonly ItemsRequest[];
  readonly sessionTranscript: SessionTranscript;
  readonly reader?: ReaderKey;
}): Promise<Uint8Array> {
  const docRequests = [];
  for (const request of options.docRequests) {
    const itemsRequest = new Map<string, unknown>([
      ['docType', request.docType],
      ['nameSpaces', request.nameSpaces],
    ]);
    if (request.requestInfo) itemsRequest.set('requestInfo', request.requestInfo);
    const itemsRequestTagged = embedCbor(itemsRequest);
    const docRequest = new Map<string, unknown>([['itemsRequest', itemsRequestTagged]]);
    if (options.reader) {
      const chain = options.reader.certificateChain;
      docRequest.set(
        'readerAuth',
        await signCoseSign1({
          payload: authenticationBytes('ReaderAuthentication', options.sessionTranscript, [itemsRequestTagged]),
          key: options.reader.key,
          detached: true,
          unprotected: new Map([[COSE_HEADER.x5chain, chain.length === 1 ? chain[0] : chain]]),
        }),
      );
    }
    docRequests.push(docRequest);
  }
  return encodeCbor(
    new Map<string, unknown>([
      ['version', '1.0'],
      ['docRequests', docRequests],
    ]),
  );
}

/** Decodes a DeviceRequest strictly. Throws `ERR_CBOR_MALFORMED` / `ERR_CBOR_STRUCTURE` / `ERR_COSE_HEADER`. */
export function decodeDeviceRequest(bytes: Uint8Array): DeviceRequest {
  const map = asMap(decodeCbor(bytes, 'DeviceRequest'), 'DeviceRequest');
  const version = asText(required(map, 'version', 'version'), 'version');
  if (!/^1\.\d+$/.test(version))
    throw new MdocError('ERR_CBOR_STRUCTURE', `unsupported DeviceRequest version "${version}"`);
  const docRequests = asArray(required(map, 'docRequests', 'docRequests'), 'docRequests').map((entry, index) => {
    const docRequest = asMap(entry, `docRequests[${index}]`);
    const { bytes: itemsRequestBytes, item } = decodeEmbedded(
      required(docRequest, 'itemsRequest', 'itemsRequest'),
      'itemsRequest',
    );
    const items = asMap(item, 'ItemsRequest');
    const nameSpaces = new Map<string, Map<string, boolean>>();
    for (const [nameSpace, elements] of asMap(required(items, 'nameSpaces', 'nameSpaces'), 'nameSpaces')) {
      const byId = new Map<string, boolean>();
      for (const [id, intent] of asMap(elements, 'nameSpaces')) {
        byId.set(asText(id, 'DataElementIdentifier'), asBoolean(intent, 'IntentToRetain'));
      }
      nameSpaces.set(asText(nameSpace, 'NameSpace'), byId);
    }
    const requestInfo = items.get('requestInfo');
    const readerAuth = docRequest.get('readerAuth');
    return {
      itemsRequestBytes,
      itemsRequest: {
        docType: asText(required(items, 'docType', 'docType'), 'docType'),
        nameSpaces,
        ...(requestInfo === undefined ? {} : { requestInfo: asMap(requestInfo, 'requestInfo') }),
      },
      ...(readerAuth === undefined ? {} : { readerAuth: decodeCoseMessage(readerAuth, 'readerAuth') }),
    };
  });
  if (docRequests.length === 0) throw new MdocError('ERR_CBOR_STRUCTURE', '"docRequests" is empty');
  return { version, docRequests };
}

/**
 * Verifies ReaderAuth of one DocRequest (ISO/IEC 18013-5 §9.1.4): the reader certificate chains to a
 * configured reader CA and signed ReaderAuthenticationBytes over this session's transcript.
 * Checks: `reader.certificate.*`, `reader.chain.*`, `reader.signature`.
 */
export async function verifyReaderAuthentication(options: {
  readonly docRequest: DocRequest;
  readonly sessionTranscript: SessionTranscript;
  readonly readerAnchors: readonly MdocTrustAnchor[];
  readonly time: Date;
  readonly crypto: MdocCrypto;
  readonly cache?: MdocChainCache;
}): Promise<{ checks: CheckResult[]; reader?: ValidatedLeaf }> {
  const { readerAuth } = options.docRequest;
  if (!readerAuth) return { checks: [fail('reader.signature', 'the request carries no readerAuth')] };
  let chain: Uint8Array[];
  try {
    chain = x5chainOf(readerAuth, 'readerAuth');
  } catch (error) {
    return { checks: [fail('reader.certificate.parse', (error as Error).message)] };
  }
  const validated = await validateMdocChain({
    chain,
    anchors: options.readerAnchors,
    role: 'reader',
    time: options.time,
    crypto: options.crypto,
    prefix: 'reader',
    cache: options.cache,
  });
  if (!validated.leaf) return { checks: validated.checks };
  const payload = authenticationBytes('ReaderAuthentication', options.sessionTranscript, [
    encodedCbor(options.docRequest.itemsRequestBytes),
  ]);
  const problem = await coseVerificationProblem(
    verifyCoseSign1({
      message: readerAuth,
      key: validated.leaf.publicKey,
      crypto: options.crypto,
      detachedPayload: payload,
      field: 'readerAuth',
    }),
    'readerAuth does not verify over this session',
  );
  return problem
    ? { checks: [...validated.checks, fail('reader.signature', problem)] }
    : { checks: [...validated.checks, pass('reader.signature')], reader: validated.leaf };
}
