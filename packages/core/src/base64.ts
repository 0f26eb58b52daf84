import { base64, base64nopad, base64url, base64urlnopad } from '@scure/base';
import { CoreError } from './errors.js';

/**
 * The one base64 codec of openmyna (RFC 4648 §4 and §5), on `@scure/base`. Decoding is strict:
 * characters outside the alphabet, wrong padding and non-zero trailing bits are refused with
 * `ERR_BASE64`, so one byte string has exactly one accepted spelling.
 *
 * @example
 * ```ts
 * const jwkX = base64UrlEncode(point.subarray(1, 33)); // RFC 7518 §6.2.1.2: unpadded base64url
 * const der = base64Decode(pemBody);
 * ```
 */
export function base64Encode(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

/** RFC 4648 §4 base64 with padding, strictly (see {@link base64Encode}). */
export function base64Decode(text: string): Uint8Array {
  return decodeWith(base64, text, 'base64');
}

/** RFC 4648 §4 base64 without padding (as in COSE_Key-free JSON fields that drop it). */
export function base64NoPadDecode(text: string): Uint8Array {
  return decodeWith(base64nopad, text, 'unpadded base64');
}

/** RFC 4648 §5 base64url without padding, as JOSE (RFC 7515 §2) and OpenID4VP use it. */
export function base64UrlEncode(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

/** RFC 4648 §5 base64url without padding, strictly. */
export function base64UrlDecode(text: string): Uint8Array {
  return decodeWith(base64urlnopad, text, 'base64url');
}

/** RFC 4648 §5 base64url with padding, for the few formats that keep it. */
export function base64UrlPaddedDecode(text: string): Uint8Array {
  return decodeWith(base64url, text, 'padded base64url');
}

function decodeWith(codec: { decode(text: string): Uint8Array }, text: string, name: string): Uint8Array {
  try {
    return codec.decode(text);
  } catch (cause) {
    throw new CoreError('ERR_BASE64', `The text is not ${name} (RFC 4648).`, { cause });
  }
}
