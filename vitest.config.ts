import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test-support/chromium.js';
import { coverageThresholds } from './test-support/coverage.js';
import { portableTestFiles } from './test-support/portable-tests.js';

// Tests import workspace packages from their sources, so `npm test` needs no build step in between.
const packages = readdirSync(resolve(import.meta.dirname, 'packages'));
const alias = [
  // `@openmyna/pki/ca`: certificate, CRL and OCSP building.
  { find: '@openmyna/pki/ca', replacement: resolve(import.meta.dirname, 'packages/pki/src/ca/index.ts') },
  // `<package>/node`: the Node adapters of a portable package.
  ...packages.map((name) => ({
    find: `@openmyna/${name}/node`,
    replacement: resolve(import.meta.dirname, 'packages', name, 'src/node/index.ts'),
  })),
  ...packages.map((name) => ({
    find: new RegExp(`^@openmyna/${name}$`),
    replacement: resolve(import.meta.dirname, 'packages', name, 'src/index.ts'),
  })),
];

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 30_000,
    // Hooks build CAs (in SoftHSM2, too) and start services: on a busy machine that outlasts the default 10 s.
    hookTimeout: 60_000,
    reporters: ['default', './test-support/summary-reporter.ts'],
    // On with `--coverage` (npm test): per-package floors in coverage-thresholds.json, which
    // `npm run coverage:raise` only ever raises.
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.{ts,tsx}', 'apps/*/src/**/*.{ts,tsx}'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'artifacts/coverage',
      thresholds: coverageThresholds(import.meta.dirname),
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: [
            'packages/*/test/**/*.test.ts',
            'apps/*/test/**/*.test.ts',
            'e2e/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
        },
      },
      {
        // The portable packages' tests that need nothing of Node run again in Debian's Chromium.
        extends: true,
        test: {
          name: 'chromium',
          include: portableTestFiles(import.meta.dirname),
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
