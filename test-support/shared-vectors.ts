import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `../shared/vectors` beside the checkout, where the external test data lives (never copied in). */
export const VECTORS_DIR = process.env['OPENMYNA_VECTORS'] ?? resolve(REPO_ROOT, '../shared/vectors');

/** The bytes of a file under the shared vectors folder. */
export function readVector(path: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(VECTORS_DIR, path)));
}

/** A text file under the shared vectors folder. */
export function readVectorText(path: string): string {
  return readFileSync(resolve(VECTORS_DIR, path), 'utf8');
}

/** A JSON file under the shared vectors folder. */
export function readVectorJson<T = unknown>(path: string): T {
  return JSON.parse(readVectorText(path)) as T;
}
