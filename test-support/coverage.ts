import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The four figures Vitest's v8 coverage reports, in percent. */
export interface CoverageFloor {
  readonly statements: number;
  readonly branches: number;
  readonly functions: number;
  readonly lines: number;
}

/** `coverage-thresholds.json`: a floor per package or app, keyed by its folder (`packages/core`). */
export const THRESHOLDS_FILE = 'coverage-thresholds.json';

/**
 * Vitest's `coverage.thresholds`: one glob per package or app (`packages/core/src/**`) with its
 * floor, so a package whose tests stop covering its code fails `npm test` even when the total holds.
 */
export function coverageThresholds(root: string): Record<string, CoverageFloor> {
  const path = resolve(root, THRESHOLDS_FILE);
  if (!existsSync(path)) return {};
  const floors = JSON.parse(readFileSync(path, 'utf8')) as Record<string, CoverageFloor>;
  return Object.fromEntries(Object.entries(floors).map(([folder, floor]) => [`${folder}/src/**`, floor]));
}
