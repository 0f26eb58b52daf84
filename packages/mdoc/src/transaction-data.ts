import { base64UrlDecode, base64UrlEncode } from '@openmyna/core';

import { utf8 } from './bytes.js';
import { MdocError } from './errors.js';

/** The part of an Authorization Request (OpenID4VP 1.0 §5.1) that carries transaction data. */
interface TransactionDataCarrier {
  readonly transaction_data?: readonly string[];
}

/**
 * The `transaction_data` entry of a `jpki_sign` query (docs/openid4vp-formats.md): the document the
 * holder signs, shown to them by title before the signing password is asked for.
 */
export interface JpkiSignDocument {
  readonly type: 'jpki_sign_document';
  readonly credential_ids: readonly [string];
  /** The document, base64url (at most 64 KiB). */
  readonly document: string;
  readonly document_title: string;
  readonly document_media_type: string;
}

/** Encodes a `transaction_data` entry (§5.1): base64url of its UTF-8 JSON. */
export function encodeTransactionData(entry: object): string {
  return base64UrlEncode(utf8(JSON.stringify(entry)));
}

/** Decodes a `transaction_data` entry, checking its `type` and `credential_ids`. Throws `ERR_OPENID4VP`. */
export function decodeTransactionData(
  entry: string,
): { type: string; credential_ids: string[] } & Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64UrlDecode(entry)));
  } catch (error) {
    throw new MdocError('ERR_OPENID4VP', 'a transaction_data entry is not base64url JSON', { cause: error });
  }
  const record = value as Record<string, unknown>;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof record['type'] !== 'string' ||
    !Array.isArray(record['credential_ids']) ||
    record['credential_ids'].length === 0 ||
    record['credential_ids'].some((id) => typeof id !== 'string')
  )
    throw new MdocError('ERR_OPENID4VP', 'a transaction_data entry needs "type" and "credential_ids"');
  return record as { type: string; credential_ids: string[] } & Record<string, unknown>;
}

/**
 * The `transaction_data` entry of a `jpki_sign` query that asks for a signature over a digest the
 * relying party computed (docs/openid4vp-formats.md): the card pads exactly these bytes (PKCS#1 v1.5
 * type 01) and signs them. Only with a `jpki_auth` query in the same request, whose login statement
 * binds the answer to the request.
 */
export interface JpkiSignDigest {
  readonly type: 'jpki_sign_digest';
  readonly credential_ids: readonly [string];
  /** base64url: the 32-byte SHA-256 digest, or its 51-byte DER DigestInfo when `digest_info` is true. */
  readonly digest: string;
  readonly digest_info: boolean;
  readonly document_title: string;
}

/**
 * What a `jpki_sign` query asks the holder to sign, checked: a document (signed as detached CMS) or a
 * digest (signed as given, raw PKCS#1 v1.5).
 */
export type JpkiSignEntry =
  | {
      readonly kind: 'document';
      readonly bytes: Uint8Array;
      readonly title: string;
      readonly mediaType: string;
    }
  | {
      readonly kind: 'digest';
      /** Exactly the bytes the card signs: 32 bytes, or the 51-byte SHA-256 DigestInfo. */
      readonly bytes: Uint8Array;
      readonly digestInfo: boolean;
      readonly title: string;
    };

const JPKI_SIGN_TYPES = ['jpki_sign_document', 'jpki_sign_digest'];
// RFC 8017 §9.2 note 1: the DER DigestInfo of a SHA-256 hash is this prefix followed by the 32 bytes.
const SHA256_DIGEST_INFO_PREFIX = Uint8Array.of(
  0x30,
  0x31,
  0x30,
  0x0d,
  0x06,
  0x09,
  0x60,
  0x86,
  0x48,
  0x01,
  0x65,
  0x03,
  0x04,
  0x02,
  0x01,
  0x05,
  0x00,
  0x04,
  0x20,
);

/**
 * The one `jpki_sign_document` or `jpki_sign_digest` entry for query `id`, checked. Throws `ERR_OPENID4VP`.
 *
 * @example
 * ```ts
 * const entry = jpkiSignEntryFor(request, 'sign');
 * if (entry.kind === 'digest') show(entry.title, entry.bytes);
 * ```
 */
export function jpkiSignEntryFor(request: TransactionDataCarrier, id: string): JpkiSignEntry {
  const entry = oneJpkiSignEntry(request, id);
  if (entry.type === 'jpki_sign_digest') return checkedDigestEntry(entry);
  const document = checkedDocumentEntry(entry);
  return {
    kind: 'document',
    bytes: document.bytes,
    title: document.document_title,
    mediaType: document.document_media_type,
  };
}

/**
 * The `jpki_sign_document` entry for query `id`, checked. Throws `ERR_OPENID4VP`, also when the
 * query asks for a digest signature instead (read that with {@link jpkiSignEntryFor}).
 */
export function jpkiSignDocumentFor(
  request: TransactionDataCarrier,
  id: string,
): JpkiSignDocument & { bytes: Uint8Array } {
  const entry = oneJpkiSignEntry(request, id);
  if (entry.type === 'jpki_sign_digest')
    throw new MdocError(
      'ERR_OPENID4VP',
      `the jpki_sign query "${id}" asks for a signature over a digest (jpki_sign_digest), not over a document`,
    );
  return checkedDocumentEntry(entry);
}

/** The one `transaction_data` entry naming `jpki_sign` query `id`, unchecked beyond its type. */
function oneJpkiSignEntry(request: TransactionDataCarrier, id: string): ReturnType<typeof decodeTransactionData> {
  const entries = (request.transaction_data ?? [])
    .map(decodeTransactionData)
    .filter((entry) => JPKI_SIGN_TYPES.includes(entry.type) && entry.credential_ids.includes(id));
  if (entries.length !== 1)
    throw new MdocError(
      'ERR_OPENID4VP',
      `the jpki_sign query "${id}" needs exactly one jpki_sign_document or jpki_sign_digest entry`,
    );
  return entries[0]!;
}

function checkedDocumentEntry(entry: Record<string, unknown>): JpkiSignDocument & { bytes: Uint8Array } {
  if (
    typeof entry['document'] !== 'string' ||
    typeof entry['document_title'] !== 'string' ||
    entry['document_title'].length === 0 ||
    typeof entry['document_media_type'] !== 'string'
  )
    throw new MdocError(
      'ERR_OPENID4VP',
      'a jpki_sign_document entry needs document, document_title, document_media_type',
    );
  const bytes = decodeBase64UrlField(entry['document'], 'the jpki_sign_document "document"');
  if (bytes.length === 0 || bytes.length > 65_536)
    throw new MdocError('ERR_OPENID4VP', 'the document to sign is empty or larger than 64 KiB');
  return { ...(entry as unknown as JpkiSignDocument), bytes };
}

function checkedDigestEntry(entry: Record<string, unknown>): JpkiSignEntry {
  if (
    typeof entry['digest'] !== 'string' ||
    typeof entry['digest_info'] !== 'boolean' ||
    typeof entry['document_title'] !== 'string' ||
    entry['document_title'].length === 0
  )
    throw new MdocError('ERR_OPENID4VP', 'a jpki_sign_digest entry needs digest, digest_info, document_title');
  const bytes = decodeBase64UrlField(entry['digest'], 'the jpki_sign_digest "digest"');
  const digestInfo = entry['digest_info'];
  if (!isSignableDigest(bytes, digestInfo))
    throw new MdocError(
      'ERR_OPENID4VP',
      digestInfo
        ? 'the jpki_sign_digest "digest" is not the DER DigestInfo of a SHA-256 hash (51 bytes)'
        : 'the jpki_sign_digest "digest" is not a SHA-256 hash (32 bytes)',
    );
  return { kind: 'digest', bytes, digestInfo, title: entry['document_title'] };
}

/**
 * Whether `bytes` may be signed as a `jpki_sign_digest`: a SHA-256 hash (32 bytes), or — `digestInfo` —
 * its DER DigestInfo (the fixed 19-byte prefix and the hash, 51 bytes).
 */
export function isSignableDigest(bytes: Uint8Array, digestInfo: boolean): boolean {
  if (!digestInfo) return bytes.length === 32;
  const prefix = SHA256_DIGEST_INFO_PREFIX;
  return bytes.length === prefix.length + 32 && prefix.every((byte, index) => bytes[index] === byte);
}

/** A base64url request or response member (RFC 4648 §5, unpadded); throws `ERR_OPENID4VP` naming it. */
export function decodeBase64UrlField(text: string, what: string): Uint8Array {
  try {
    return base64UrlDecode(text);
  } catch (error) {
    throw new MdocError('ERR_OPENID4VP', `${what} is not base64url`, { cause: error });
  }
}
