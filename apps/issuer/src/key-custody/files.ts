import { readFile, rename, writeFile } from 'node:fs/promises';

/** Write-new, then rename: readers see the old file or the new one, never half of one. */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  // Owner-only whatever the umask: what we write holds keys or personal data.
  await writeFile(temporary, data, { flush: true, mode: 0o600 });
  await rename(temporary, path);
}

/** A JSON file, or undefined when it does not exist (any other error, or bad JSON, throws). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Sets `fields` in the JSON object at `path` (created if missing), keeping its other fields. */
export async function mergeJson(path: string, fields: Record<string, unknown>): Promise<void> {
  const current = (await readJson<Record<string, unknown>>(path)) ?? {};
  await writeAtomically(path, JSON.stringify({ ...current, ...fields }, null, 2) + '\n');
}
