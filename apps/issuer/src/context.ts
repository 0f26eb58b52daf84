import type { Kysely } from 'kysely';

import type { IssuerSchema } from './storage/schema.js';
import { base64UrlEncode } from '@openmyna/core';

/** A boundary of a state change where a crash test may stop the process (see test/crash-child.ts). */
export type CrashPoint =
  | 'certificate-prepared'
  | 'certificate-signed'
  | 'certificate-recorded'
  | 'revocation-pending'
  | 'revocation-committed'
  | 'phone-provisioning'
  | 'phone-credentials-issued'
  | 'phone-active'
  | 'mdoc-batch-reserved'
  | 'mdoc-batch-signed'
  | 'mdoc-batch-issued';

/** What every issuer operation runs with: the database and the injected world (STYLE.md 9). */
export interface IssuerContext {
  readonly db: Kysely<IssuerSchema>;
  readonly clock: () => Date;
  readonly randomBytes: (length: number) => Uint8Array;
  /** The issuer's registry key (32 bytes): My Numbers are indexed by its HMAC and sealed under it. */
  readonly registryKey: Uint8Array;
  /** Called at each crash point; tests kill the process there. */
  readonly onBoundary?: (point: CrashPoint) => void;
}

/** A random identifier: `prefix` + 128 bits in base64url. */
export function newId(context: IssuerContext, prefix: string): string {
  return prefix + base64UrlEncode(context.randomBytes(16));
}

export const isoTime = (date: Date): string => date.toISOString();
