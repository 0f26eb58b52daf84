import { decodeCbor, embedCbor, encodeCbor, encodedCbor, encodedCborBytes, tdate, type CborValue } from './cbor.js';
import { asArray, asBytes, asMap, asText, asUint, decodeEmbedded, onlyKeys, required } from './cbor-structure.js';
import { COSE_HEADER, decodeCoseMessage, signCoseSign1, type CoseMessage } from './cose.js';
import { encodeCoseKey } from './cose-key.js';
import type { EcPrivateKey, EcPublicKey, MdocCrypto } from './crypto.js';
import { MdocError } from './errors.js';
import type { StatusListReference, ValidityInfo } from './mobile-security-object.js';

/**
 * One IssuerSignedItem (ISO/IEC 18013-5 §8.3.2.1.2.2) as received:
 * `IssuerSignedItem = { "digestID": uint, "random": bstr, "elementIdentifier": tstr, "elementValue": any }`,
 * with the bytes of its `#6.24(bstr)` kept for the digest.
 */
export interface IssuerSignedItem {
  readonly bytes: Uint8Array;
  readonly digestID: number;
  readonly random: Uint8Array;
  readonly elementIdentifier: string;
  readonly elementValue: CborValue;
}

/** IssuerSigned: `{ ? "nameSpaces": IssuerNameSpaces, "issuerAuth": IssuerAuth }`. */
export interface IssuerSigned {
  readonly nameSpaces: ReadonlyMap<string, readonly IssuerSignedItem[]>;
  readonly issuerAuth: CoseMessage;
  /** The `issuerAuth` array as received, to pass on unchanged. */
  readonly issuerAuthValue: CborValue;
}

/** Salts are 32 random bytes; §9.1.2.5 asks for at least 16. */
const SALT_LENGTH = 32;

/** The holder's copy of an issued credential: docType plus IssuerSigned, encoded. */
export interface IssuedMdoc {
  readonly docType: string;
  /** `{ "docType": tstr, "issuerSigned": IssuerSigned }` — a Document without deviceSigned. */
  readonly bytes: Uint8Array;
}

export interface IssueMdocOptions {
  readonly docType: string;
  readonly elements: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
  readonly deviceKey: EcPublicKey;
  readonly documentSigner: { readonly key: EcPrivateKey; readonly certificate: Uint8Array };
  readonly validity: ValidityInfo;
  readonly status?: StatusListReference;
  readonly crypto: MdocCrypto;
}

function shuffledIds(count: number, crypto: MdocCrypto): number[] {
  // ISO/IEC 18013-5 §9.1.2.5: digest IDs must not reveal the order or number of elements; we draw them
  // from a range four times larger and shuffle (Fisher–Yates over crypto-random bytes).
  const ids = Array.from({ length: count * 4 }, (_, index) => index);
  const random = crypto.randomBytes(ids.length * 4);
  const view = new DataView(random.buffer, random.byteOffset, random.byteLength);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = view.getUint32(i * 4) % (i + 1);
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids.slice(0, count);
}

/**
 * Issues an mdoc: every element becomes a salted IssuerSignedItem, their digests go into the MSO,
 * and the document signer signs the MSO (ISO/IEC 18013-5 §9.1.2).
 *
 * @example
 * ```ts
 * const mdoc = await issueMdoc({ docType: MNC_DOCTYPE, elements, deviceKey, documentSigner, validity, crypto });
 * ```
 */
export async function issueMdoc(options: IssueMdocOptions): Promise<IssuedMdoc> {
  const { nameSpaces, valueDigests } = await saltElements(options.elements, options.crypto);
  const mso = encodeMobileSecurityObject(options, valueDigests);
  const issuerAuth = await signCoseSign1({
    payload: encodeCbor(embedCbor(mso)),
    key: options.documentSigner.key,
    unprotected: new Map([[COSE_HEADER.x5chain, options.documentSigner.certificate]]),
  });
  const issuerSigned = new Map<string, unknown>([
    ['nameSpaces', nameSpaces],
    ['issuerAuth', issuerAuth],
  ]);
  const bytes = encodeCbor(
    new Map<string, unknown>([
      ['docType', options.docType],
      ['issuerSigned', issuerSigned],
    ]),
  );
  return { docType: options.docType, bytes };
}

/**
 * Every element as a salted, embedded IssuerSignedItem under a shuffled digest ID, with the digest of
 * each for the MSO's `valueDigests` (ISO/IEC 18013-5 §9.1.2.5).
 */
async function saltElements(
  elements: IssueMdocOptions['elements'],
  crypto: MdocCrypto,
): Promise<{ nameSpaces: Map<string, unknown[]>; valueDigests: Map<string, Map<number, Uint8Array>> }> {
  const nameSpaces = new Map<string, unknown[]>();
  const valueDigests = new Map<string, Map<number, Uint8Array>>();
  const salts = new Set<string>();
  for (const [nameSpace, nameSpaceElements] of elements) {
    const ids = shuffledIds(nameSpaceElements.size, crypto);
    const items: unknown[] = [];
    const digests = new Map<number, Uint8Array>();
    let index = 0;
    for (const [elementIdentifier, elementValue] of nameSpaceElements) {
      const random = crypto.randomBytes(SALT_LENGTH);
      const saltKey = random.join(',');
      if (salts.has(saltKey)) throw new MdocError('ERR_MDOC_ELEMENT', 'the random source repeated a salt');
      salts.add(saltKey);
      const digestID = ids[index++]!;
      const item = embedCbor(
        new Map<string, unknown>([
          ['digestID', digestID],
          ['random', random],
          ['elementIdentifier', elementIdentifier],
          ['elementValue', elementValue],
        ]),
      );
      items.push(item);
      digests.set(digestID, await crypto.digest('SHA-256', encodeCbor(item)));
    }
    nameSpaces.set(nameSpace, items);
    valueDigests.set(nameSpace, digests);
  }
  return { nameSpaces, valueDigests };
}

/** The MobileSecurityObject to sign (ISO/IEC 18013-5 §9.1.2.4), with the status list reference when given. */
function encodeMobileSecurityObject(
  options: IssueMdocOptions,
  valueDigests: Map<string, Map<number, Uint8Array>>,
): Map<string, unknown> {
  const { validity } = options;
  const mso = new Map<string, unknown>([
    ['version', '1.0'],
    ['digestAlgorithm', 'SHA-256'],
    ['valueDigests', valueDigests],
    ['deviceKeyInfo', new Map([['deviceKey', encodeCoseKey(options.deviceKey)]])],
    ['docType', options.docType],
    [
      'validityInfo',
      new Map([
        ['signed', tdate(validity.signed)],
        ['validFrom', tdate(validity.validFrom)],
        ['validUntil', tdate(validity.validUntil)],
        ...(validity.expectedUpdate ? [['expectedUpdate', tdate(validity.expectedUpdate)] as const] : []),
      ]),
    ],
  ]);
  if (options.status) {
    mso.set(
      'status',
      new Map([
        [
          'status_list',
          new Map<string, unknown>([
            ['idx', options.status.idx],
            ['uri', options.status.uri],
          ]),
        ],
      ]),
    );
  }
  return mso;
}

/** Reads IssuerSigned strictly; each item keeps the bytes its digest covers. */
export function decodeIssuerSigned(value: CborValue | undefined): IssuerSigned {
  const map = asMap(value, 'issuerSigned');
  const nameSpaces = new Map<string, IssuerSignedItem[]>();
  const received = map.get('nameSpaces');
  if (received !== undefined) {
    for (const [nameSpace, list] of asMap(received, 'nameSpaces')) {
      const name = asText(nameSpace, 'nameSpaces.NameSpace');
      const items = asArray(list, `nameSpaces["${name}"]`).map((entry) => decodeIssuerSignedItem(entry, name));
      if (items.length === 0) throw new MdocError('ERR_CBOR_STRUCTURE', `nameSpaces["${name}"] is empty`);
      nameSpaces.set(name, items);
    }
  }
  const issuerAuthValue = required(map, 'issuerAuth', 'issuerAuth');
  return { nameSpaces, issuerAuth: decodeCoseMessage(issuerAuthValue, 'issuerAuth'), issuerAuthValue };
}

function decodeIssuerSignedItem(value: CborValue, nameSpace: string): IssuerSignedItem {
  const field = `IssuerSignedItem in "${nameSpace}"`;
  const { bytes, item } = decodeEmbedded(value, field);
  const map = asMap(item, field);
  // §8.3.2.1.2.2: exactly these four keys; anything else would ride along under the digest unread.
  onlyKeys(map, ['digestID', 'random', 'elementIdentifier', 'elementValue'], field);
  const elementValue = required(map, 'elementValue', `${field}.elementValue`);
  return {
    bytes,
    digestID: asUint(required(map, 'digestID', `${field}.digestID`), `${field}.digestID`),
    random: asBytes(required(map, 'random', `${field}.random`), `${field}.random`),
    elementIdentifier: asText(
      required(map, 'elementIdentifier', `${field}.elementIdentifier`),
      `${field}.elementIdentifier`,
    ),
    elementValue,
  };
}

/** The encoding of IssuerSigned carrying only `items`, for a DeviceResponse (items passed on unchanged). */
export function issuerSignedWith(
  issuerSigned: IssuerSigned,
  items: ReadonlyMap<string, readonly IssuerSignedItem[]>,
): Map<string, unknown> {
  const nameSpaces = new Map<string, unknown[]>();
  for (const [nameSpace, list] of items) {
    if (list.length > 0)
      nameSpaces.set(
        nameSpace,
        list.map((item) => encodedCbor(item.bytes)),
      );
  }
  const map = new Map<string, unknown>();
  if (nameSpaces.size > 0) map.set('nameSpaces', nameSpaces);
  map.set('issuerAuth', issuerSigned.issuerAuthValue);
  return map;
}

/** The digest of an item as the MSO lists it: over the encoding of `#6.24(bstr)`. */
export function issuerSignedItemDigest(
  item: IssuerSignedItem,
  crypto: MdocCrypto,
  algorithm: 'SHA-256' | 'SHA-384' | 'SHA-512',
): Promise<Uint8Array> {
  return crypto.digest(algorithm, encodedCborBytes(item.bytes));
}

/** Reads the holder's stored credential (`{docType, issuerSigned}`). */
export function decodeIssuedMdoc(bytes: Uint8Array): { docType: string; issuerSigned: IssuerSigned } {
  const map = asMap(decodeCbor(bytes, 'IssuedMdoc'), 'IssuedMdoc');
  return {
    docType: asText(required(map, 'docType', 'docType'), 'docType'),
    issuerSigned: decodeIssuerSigned(required(map, 'issuerSigned', 'issuerSigned')),
  };
}
