import type { KenhojoRecords } from '@openmyna/card';

import { VerifierError } from './errors.js';

/**
 * The `vp_token` encodings of our card-application formats (docs/openid4vp-formats.md). Each
 * presentation is bytes, carried base64url in the `vp_token` like an mdoc DeviceResponse:
 *
 * - `jpki_sign`: the CMS SignedData (DER, detached) over the `jpki_sign_document`;
 * - `jpki_auth`: UTF-8 JSON `{ certificate, signature }`, each base64url;
 * - `jp_kenhojo`: UTF-8 JSON `{ integrity_record, cv_certificate, my_number?, basic_four_info? }`,
 *   each the record's bytes as read from the 入力補助AP, base64url.
 */
const b64u = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const fromB64u = (text: unknown, field: string): Uint8Array => {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text))
    throw new VerifierError('ERR_PRESENTATION_FORMAT', `"${field}" is not base64url`);
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
};
const json = (bytes: Uint8Array, format: string): Record<string, unknown> => {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new VerifierError('ERR_PRESENTATION_FORMAT', `a ${format} presentation is not a JSON object`, {
      cause: error,
    });
  }
};
const text = (value: object) => new TextEncoder().encode(JSON.stringify(value));

/** The `jp_kenhojo` presentation of records as read. */
export function encodeKenhojoPresentation(records: KenhojoRecords): Uint8Array {
  return text({
    integrity_record: b64u(records.integrityRecord),
    cv_certificate: b64u(records.cvCertificate),
    ...(records.myNumberFile ? { my_number: b64u(records.myNumberFile) } : {}),
    ...(records.basicFourInfoFile ? { basic_four_info: b64u(records.basicFourInfoFile) } : {}),
  });
}

/** Reads a `jp_kenhojo` presentation. Throws `ERR_PRESENTATION_FORMAT`. */
export function decodeKenhojoPresentation(bytes: Uint8Array): KenhojoRecords {
  const value = json(bytes, 'jp_kenhojo');
  const known = ['integrity_record', 'cv_certificate', 'my_number', 'basic_four_info'];
  const extra = Object.keys(value).filter((key) => !known.includes(key));
  if (extra.length > 0)
    // The sender's own key names are never quoted back: they could carry anything, a My Number included.
    throw new VerifierError('ERR_PRESENTATION_FORMAT', `jp_kenhojo carries ${extra.length} unknown member(s)`);
  return {
    integrityRecord: fromB64u(value['integrity_record'], 'integrity_record'),
    cvCertificate: fromB64u(value['cv_certificate'], 'cv_certificate'),
    ...(value['my_number'] === undefined ? {} : { myNumberFile: fromB64u(value['my_number'], 'my_number') }),
    ...(value['basic_four_info'] === undefined
      ? {}
      : { basicFourInfoFile: fromB64u(value['basic_four_info'], 'basic_four_info') }),
  };
}

/** The `jpki_auth` presentation: the authentication certificate and its signature. */
export function encodeJpkiAuthPresentation(value: { certificate: Uint8Array; signature: Uint8Array }): Uint8Array {
  return text({ certificate: b64u(value.certificate), signature: b64u(value.signature) });
}

/** Reads a `jpki_auth` presentation. Throws `ERR_PRESENTATION_FORMAT`. */
export function decodeJpkiAuthPresentation(bytes: Uint8Array): { certificate: Uint8Array; signature: Uint8Array } {
  const value = json(bytes, 'jpki_auth');
  return {
    certificate: fromB64u(value['certificate'], 'certificate'),
    signature: fromB64u(value['signature'], 'signature'),
  };
}
