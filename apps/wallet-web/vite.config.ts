import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const ROOT = resolve(import.meta.dirname, '../..');

// The workspace packages are bundled from their sources, as the tests run them.
const alias = readdirSync(resolve(ROOT, 'packages')).map((name) => ({
  find: new RegExp(`^@openmyna/${name}$`),
  replacement: resolve(ROOT, 'packages', name, 'src/index.ts'),
}));

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  resolve: { alias },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
});
