import { base64UrlEncode } from '@openmyna/core';
import type { EcPrivateKey } from '@openmyna/mdoc';

/**
 * A compact JWS (RFC 7515 §7.1) with `alg: ES256`, signed by a key that never leaves its custody (a
 * token signs the signing input; jose would need the key as a `CryptoKey`).
 *
 * @example
 * ```ts
 * const jwt = await signEs256Jwt(await custody.ecKey('pin-reset'), { typ: 'example+jwt' }, { sub: 'p1' });
 * ```
 */
export async function signEs256Jwt(
  key: Pick<EcPrivateKey, 'signEs256'>,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  const encode = (value: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)));
  // The header cannot name another algorithm than the one that signs.
  const signingInput = `${encode({ ...header, alg: 'ES256' })}.${encode(claims)}`;
  // RFC 7518 §3.4: the ES256 signature is r‖s, 64 bytes, as the key returns it.
  const signature = await key.signEs256(new TextEncoder().encode(signingInput));
  return `${signingInput}.${base64UrlEncode(signature)}`;
}
