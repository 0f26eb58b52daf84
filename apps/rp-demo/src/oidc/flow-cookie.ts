import { hkdfSync } from 'node:crypto';

import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { EncryptJWT, jwtDecrypt } from 'jose';

import { OidcFlowError } from './errors.js';

/** What the browser's flow needs on the callback, kept sealed in its cookie: never readable by the browser. */
export interface OidcFlow {
  readonly flow: 'login' | 'sign';
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** `sign`: the transaction and the document whose SHA-256 it signs. */
  readonly signTransactionId?: string;
  readonly document?: string;
}

const COOKIE = 'rp_oidc_flow';
/** The provider's interaction lives 600 s; the flow as long. */
const FLOW_SECONDS = 600;

/** The cookie's key: derived from the firm's sealing key, for this use only. */
export function flowCookieKey(sealingKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', sealingKey, new Uint8Array(0), 'openmyna-rp-demo/oidc-flow/v1', 32));
}

/** Keeps `flow` in an HttpOnly cookie, encrypted and authenticated (JWE `dir`, A256GCM), for 10 minutes. */
export async function sealFlow(c: Context, key: Uint8Array, flow: OidcFlow, now: Date): Promise<void> {
  const seconds = Math.floor(now.getTime() / 1000);
  const sealed = await new EncryptJWT({ ...flow })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + FLOW_SECONDS)
    .encrypt(key);
  setCookie(c, COOKIE, sealed, { httpOnly: true, sameSite: 'Lax', path: '/oidc', maxAge: FLOW_SECONDS });
}

/** The flow this browser started, taken once: the cookie is deleted whatever it held. */
export async function takeFlow(c: Context, key: Uint8Array, now: Date): Promise<OidcFlow> {
  const sealed = getCookie(c, COOKIE);
  deleteCookie(c, COOKIE, { path: '/oidc' });
  if (!sealed) throw new OidcFlowError('ERR_OIDC_NO_FLOW', 'no OpenID Connect flow cookie');
  try {
    const { payload } = await jwtDecrypt(sealed, key, { currentDate: now, keyManagementAlgorithms: ['dir'] });
    if (payload['flow'] !== 'login' && payload['flow'] !== 'sign') throw new Error('"flow" is missing');
    return payload as unknown as OidcFlow;
  } catch (cause) {
    throw new OidcFlowError('ERR_OIDC_NO_FLOW', 'the flow cookie is expired or not ours', undefined, { cause });
  }
}
