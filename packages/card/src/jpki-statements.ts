import { base64UrlEncode, encodeTlv } from '@openmyna/core';
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * The bytes the wallet signs with the phone's JPKI authentication key to log in: the challenge bound
 * to the relying party's client id (and, in OpenID4VP, to the request's nonce), so a signature made for
 * one relying party is worthless at another. The verifier checks the signature over the same bytes.
 *
 * @example
 * ```ts
 * const statement = loginStatement({ value: request.nonce, clientId: request.client_id });
 * ```
 */
export function loginStatement(
  challenge: { readonly value: string; readonly clientId: string },
  nonce = '',
): Uint8Array {
  return new TextEncoder().encode(`openmyna/jpki-login/v1\n${challenge.clientId}\n${challenge.value}\n${nonce}\n`);
}

/**
 * The CMS signed attribute that binds a `jpki_sign` signature to the OpenID4VP request it answers
 * (docs/openid4vp-formats.md). Its OID is under the UUID arc (ITU-T X.667, `2.25`), which needs no
 * registration; CMS verifiers that do not know it ignore it, so the signature stays a plain document
 * signature for them.
 */
export const REQUEST_BINDING_OID = '2.25.9762785583505939315748384954800828776';

/** What a `jpki_sign` signature is bound to: the request, and the 入力補助 records sent beside it. */
export interface SignatureRequestBinding {
  /** The request's `client_id`: the relying party the answer is for. */
  readonly clientId: string;
  /** The request's `nonce` (single use): the one request the answer is for. */
  readonly nonce: string;
  /** The `jp_kenhojo` presentation in the same answer, as sent: the signature covers it too. */
  readonly kenhojoPresentation?: Uint8Array;
}

/**
 * SHA-256 over `openmyna/jpki-sign-binding/v1\n<client_id>\n<nonce>\n<SHA-256 of the jp_kenhojo
 * presentation, base64url, or empty>\n` in UTF-8.
 */
export function requestBindingDigest(binding: SignatureRequestBinding): Uint8Array {
  const kenhojo = binding.kenhojoPresentation ? base64UrlEncode(sha256(binding.kenhojoPresentation)) : '';
  return sha256(
    new TextEncoder().encode(`openmyna/jpki-sign-binding/v1\n${binding.clientId}\n${binding.nonce}\n${kenhojo}\n`),
  );
}

/**
 * The signed attribute as `signCms` takes it: the digest as an OCTET STRING.
 *
 * @example
 * ```ts
 * await signCms({ content, signer, certificate, signingTime, extraAttributes: [requestBindingAttribute(binding)] });
 * ```
 */
export function requestBindingAttribute(binding: SignatureRequestBinding): { oid: string; value: Uint8Array } {
  return { oid: REQUEST_BINDING_OID, value: encodeTlv(0x04, requestBindingDigest(binding)) };
}
