#!/usr/bin/env node
// Raises the per-package coverage floors in coverage-thresholds.json to what the last coverage run
// measured (artifacts/coverage/coverage-summary.json, written by `npm test`), rounded down to whole
// percent. A floor is never lowered: a package that covers less than before fails `npm test` until
// its tests are back, not until someone edits the file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUMMARY = resolve(ROOT, 'artifacts/coverage/coverage-summary.json');
const THRESHOLDS = resolve(ROOT, 'coverage-thresholds.json');
const METRICS = ['statements', 'branches', 'functions', 'lines'];

if (!existsSync(SUMMARY)) {
  process.stderr.write(
    `coverage-raise: ${relative(ROOT, SUMMARY)} is missing: run npm test (or vitest run --coverage) first\n`,
  );
  process.exit(2);
}
const summary = JSON.parse(readFileSync(SUMMARY, 'utf8'));
const totals = {};
for (const [file, figures] of Object.entries(summary)) {
  // Keyed by the package's folder, whichever checkout wrote the summary (a CI clone, say).
  const match = /(?:^|\/)((?:packages|apps)\/[^/]+)\/src\/(?!.*\/(?:packages|apps)\/[^/]+\/src\/)/.exec(file);
  if (!match) continue;
  const folder = (totals[match[1]] ??= Object.fromEntries(METRICS.map((m) => [m, { total: 0, covered: 0 }])));
  for (const metric of METRICS) {
    folder[metric].total += figures[metric].total;
    folder[metric].covered += figures[metric].covered;
  }
}
const floors = existsSync(THRESHOLDS) ? JSON.parse(readFileSync(THRESHOLDS, 'utf8')) : {};
for (const [folder, figures] of Object.entries(totals).sort(([a], [b]) => a.localeCompare(b))) {
  const before = floors[folder] ?? {};
  const after = {};
  for (const metric of METRICS) {
    const { total, covered } = figures[metric];
    const measured = total === 0 ? 100 : Math.floor((covered / total) * 100);
    after[metric] = Math.max(measured, before[metric] ?? 0);
  }
  floors[folder] = after;
  process.stdout.write(`${folder.padEnd(22)} ${METRICS.map((m) => `${m} ${after[m]}%`).join('  ')}\n`);
}
const sorted = Object.fromEntries(Object.entries(floors).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(THRESHOLDS, `${JSON.stringify(sorted, null, 2)}\n`);
process.stdout.write(`coverage-raise: wrote ${relative(ROOT, THRESHOLDS)}\n`);
