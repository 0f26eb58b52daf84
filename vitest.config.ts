import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { defineConfig } from 'vitest/config';

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
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 30_000,
    reporters: ['default', './test-support/summary-reporter.ts'],
  },
});
