import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The test files of the portable packages (DESIGN.md: they run in browsers as well as in Node) that
 * can run in a browser as they are: neither they nor anything they import from the repository uses
 * Node's modules or globals, a package's `/node` adapters, or a Node-only package. Vitest runs these
 * a second time in Debian's Chromium (the `browser` project in vitest.config.ts), so a portable
 * package that starts to need Node fails there. Tests that read vector files or start services stay
 * Node-only.
 */
export function portableTestFiles(root: string): string[] {
  const files: string[] = [];
  for (const name of PORTABLE_PACKAGES) {
    const dir = resolve(root, 'packages', name, 'test');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }))
      if (file.endsWith('.test.ts') && runsInBrowser(resolve(dir, file), new Map())) files.push(resolve(dir, file));
  }
  return files.sort();
}

const PORTABLE_PACKAGES = ['core', 'pki', 'card', 'mdoc', 'verifier', 'wallet'];
const NODE_ONLY_MODULE =
  /^(node:|@openmyna\/[^/]+\/node$|@openmyna\/(storage|service|issuer|verifier-service|cli)$|pg$|better-sqlite3$|ws$|pino$|kysely$|playwright-core$|esbuild$)/;
const NODE_ONLY_GLOBAL = /\b(Buffer|process|__dirname|__filename|require)\b|import\.meta\.dirname/;
const IMPORT = /(?:from|import)\s*\(?\s*'([^']+)'/g;

function runsInBrowser(file: string, seen: Map<string, boolean>): boolean {
  const known = seen.get(file);
  if (known !== undefined) return known;
  seen.set(file, true);
  const text = readFileSync(file, 'utf8');
  let ok = !NODE_ONLY_GLOBAL.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''));
  for (const [, specifier] of text.matchAll(IMPORT)) {
    if (!ok || specifier === undefined) break;
    if (NODE_ONLY_MODULE.test(specifier)) ok = false;
    else if (specifier.startsWith('.')) {
      const source = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      ok = existsSync(source) && runsInBrowser(source, seen);
    }
  }
  seen.set(file, ok);
  return ok;
}
