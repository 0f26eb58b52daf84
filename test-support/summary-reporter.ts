import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { Reporter, TestModule } from 'vitest/node';

const TOOLS = resolve(import.meta.dirname, '../artifacts/test-tools.json');

/**
 * Ends a run with the tool versions `scripts/test-setup.mjs` found and one plain line,
 * `vitest: N passed, N failed, N skipped`, that CI logs and tools that do not know Vitest's own
 * summary can read. Under a shifted clock (scripts/test-shifted-clock.mjs) the line says so.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
    }
    if (existsSync(TOOLS)) {
      const tools = JSON.parse(readFileSync(TOOLS, 'utf8')) as Record<string, string | null>;
      const found = Object.entries(tools).filter(([, version]) => version);
      process.stdout.write(`tools: ${found.map(([name, version]) => `${name} ${version}`).join(' · ')}\n`);
    }
    const shift = process.env['OPENMYNA_CLOCK_SHIFTED'];
    const label = shift ? `shifted-clock(${shift})` : 'vitest';
    process.stdout.write(`${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
