// Checks what each workspace package would publish: `publint` (package.json fields, exports, files)
// and `@arethetypeswrong/cli` (its types resolve as its JavaScript does, for an ESM-only package).
// Runs on the built `dist/` (npm run build first), as part of `npm run lint`.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const packages = readdirSync(join(root, 'packages')).map((name) => join('packages', name));

const missing = packages.filter((dir) => !existsSync(join(root, dir, 'dist')));
if (missing.length > 0) {
  console.error(`check-packages: build first (npm run build); no dist/ in ${missing.join(', ')}`);
  process.exit(1);
}

async function check(dir) {
  const problems = [];
  for (const [tool, args] of [
    ['publint', [dir, '--strict']],
    ['attw', ['--pack', dir, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji', '--no-color']],
  ]) {
    try {
      await run(bin(tool), args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      problems.push(`${tool} ${dir}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
  return problems;
}

// Two at a time: each packs its package with npm.
const problems = [];
for (let index = 0; index < packages.length; index += 2) {
  for (const found of await Promise.all(packages.slice(index, index + 2).map(check))) problems.push(...found);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`check-packages: ${packages.length} packages pass publint and attw (esm-only)`);
