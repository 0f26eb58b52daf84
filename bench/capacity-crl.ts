// The CRL part of `npm run bench -- capacity`: one CRL partition of many revoked certificates built
// (the pki package's `prepareCrl`) and signed (`signCrl`, which lints every entry first), beside a
// partition of the size docs/capacity.md proposes, both from the same CA in the same run.
import { prepareCrl, signCrl } from '@openmyna/pki/ca';

import { benchAuthority } from './fixtures.js';

export interface CrlMeasure {
  readonly entries: number;
  readonly bytes: number;
  readonly buildSeconds: number;
  readonly signSeconds: number;
}

/** Distinct positive serials of `count` revoked certificates (16 hex digits, as the issuer's are long). */
function serials(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (0x4000_0000_0000_0000n + BigInt(i) * 7919n).toString(16));
}

/** A signed CRL partition of many entries, the serials it lists, and how long building and signing took. */
export interface CrlPartition {
  readonly crl: Uint8Array;
  readonly serials: readonly string[];
  readonly buildSeconds: number;
  readonly signSeconds: number;
}

/** Builds and signs one CRL partition (a municipality's) of `count` revoked certificates, timed. */
export async function buildCrlPartition(count: number): Promise<CrlPartition> {
  const now = new Date();
  const { ca } = await benchAuthority('signing');
  const revoked = serials(count);
  const entries = revoked.map((serialNumber) => ({
    serialNumber,
    revocationDate: now,
    reason: 'affiliationChanged' as const,
  }));
  let started = performance.now();
  const prepared = prepareCrl({
    ca,
    municipalityCode: '14100',
    entries,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 86_400_000),
    crlNumber: 1n,
  });
  const buildSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const crl = await signCrl(prepared, ca);
  const signSeconds = (performance.now() - started) / 1000;
  return { crl, serials: revoked, buildSeconds, signSeconds };
}

/** Builds and signs one CRL partition of `count` entries; returns its size and timings. */
export async function measureCrlPartition(count: number): Promise<CrlMeasure> {
  const { crl, buildSeconds, signSeconds } = await buildCrlPartition(count);
  return { entries: count, bytes: crl.length, buildSeconds, signSeconds };
}
