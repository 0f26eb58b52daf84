import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The external test data (`test-vectors/` in the repository, each folder's README naming its source
 * and licence); `OPENMYNA_VECTORS` points elsewhere, e.g. at a newer copy.
 */
export const VECTORS_DIR = resolve(process.env['OPENMYNA_VECTORS'] ?? resolve(REPO_ROOT, 'test-vectors'));

function vectorPath(path: string): string {
  const at = resolve(VECTORS_DIR, path);
  if (!existsSync(at)) {
    const where = process.env['OPENMYNA_VECTORS']
      ? `OPENMYNA_VECTORS (${VECTORS_DIR})`
      : relative(REPO_ROOT, VECTORS_DIR);
    throw new Error(`test vector ${path} is missing: it belongs at ${at}, under ${where} (see test-vectors/README.md)`);
  }
  return at;
}

/** The bytes of a test-vector file. */
export function readVector(path: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(vectorPath(path)));
}

/** A text test-vector file. */
export function readVectorText(path: string): string {
  return readFileSync(vectorPath(path), 'utf8');
}

/** A JSON test-vector file. */
export function readVectorJson<T = unknown>(path: string): T {
  return JSON.parse(readVectorText(path)) as T;
}
