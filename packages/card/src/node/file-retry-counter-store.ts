import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

import { CardError } from '../errors.js';
import { constantTimeEqual } from '@openmyna/core';
import type { RetryCounterStore } from '../retry-counter.js';

/** The points of a write where a crash test may stop the process. */
export type PersistencePoint = 'temporary-written' | 'temporary-synced' | 'renamed' | 'directory-synced';

interface StateFile {
  readonly format: 'openmyna-retry-counters/1';
  readonly sequence: number;
  readonly counters: Record<string, number>;
  /** HMAC-SHA-256 over the format, sequence and counters, hex. */
  readonly mac: string;
}

/**
 * Retry counters in one file, written atomically (write a new file, fsync it, rename it over the old
 * one, fsync the directory) and authenticated with an HMAC under the card's state key, so a torn,
 * truncated or edited file is detected (`ERR_RETRY_STATE_CORRUPT`) and never read as fresh tries.
 *
 * A file cannot stop someone from restoring an older copy of itself; hardware-backed storage is
 * needed for that. The sequence number lets a host that keeps its own high-water mark notice.
 */
export class FileRetryCounterStore implements RetryCounterStore {
  readonly #path: string;
  readonly #key: Uint8Array;
  readonly #onPersist: ((point: PersistencePoint) => void) | undefined;
  #cache: StateFile | undefined;

  constructor(options: { path: string; key: Uint8Array; onPersist?: (point: PersistencePoint) => void }) {
    if (options.key.length < 32) throw new CardError('ERR_RETRY_STATE_IO', 'the state key needs 32 bytes');
    this.#path = options.path;
    this.#key = options.key;
    this.#onPersist = options.onPersist;
  }

  async read(reference: string): Promise<number | undefined> {
    return (await this.#load()).counters[reference];
  }

  async write(reference: string, triesLeft: number): Promise<void> {
    const current = await this.#load();
    const counters = { ...current.counters, [reference]: triesLeft };
    const next = this.#seal(current.sequence + 1, counters);
    const temporary = `${this.#path}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(next));
      this.#onPersist?.('temporary-written');
      await file.sync();
      this.#onPersist?.('temporary-synced');
    } finally {
      await file.close();
    }
    await rename(temporary, this.#path);
    this.#onPersist?.('renamed');
    const directory = await open(dirname(this.#path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    this.#onPersist?.('directory-synced');
    this.#cache = next;
  }

  async #load(): Promise<StateFile> {
    if (this.#cache) return this.#cache;
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return (this.#cache = this.#seal(0, {}));
      throw new CardError('ERR_RETRY_STATE_IO', 'the retry counter file cannot be read', { cause: error });
    }
    let parsed: StateFile;
    try {
      parsed = JSON.parse(text) as StateFile;
    } catch (error) {
      throw new CardError('ERR_RETRY_STATE_CORRUPT', 'the retry counter file is torn or not JSON', { cause: error });
    }
    const expected = this.#mac(parsed.sequence, parsed.counters ?? {});
    const macValid =
      typeof parsed.mac === 'string' &&
      /^[0-9a-f]{64}$/.test(parsed.mac) &&
      constantTimeEqual(hexToBytes(parsed.mac), expected);
    if (parsed.format !== 'openmyna-retry-counters/1' || !Number.isSafeInteger(parsed.sequence) || !macValid) {
      throw new CardError('ERR_RETRY_STATE_CORRUPT', 'the retry counter file was altered');
    }
    return (this.#cache = parsed);
  }

  #seal(sequence: number, counters: Record<string, number>): StateFile {
    return { format: 'openmyna-retry-counters/1', sequence, counters, mac: bytesToHex(this.#mac(sequence, counters)) };
  }

  #mac(sequence: number, counters: Record<string, number>): Uint8Array {
    const canonical = JSON.stringify([
      sequence,
      Object.entries(counters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ]);
    return hmac(sha256, this.#key, new TextEncoder().encode(`openmyna-retry-counters/1:${canonical}`));
  }
}
