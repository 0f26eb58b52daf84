import { base64UrlEncode } from '@openmyna/core';
import type { Kysely } from 'kysely';

import type { VerifierSchema } from './storage/schema.js';

/** What every verifier-service operation runs with: the database and the injected world (STYLE.md 9). */
export interface VerifierContext {
  readonly db: Kysely<VerifierSchema>;
  readonly clock: () => Date;
  readonly randomBytes: (length: number) => Uint8Array;
}

/** `prefix` + `bytes` random bytes in base64url. */
export function randomId(context: VerifierContext, prefix: string, bytes = 16): string {
  return prefix + base64UrlEncode(context.randomBytes(bytes));
}

export const isoTime = (date: Date): string => date.toISOString();
