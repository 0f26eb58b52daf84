import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

const ROOT = resolve(import.meta.dirname, '..');

/** Debian's Chromium, headless ({@link CHROMIUM_ARGS}); `extraArgs` adds switches (a fake camera, say). */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * Bundles a browser entry point (ES module) with the workspace packages taken from their sources,
 * as the tests import them; anything Node-only in the bundle is an error.
 */
export async function bundleForBrowser(entry: string): Promise<string> {
  const packages = readdirSync(resolve(ROOT, 'packages'));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    plugins: [
      {
        // `@openmyna/<package>` and its subpaths (`@openmyna/pki/ca`) from their sources.
        name: 'workspace-sources',
        setup(builder) {
          builder.onResolve({ filter: /^@openmyna\// }, ({ path }) => {
            const [, name, subpath] = /^@openmyna\/([^/]+)(?:\/(.+))?$/.exec(path) ?? [];
            if (name === undefined || !packages.includes(name)) return undefined;
            return { path: resolve(ROOT, 'packages', name, 'src', subpath ?? '', 'index.ts') };
          });
        },
      },
    ],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Serves one HTML page with `script` as its module on 127.0.0.1 at a free port. */
export async function servePage(
  script: string,
  title = 'openmyna test',
): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title><script type="module" src="/main.js"></script>`;
  const server = createServer((request, response) => {
    if (request.url === '/main.js') {
      response.setHeader('content-type', 'text/javascript; charset=utf-8');
      return void response.end(script);
    }
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(html);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
