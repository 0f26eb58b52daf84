import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { base64UrlEncode } from '@openmyna/core';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * Ties a waiting flow (`id`) to the browser that started it: a random secret in an HttpOnly cookie,
 * of which the database keeps the SHA-256. Returns that digest.
 */
export function bindBrowser(c: Context, id: string): string {
  const secret = base64UrlEncode(new Uint8Array(randomBytes(24)));
  setCookie(c, `w_${id}`, secret, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 900 });
  return digest(secret);
}

/** Whether this request comes from the browser bound to `id` (compared in constant time). */
export function isBoundBrowser(c: Context, id: string, expected: string): boolean {
  const secret = getCookie(c, `w_${id}`);
  const wanted = Buffer.from(expected, 'hex');
  // A binding ended (its digest cleared) matches no cookie; timingSafeEqual wants equal lengths.
  if (!secret || wanted.length !== 32) return false;
  return timingSafeEqual(Buffer.from(digest(secret), 'hex'), wanted);
}

/** Ends the binding once the flow is over. */
export function unbindBrowser(c: Context, id: string): void {
  deleteCookie(c, `w_${id}`, { path: '/' });
}

/** A fresh session token for a signed-in browser and the digest the database keeps. */
export function newSessionToken(): { token: string; digest: string } {
  const token = base64UrlEncode(new Uint8Array(randomBytes(32)));
  return { token, digest: digest(token) };
}

export const sessionDigest = digest;
