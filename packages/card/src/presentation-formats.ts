import { base64UrlDecode, base64UrlEncode } from '@openmyna/core';

import { CardError } from './errors.js';
import type { KenhojoRecords } from './kenhojo-records.js';

/**
 * The `vp_token` encodings of the card-application formats (docs/openid4vp-formats.md), written by the
 * wallet and read by the verifier. Each presentation is bytes, carried base64url in the `vp_token` like
 * an mdoc DeviceResponse:
 *
 * - `jpki_sign`: the CMS SignedData (DER, detached) over the `jpki_sign_document`, or for a
 *   `jpki_sign_digest` UTF-8 JSON `{ certificate, signature }`, each base64url;
 * - `jpki_auth`: UTF-8 JSON `{ certificate, signature }`, each base64url;
 * - `jp_kenhojo`: UTF-8 JSON `{ integrity_record, cv_certificate, my_number?, basic_four_info? }`,
 *   each the record's bytes as read from the 入力補助AP, base64url.
 */

/** The `jpki_auth` presentation: the authentication certificate and its signature. */
export interface JpkiAuthPresentation {
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * The `jpki_sign` presentation of a `jpki_sign_digest`: the signing certificate and the raw
 * RSASSA-PKCS1-v1_5 signature value over exactly the relying party's bytes.
 */
export interface JpkiSignDigestPresentation {
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
}

const KENHOJO_MEMBERS = ['integrity_record', 'cv_certificate', 'my_number', 'basic_four_info'];

/**
 * The `jp_kenhojo` presentation of records as read.
 *
 * @example
 * ```ts
 * const bytes = encodeKenhojoPresentation({ integrityRecord, cvCertificate, myNumberFile });
 * ```
 */
export function encodeKenhojoPresentation(records: KenhojoRecords): Uint8Array {
  return utf8Json({
    integrity_record: base64UrlEncode(records.integrityRecord),
    cv_certificate: base64UrlEncode(records.cvCertificate),
    ...(records.myNumberFile ? { my_number: base64UrlEncode(records.myNumberFile) } : {}),
    ...(records.basicFourInfoFile ? { basic_four_info: base64UrlEncode(records.basicFourInfoFile) } : {}),
  });
}

/** Reads a `jp_kenhojo` presentation. Throws CardError `ERR_PRESENTATION_FORMAT`. */
export function decodeKenhojoPresentation(bytes: Uint8Array): KenhojoRecords {
  const value = jsonObject(bytes, 'jp_kenhojo');
  const extra = Object.keys(value).filter((key) => !KENHOJO_MEMBERS.includes(key));
  if (extra.length > 0)
    // The sender's own key names are never quoted back: they could carry anything, a My Number included.
    throw new CardError('ERR_PRESENTATION_FORMAT', `jp_kenhojo carries ${extra.length} unknown member(s)`);
  const myNumber = value['my_number'];
  const basicFourInfo = value['basic_four_info'];
  return {
    integrityRecord: member(value['integrity_record'], 'integrity_record'),
    cvCertificate: member(value['cv_certificate'], 'cv_certificate'),
    ...(myNumber === undefined ? {} : { myNumberFile: member(myNumber, 'my_number') }),
    ...(basicFourInfo === undefined ? {} : { basicFourInfoFile: member(basicFourInfo, 'basic_four_info') }),
  };
}

/**
 * The `jpki_auth` presentation: the authentication certificate and its signature.
 *
 * @example
 * ```ts
 * const bytes = encodeJpkiAuthPresentation({ certificate, signature });
 * ```
 */
export function encodeJpkiAuthPresentation(value: JpkiAuthPresentation): Uint8Array {
  return utf8Json({ certificate: base64UrlEncode(value.certificate), signature: base64UrlEncode(value.signature) });
}

/** Reads a `jpki_auth` presentation. Throws CardError `ERR_PRESENTATION_FORMAT`. */
export function decodeJpkiAuthPresentation(bytes: Uint8Array): JpkiAuthPresentation {
  const value = jsonObject(bytes, 'jpki_auth');
  return {
    certificate: member(value['certificate'], 'certificate'),
    signature: member(value['signature'], 'signature'),
  };
}

/**
 * The `jpki_sign` presentation of a `jpki_sign_digest`.
 *
 * @example
 * ```ts
 * const bytes = encodeJpkiSignDigestPresentation({ certificate, signature });
 * ```
 */
export function encodeJpkiSignDigestPresentation(value: JpkiSignDigestPresentation): Uint8Array {
  return utf8Json({ certificate: base64UrlEncode(value.certificate), signature: base64UrlEncode(value.signature) });
}

/** Reads the `jpki_sign` presentation of a `jpki_sign_digest`. Throws CardError `ERR_PRESENTATION_FORMAT`. */
export function decodeJpkiSignDigestPresentation(bytes: Uint8Array): JpkiSignDigestPresentation {
  const value = jsonObject(bytes, 'jpki_sign');
  if (Object.keys(value).some((key) => key !== 'certificate' && key !== 'signature'))
    throw new CardError('ERR_PRESENTATION_FORMAT', 'a jpki_sign presentation carries only certificate and signature');
  return {
    certificate: member(value['certificate'], 'certificate'),
    signature: member(value['signature'], 'signature'),
  };
}

function member(text: unknown, field: string): Uint8Array {
  if (typeof text !== 'string') throw new CardError('ERR_PRESENTATION_FORMAT', `"${field}" is not base64url`);
  try {
    return base64UrlDecode(text);
  } catch (cause) {
    throw new CardError('ERR_PRESENTATION_FORMAT', `"${field}" is not base64url`, { cause });
  }
}

function jsonObject(bytes: Uint8Array, format: 'jpki_auth' | 'jpki_sign' | 'jp_kenhojo'): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new CardError('ERR_PRESENTATION_FORMAT', `a ${format} presentation is not a JSON object`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CardError('ERR_PRESENTATION_FORMAT', `a ${format} presentation is not a JSON object`);
  return value as Record<string, unknown>;
}

function utf8Json(value: Record<string, string>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
