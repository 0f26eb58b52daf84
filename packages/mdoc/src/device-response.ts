import { decodeCbor, embedCbor, encodeCbor, type CborValue } from './cbor.js';
import { asArray, asInteger, asMap, asText, decodeEmbedded, isMap, required, type CborMap } from './cbor-structure.js';
import { createCoseMac0, decodeCoseMessage, signCoseSign1, type CoseMessage } from './cose.js';
import type { EcPrivateKey, EcPublicKey, MdocCrypto } from './crypto.js';
import { MdocError } from './errors.js';
import { issuerSignedWith, decodeIssuerSigned, type IssuerSigned, type IssuerSignedItem } from './issuer-signed.js';
import { authenticationBytes, type SessionTranscript } from './session-transcript.js';
import { utf8 } from './bytes.js';

/** DeviceResponse status codes (ISO/IEC 18013-5 §8.3.2.1.2.3). */
export const DEVICE_RESPONSE_STATUS = {
  ok: 0,
  generalError: 10,
  cborDecodingError: 11,
  cborValidationError: 12,
} as const;

/** Errors entry code for an element that is not returned (§8.3.2.1.2.3: 0 = data not returned). */
const DATA_NOT_RETURNED = 0;

/** A Document of a DeviceResponse as received. */
export interface ResponseDocument {
  readonly docType: string;
  readonly issuerSigned: IssuerSigned;
  readonly deviceNameSpacesBytes: Uint8Array;
  readonly deviceNameSpaces: CborMap;
  readonly deviceAuth: { readonly deviceSignature?: CoseMessage; readonly deviceMac?: CoseMessage };
  readonly errors?: CborMap;
}

/** DeviceResponse: `{ "version", ? "documents", ? "documentErrors", "status" }`. */
export interface DeviceResponse {
  readonly version: string;
  readonly documents: readonly ResponseDocument[];
  readonly status: number;
}

/** How the device authenticates: an ECDSA signature, or a MAC keyed by ECDH with the reader's ephemeral key. */
export type DeviceAuthenticationMode =
  { readonly type: 'signature' } | { readonly type: 'mac'; readonly eReaderKey: EcPublicKey };

/**
 * EMacKey (ISO/IEC 18013-5 §9.1.3.5): HKDF-SHA-256 over ECDH(SDeviceKey, EReaderKey), salt
 * SHA-256(SessionTranscriptBytes), info "EMacKey", 32 bytes. `sharedSecret` comes from either side.
 */
export async function deriveEMacKey(
  sharedSecret: Uint8Array,
  transcript: SessionTranscript,
  crypto: MdocCrypto,
): Promise<Uint8Array> {
  const salt = await crypto.digest('SHA-256', transcript.taggedBytes);
  return crypto.hkdfSha256(sharedSecret, salt, utf8('EMacKey'), 32);
}

/**
 * Builds a DeviceResponse releasing exactly `release` from the stored credential, with device
 * authentication over this session's transcript (§9.1.3). Elements requested but not released are
 * listed in `errors` as "data not returned".
 *
 * @example
 * ```ts
 * const response = await createDeviceResponse({ issued, release, notReturned, sessionTranscript, deviceKey, mode: { type: 'signature' }, crypto });
 * ```
 */
export async function createDeviceResponse(options: {
  readonly issued: { readonly docType: string; readonly issuerSigned: IssuerSigned };
  readonly release: ReadonlyMap<string, ReadonlySet<string>>;
  readonly notReturned?: ReadonlyMap<string, ReadonlySet<string>>;
  readonly sessionTranscript: SessionTranscript;
  readonly deviceKey: EcPrivateKey;
  readonly mode: DeviceAuthenticationMode;
  readonly crypto: MdocCrypto;
}): Promise<Uint8Array> {
  const { issued, crypto } = options;
  const items = new Map<string, IssuerSignedItem[]>();
  for (const [nameSpace, identifiers] of options.release) {
    const available = issued.issuerSigned.nameSpaces.get(nameSpace) ?? [];
    const chosen = available.filter((item) => identifiers.has(item.elementIdentifier));
    if (chosen.length !== identifiers.size) {
      throw new MdocError('ERR_MDOC_ELEMENT', `the credential lacks a released element of "${nameSpace}"`);
    }
    items.set(nameSpace, chosen);
  }
  // §8.3.2.1.2.2: DeviceNameSpacesBytes; we sign no device-retrieved elements, so the map is empty.
  const deviceNameSpaces = embedCbor(new Map());
  const payload = authenticationBytes('DeviceAuthentication', options.sessionTranscript, [
    issued.docType,
    deviceNameSpaces,
  ]);
  let deviceAuth: Map<string, unknown>;
  if (options.mode.type === 'signature') {
    deviceAuth = new Map([
      ['deviceSignature', await signCoseSign1({ payload, key: options.deviceKey, detached: true })],
    ]);
  } else {
    const secret = await options.deviceKey.deriveSharedSecret(options.mode.eReaderKey);
    const key = await deriveEMacKey(secret, options.sessionTranscript, crypto);
    deviceAuth = new Map([['deviceMac', await createCoseMac0({ payload, key, crypto })]]);
  }
  const document = new Map<string, unknown>([
    ['docType', issued.docType],
    ['issuerSigned', issuerSignedWith(issued.issuerSigned, items)],
    [
      'deviceSigned',
      new Map<string, unknown>([
        ['nameSpaces', deviceNameSpaces],
        ['deviceAuth', deviceAuth],
      ]),
    ],
  ]);
  if (options.notReturned && [...options.notReturned.values()].some((set) => set.size > 0)) {
    const errors = new Map<string, Map<string, number>>();
    for (const [nameSpace, identifiers] of options.notReturned) {
      if (identifiers.size > 0) errors.set(nameSpace, new Map([...identifiers].map((id) => [id, DATA_NOT_RETURNED])));
    }
    document.set('errors', errors);
  }
  return encodeCbor(
    new Map<string, unknown>([
      ['version', '1.0'],
      ['documents', [document]],
      ['status', DEVICE_RESPONSE_STATUS.ok],
    ]),
  );
}

/** Decodes a DeviceResponse strictly, keeping every signed byte string as received. */
export function decodeDeviceResponse(bytes: Uint8Array): DeviceResponse {
  const map = asMap(decodeCbor(bytes, 'DeviceResponse', { allowUndefined: true }), 'DeviceResponse');
  const version = asText(required(map, 'version', 'version'), 'version');
  if (!/^1\.\d+$/.test(version))
    throw new MdocError('ERR_CBOR_STRUCTURE', `unsupported DeviceResponse version "${version}"`);
  const status = asInteger(required(map, 'status', 'status'), 'status');
  const list = map.get('documents');
  const documents = list === undefined ? [] : asArray(list, 'documents').map(decodeDocument);
  return { version, documents, status };
}

function decodeDocument(value: CborValue, index: number): ResponseDocument {
  const field = `documents[${index}]`;
  const document = asMap(value, field);
  const deviceSigned = asMap(required(document, 'deviceSigned', `${field}.deviceSigned`), `${field}.deviceSigned`);
  const { bytes: deviceNameSpacesBytes, item } = decodeEmbedded(
    required(deviceSigned, 'nameSpaces', 'deviceSigned.nameSpaces'),
    'DeviceNameSpacesBytes',
  );
  const deviceAuth = asMap(required(deviceSigned, 'deviceAuth', 'deviceAuth'), 'deviceAuth');
  const signature = deviceAuth.get('deviceSignature');
  const mac = deviceAuth.get('deviceMac');
  // §8.3.2.1.2.2: DeviceAuth is deviceSignature or deviceMac, exactly one.
  if ((signature === undefined) === (mac === undefined) || deviceAuth.size !== 1) {
    throw new MdocError('ERR_CBOR_STRUCTURE', '"deviceAuth" must hold exactly one of deviceSignature and deviceMac');
  }
  const errors = document.get('errors');
  return {
    docType: asText(required(document, 'docType', `${field}.docType`), `${field}.docType`),
    issuerSigned: decodeIssuerSigned(required(document, 'issuerSigned', `${field}.issuerSigned`)),
    deviceNameSpacesBytes,
    deviceNameSpaces: asMap(item, 'DeviceNameSpaces'),
    deviceAuth:
      signature !== undefined
        ? { deviceSignature: decodeCoseMessage(signature, 'deviceSignature') }
        : { deviceMac: decodeCoseMessage(mac, 'deviceMac') },
    ...(errors !== undefined && isMap(errors) ? { errors } : {}),
  };
}
