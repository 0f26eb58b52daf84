import { base64UrlDecode, base64UrlEncode } from '@openmyna/core';

import { decodeCbor, embedCbor, encodeCbor, type CborValue } from './cbor.js';
import { asArray, asInteger, asMap, asText, decodeEmbedded, isMap, required } from './cbor-structure.js';
import { decodeCoseKey, encodeCoseKey } from './cose-key.js';
import type { EcPublicKey } from './crypto.js';
import { MdocError } from './errors.js';

/** Cipher suite 1 (ISO/IEC 18013-5 §9.1.5.2): ECDH P-256 / HKDF-SHA-256 / AES-256-GCM. */
const CIPHER_SUITE_1 = 1;

/**
 * openmyna's relay retrieval, carried in DeviceEngagement under a text key (the standard's integer
 * keys are reserved): the WebSocket URL of the relay and the session the reader joins (docs/mdoc.md).
 */
export const RELAY_ENGAGEMENT_KEY = 'org.openmyna.relay';

export interface RelayRetrieval {
  readonly url: string;
  readonly session: string;
}

/**
 * DeviceEngagement (ISO/IEC 18013-5 §8.2.1.1):
 * `{ 0: tstr, 1: Security, ? 2: DeviceRetrievalMethods, ... }`, `Security = [1, EDeviceKeyBytes]`.
 * `bytes` are what was scanned; the session transcript covers them unchanged.
 */
export interface DeviceEngagement {
  readonly bytes: Uint8Array;
  readonly version: string;
  readonly eDeviceKey: EcPublicKey;
  readonly eDeviceKeyBytes: Uint8Array;
  /** BLE/NFC/Wi-Fi Aware methods as received (we do not use them). */
  readonly deviceRetrievalMethods: readonly CborValue[];
  readonly relay?: RelayRetrieval;
}

/**
 * Encodes a DeviceEngagement for QR handover with the device's ephemeral key and, optionally, our relay.
 *
 * @example
 * ```ts
 * const engagement = encodeDeviceEngagement({ eDeviceKey: ephemeral.publicKey, relay: { url, session } });
 * const qrText = deviceEngagementUri(engagement); // "mdoc:owBjMS4w…"
 * ```
 */
export function encodeDeviceEngagement(options: {
  readonly eDeviceKey: EcPublicKey;
  readonly relay?: RelayRetrieval;
}): Uint8Array {
  const engagement = new Map<unknown, unknown>([
    [0, '1.0'],
    [1, [CIPHER_SUITE_1, embedCbor(encodeCoseKey(options.eDeviceKey))]],
  ]);
  if (options.relay) {
    engagement.set(
      RELAY_ENGAGEMENT_KEY,
      new Map([
        ['url', options.relay.url],
        ['session', options.relay.session],
      ]),
    );
  }
  return encodeCbor(engagement);
}

/** Reads a DeviceEngagement strictly. Throws `ERR_ENGAGEMENT` for anything we cannot use. */
export function decodeDeviceEngagement(bytes: Uint8Array): DeviceEngagement {
  try {
    const map = asMap(decodeCbor(bytes, 'DeviceEngagement'), 'DeviceEngagement');
    const version = asText(required(map, 0, 'DeviceEngagement.version'), 'version');
    if (!/^1\.\d+$/.test(version)) throw new MdocError('ERR_ENGAGEMENT', `unsupported engagement version "${version}"`);
    const [suite, keyBytes] = asArray(required(map, 1, 'Security'), 'Security', 2);
    if (asInteger(suite, 'cipherSuiteIdentifier') !== CIPHER_SUITE_1) {
      throw new MdocError('ERR_ENGAGEMENT', 'only cipher suite 1 is supported');
    }
    const { bytes: eDeviceKeyBytes, item } = decodeEmbedded(keyBytes, 'EDeviceKeyBytes');
    const methods = map.get(2);
    const relay = map.get(RELAY_ENGAGEMENT_KEY);
    return {
      bytes,
      version,
      eDeviceKey: decodeCoseKey(item, 'EDeviceKey'),
      eDeviceKeyBytes,
      deviceRetrievalMethods: methods === undefined ? [] : asArray(methods, 'DeviceRetrievalMethods'),
      ...(relay !== undefined && isMap(relay)
        ? {
            relay: {
              url: asText(relay.get('url'), 'relay.url'),
              session: asText(relay.get('session'), 'relay.session'),
            },
          }
        : {}),
    };
  } catch (error) {
    if (error instanceof MdocError && error.code === 'ERR_ENGAGEMENT') throw error;
    throw new MdocError('ERR_ENGAGEMENT', `the device engagement is not usable: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The QR text (§8.2.2.3): `mdoc:` followed by base64url of DeviceEngagement, without padding. */
export function deviceEngagementUri(engagement: Uint8Array): string {
  return `mdoc:${base64UrlEncode(engagement)}`;
}

/** Reads an `mdoc:` URI back to the DeviceEngagement bytes. */
export function parseDeviceEngagementUri(uri: string): Uint8Array {
  if (!uri.startsWith('mdoc:')) throw new MdocError('ERR_ENGAGEMENT', 'the QR code is not an mdoc: URI');
  try {
    return base64UrlDecode(uri.slice('mdoc:'.length));
  } catch (error) {
    throw new MdocError('ERR_ENGAGEMENT', 'the mdoc: URI is not base64url', { cause: error });
  }
}
