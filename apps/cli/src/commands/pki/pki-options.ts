import { resolve } from 'node:path';

import { CRL_REASON, type CrlReasonName, type Hierarchy } from '@openmyna/pki';
import { InvalidArgumentError } from 'commander';

import type { CliIo } from '../../io.js';

/** Parses `--hierarchy`, for commander options. */
export function hierarchyOption(value: string): Hierarchy {
  if (value === 'signing' || value === 'authentication') return value;
  throw new InvalidArgumentError('must be "signing" or "authentication"');
}

const REVOCATION_REASONS = Object.keys(CRL_REASON).filter((name) => name !== 'removeFromCRL');

/** Parses `--reason` (any CRLReason but removeFromCRL, which only `pki resume` records), for commander options. */
export function reasonOption(value: string): CrlReasonName {
  if (value in CRL_REASON && value !== 'removeFromCRL') return value as CrlReasonName;
  throw new InvalidArgumentError(`must be one of ${REVOCATION_REASONS.join(', ')}`);
}

/** `--db`, the issuer's registry, as the pki commands spell it. */
export const DB_OPTION = [
  '--db <url>',
  "the issuer's registry: postgres://… or a SQLite file (default <data>/issuer.db)",
] as const;

/** `--data`, the data directory. */
export const DATA_OPTION = ['--data <dir>', 'data directory', './.openmyna'] as const;

/** The data directory of `--data`, resolved against the working directory. */
export function dataDirOf(io: CliIo, flags: { readonly data: string }): string {
  return resolve(io.cwd, flags.data);
}
