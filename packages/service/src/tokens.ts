import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer …` header, or `undefined`. */
export function bearerToken(header: string | undefined): string | undefined {
  const token = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header ?? '')?.[1];
  return token;
}

/** SHA-256 (hex) of a token: what is stored at rest for an API key. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares two secrets in constant time whatever their lengths (each is hashed first). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}
