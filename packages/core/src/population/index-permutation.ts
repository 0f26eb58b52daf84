import { CoreError } from '../errors.js';
import type { SeededRandom } from '../random.js';

const ROUNDS = 4;

/**
 * A keyed permutation of `[0, size)`: a balanced Feistel network over the smallest even number of
 * bits that covers `size`, with cycle-walking to stay inside the range. It maps item indexes to
 * identifiers that look random yet never repeat, without remembering what was handed out.
 *
 * Not a cipher for secrets: the keys come from a {@link SeededRandom}.
 */
export class IndexPermutation {
  readonly size: number;
  readonly #halfBits: number;
  readonly #halfSize: number;
  readonly #keys: readonly number[];

  constructor(size: number, random: SeededRandom) {
    if (!Number.isSafeInteger(size) || size < 2) {
      throw new CoreError('ERR_POPULATION_OPTIONS', 'a permutation needs a domain of at least 2');
    }
    let bits = Math.ceil(Math.log2(size));
    if (bits % 2 === 1) bits++;
    this.size = size;
    this.#halfBits = bits / 2;
    this.#halfSize = 2 ** this.#halfBits;
    this.#keys = Array.from({ length: ROUNDS }, () => random.integer(0, 0x7fffffff));
  }

  /** The image of `index` (0 ≤ index < size). */
  apply(index: number): number {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new CoreError('ERR_POPULATION_OPTIONS', `index ${index} is outside [0, ${this.size})`);
    }
    let value = index;
    do value = this.#encrypt(value);
    while (value >= this.size);
    return value;
  }

  #encrypt(value: number): number {
    let left = Math.floor(value / this.#halfSize);
    let right = value % this.#halfSize;
    for (const key of this.#keys) {
      const next = (left ^ this.#round(right, key)) >>> 0;
      left = right;
      right = next % this.#halfSize;
    }
    return left * this.#halfSize + right;
  }

  #round(half: number, key: number): number {
    // murmur3's fmix32 finaliser over the half block mixed with the round key.
    let h = (half ^ key) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & (this.#halfSize - 1);
  }
}
