import { decodeCbor, encodeCbor, encodedCbor, encodedCborBytes, type CborValue } from './cbor.js';
import { asArray, asEncodedCbor } from './cbor-structure.js';
import { concatBytes } from './bytes.js';
import type { MdocCrypto } from './crypto.js';
import { MdocError } from './errors.js';

/**
 * SessionTranscript (ISO/IEC 18013-5 §9.1.5.1): `[DeviceEngagementBytes, EReaderKeyBytes, Handover]`.
 * Kept as the exact encoded bytes, because signatures and MACs cover it as sent, never re-encoded.
 */
export interface SessionTranscript {
  /** The encoded array. */
  readonly bytes: Uint8Array;
  /** `SessionTranscriptBytes = #6.24(bstr .cbor SessionTranscript)`, the HKDF salt's input. */
  readonly taggedBytes: Uint8Array;
}

/** A transcript from its encoded array, checked to be a three-element array. */
export function sessionTranscriptFromBytes(bytes: Uint8Array): SessionTranscript {
  asArray(decodeCbor(bytes, 'SessionTranscript'), 'SessionTranscript', 3);
  return { bytes, taggedBytes: encodedCborBytes(bytes) };
}

/** A transcript from `SessionTranscriptBytes` (`#6.24(bstr)`), as Annex D publishes it. */
export function sessionTranscriptFromTaggedBytes(taggedBytes: Uint8Array): SessionTranscript {
  return sessionTranscriptFromBytes(
    asEncodedCbor(decodeCbor(taggedBytes, 'SessionTranscriptBytes'), 'SessionTranscriptBytes'),
  );
}

/**
 * The proximity transcript (§9.1.5.1, QR engagement): the device engagement and the reader's
 * ephemeral COSE_Key, each as `#6.24(bstr)` of the bytes exchanged, and a `null` handover.
 */
export function proximitySessionTranscript(deviceEngagement: Uint8Array, eReaderKey: Uint8Array): SessionTranscript {
  const bytes = concatBytes(
    Uint8Array.of(0x83),
    encodedCborBytes(deviceEngagement),
    encodedCborBytes(eReaderKey),
    Uint8Array.of(0xf6),
  );
  return { bytes, taggedBytes: encodedCborBytes(bytes) };
}

function handoverTranscript(handover: CborValue): SessionTranscript {
  return sessionTranscriptFromBytes(encodeCbor([null, null, handover]));
}

/**
 * OpenID4VP 1.0 Appendix B.2.6.1 (invocation via redirects):
 * `[null, null, ["OpenID4VPHandover", SHA-256([client_id, nonce, jwkThumbprint / null, response_uri])]]`.
 *
 * @example
 * ```ts
 * const transcript = await openId4VpSessionTranscript({ clientId, nonce, responseUri, jwkThumbprint: null }, crypto);
 * ```
 */
export async function openId4VpSessionTranscript(
  input: {
    readonly clientId: string;
    readonly nonce: string;
    readonly responseUri: string;
    /** SHA-256 JWK thumbprint (RFC 7638) of the verifier's encryption key for `direct_post.jwt`; else null. */
    readonly jwkThumbprint: Uint8Array | null;
  },
  crypto: MdocCrypto,
): Promise<SessionTranscript> {
  const info = encodeCbor([input.clientId, input.nonce, input.jwkThumbprint, input.responseUri]);
  return handoverTranscript(['OpenID4VPHandover', await crypto.digest('SHA-256', info)]);
}

/**
 * OpenID4VP 1.0 Appendix B.2.6.2 (Digital Credentials API):
 * `[null, null, ["OpenID4VPDCAPIHandover", SHA-256([origin, nonce, jwkThumbprint / null])]]`.
 */
export async function openId4VpDcApiSessionTranscript(
  input: { readonly origin: string; readonly nonce: string; readonly jwkThumbprint: Uint8Array | null },
  crypto: MdocCrypto,
): Promise<SessionTranscript> {
  const info = encodeCbor([input.origin, input.nonce, input.jwkThumbprint]);
  return handoverTranscript(['OpenID4VPDCAPIHandover', await crypto.digest('SHA-256', info)]);
}

/**
 * Encodes `#6.24(bstr .cbor [context, SessionTranscript, ...rest])` — DeviceAuthenticationBytes and
 * ReaderAuthenticationBytes — splicing in the transcript's received bytes unchanged.
 */
export function authenticationBytes(
  context: string,
  transcript: SessionTranscript,
  rest: readonly unknown[],
): Uint8Array {
  if (rest.length > 22) throw new MdocError('ERR_CBOR_STRUCTURE', 'too many fields');
  const array = concatBytes(
    Uint8Array.of(0x80 + 2 + rest.length),
    encodeCbor(context),
    transcript.bytes,
    ...rest.map((value) => encodeCbor(value)),
  );
  return encodeCbor(encodedCbor(array));
}
