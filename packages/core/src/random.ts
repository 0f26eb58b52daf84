import { sha256 } from '@noble/hashes/sha2.js';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

import { CoreError } from './errors.js';

const encoder = new TextEncoder();

/**
 * A deterministic random source (xoroshiro128+ from `pure-rand`) for synthetic data. Never use it
 * for keys, nonces or anything secret: those come from Web Crypto.
 *
 * @example
 * ```ts
 * const random = SeededRandom.fromSeed('demo');
 * random.integer(1, 6); // the same value every run
 * const tenth = random.derive(10); // an independent stream for item 10
 * ```
 */
export class SeededRandom {
  readonly #seedDigest: Uint8Array;
  readonly #generator: RandomGenerator;

  private constructor(seedDigest: Uint8Array) {
    this.#seedDigest = seedDigest;
    const view = new DataView(seedDigest.buffer, seedDigest.byteOffset, seedDigest.byteLength);
    const state: number[] = [0, 4, 8, 12].map((offset) => view.getInt32(offset));
    // xoroshiro128+ must not start from the all-zero state.
    if (!state.some((word) => word !== 0)) state[0] = 1;
    this.#generator = xoroshiro128plusFromState(state);
  }

  /** A source seeded from any string or safe integer; equal seeds give equal sequences. */
  static fromSeed(seed: string | number): SeededRandom {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
      throw new CoreError('ERR_SEED', 'a numeric seed must be a safe integer');
    }
    return new SeededRandom(sha256(encoder.encode(`openmyna-seed:${String(seed)}`)));
  }

  /** An independent source for item `index` of a collection; does not advance this one. */
  derive(index: number): SeededRandom {
    const input = new Uint8Array(this.#seedDigest.length + 8);
    input.set(this.#seedDigest);
    new DataView(input.buffer).setFloat64(this.#seedDigest.length, index);
    return new SeededRandom(sha256(input));
  }

  /** A uniformly distributed integer in `[min, max]` (both included). */
  integer(min: number, max: number): number {
    return uniformInt(this.#generator, min, max);
  }

  /** A uniformly distributed number in `[0, 1)`. */
  float(): number {
    return uniformFloat64(this.#generator);
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.integer(0, items.length - 1)] as T;
  }
}

/**
 * A non-empty list with weights, prepared once so that each draw is a binary search.
 *
 * @example
 * ```ts
 * const sexes = new WeightedChoice([['1', 49], ['2', 51]]);
 * sexes.pick(random); // '1' or '2'
 * ```
 */
export class WeightedChoice<T> {
  readonly #items: readonly T[];
  readonly #cumulative: Float64Array;

  constructor(entries: readonly (readonly [T, number])[]) {
    if (entries.length === 0)
      throw new CoreError('ERR_POPULATION_OPTIONS', 'a weighted choice needs at least one entry');
    this.#items = entries.map(([item]) => item);
    this.#cumulative = new Float64Array(entries.length);
    let total = 0;
    entries.forEach(([, weight], index) => {
      if (!(weight >= 0) || !Number.isFinite(weight)) {
        throw new CoreError('ERR_POPULATION_OPTIONS', 'weights must be finite and not negative');
      }
      total += weight;
      this.#cumulative[index] = total;
    });
    if (total <= 0) throw new CoreError('ERR_POPULATION_OPTIONS', 'at least one weight must be positive');
  }

  /** One item, with probability proportional to its weight. */
  pick(random: SeededRandom): T {
    const point = random.float() * (this.#cumulative[this.#cumulative.length - 1] as number);
    let low = 0;
    let high = this.#cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#cumulative[middle] as number) > point) high = middle;
      else low = middle + 1;
    }
    return this.#items[low] as T;
  }
}
