import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SeededRandom, WeightedChoice } from '@openmyna/core';

import { IndexPermutationForTest } from './internal.js';

describe('SeededRandom', () => {
  it('repeats for equal seeds; string and number seeds are distinct', () => {
    const draw = (seed: string | number) => {
      const random = SeededRandom.fromSeed(seed);
      return Array.from({ length: 20 }, () => random.integer(0, 1_000_000));
    };
    expect(draw('a')).toEqual(draw('a'));
    expect(draw('a')).not.toEqual(draw('b'));
    expect(draw(7)).toEqual(draw('7'));
  });

  it('derives independent streams by index without advancing the parent', () => {
    const root = SeededRandom.fromSeed('root');
    const a = root.derive(1).integer(0, 1e9);
    expect(root.derive(1).integer(0, 1e9)).toBe(a);
    expect(root.derive(2).integer(0, 1e9)).not.toBe(a);
  });

  it('stays within the requested range (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.nat(1000), fc.string(), (min, span, seed) => {
        const value = SeededRandom.fromSeed(seed).integer(min, min + span);
        expect(value).toBeGreaterThanOrEqual(min);
        expect(value).toBeLessThanOrEqual(min + span);
      }),
    );
  });
});

describe('WeightedChoice', () => {
  it('follows the weights', () => {
    const choice = new WeightedChoice([
      ['rare', 1],
      ['never', 0],
      ['common', 9],
    ]);
    const random = SeededRandom.fromSeed('weights');
    const counts = { rare: 0, never: 0, common: 0 };
    for (let i = 0; i < 10_000; i++) counts[choice.pick(random) as keyof typeof counts]++;
    expect(counts.never).toBe(0);
    expect(counts.common / counts.rare).toBeGreaterThan(7);
    expect(counts.common / counts.rare).toBeLessThan(11);
  });

  it('rejects empty lists and bad weights', () => {
    expect(() => new WeightedChoice([])).toThrow(expect.objectContaining({ code: 'ERR_POPULATION_OPTIONS' }));
    expect(() => new WeightedChoice([['a', -1]])).toThrow(expect.objectContaining({ code: 'ERR_POPULATION_OPTIONS' }));
    expect(() => new WeightedChoice([['a', 0]])).toThrow(expect.objectContaining({ code: 'ERR_POPULATION_OPTIONS' }));
    expect(() => new WeightedChoice([['a', Number.NaN]])).toThrow(
      expect.objectContaining({ code: 'ERR_POPULATION_OPTIONS' }),
    );
  });
});

describe('IndexPermutation', () => {
  it('is a bijection on its domain (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 3000 }), fc.string(), (size, seed) => {
        const permutation = new IndexPermutationForTest(size, SeededRandom.fromSeed(seed));
        const images = new Set<number>();
        for (let i = 0; i < size; i++) {
          const image = permutation.apply(i);
          expect(image).toBeGreaterThanOrEqual(0);
          expect(image).toBeLessThan(size);
          images.add(image);
        }
        expect(images.size).toBe(size);
      }),
      { numRuns: 40 },
    );
  });
});
