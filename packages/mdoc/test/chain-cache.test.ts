import { validateMdocChain, type MdocChainCache } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { makeMdocHierarchy, makeReader, type MdocHierarchy } from '../../../test-support/mdoc-fixtures.js';

/*
 * A chain cache may save work, never change a verdict (issue 18, finding 1): with the cache keyed by the
 * leaf and role only, one valid check let the same cache accept the chain under another IACA and under
 * no anchor at all, and one broken chain from a legitimate signer made its good chains fail after it.
 */

const NOW = new Date();
let ours: MdocHierarchy;
let foreign: MdocHierarchy;
let readerDer: Uint8Array;

beforeAll(async () => {
  [ours, foreign] = await Promise.all([
    makeMdocHierarchy(nodeMdocCrypto, { now: NOW }),
    makeMdocHierarchy(nodeMdocCrypto, { now: NOW }),
  ]);
  readerDer = (await makeReader(ours, 'chain cache test reader', undefined)).certificateChain[0]!;
}, 30_000);

type Chain = 'ds' | 'ds+iaca' | 'ds+foreign' | 'foreign-ds' | 'garbage' | 'empty' | 'reader';
type Anchors = 'ours' | 'foreign' | 'none' | 'both' | 'reader-ca';

const chainOf = (which: Chain): Uint8Array[] =>
  ({
    ds: [ours.documentSigner.certificate],
    'ds+iaca': [ours.documentSigner.certificate, ours.iaca.der],
    'ds+foreign': [ours.documentSigner.certificate, foreign.iaca.der],
    'foreign-ds': [foreign.documentSigner.certificate],
    garbage: [Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)],
    empty: [],
    reader: [readerDer],
  })[which];
const anchorsOf = (which: Anchors) =>
  ({
    ours: [ours.iaca.anchor],
    foreign: [foreign.iaca.anchor],
    none: [],
    both: [foreign.iaca.anchor, ours.iaca.anchor],
    'reader-ca': [ours.readerCa.anchor],
  })[which];

const verdict = async (
  input: { chain: Chain; anchors: Anchors; role: 'document-signer' | 'reader'; years: number },
  cache?: MdocChainCache,
) => {
  const result = await validateMdocChain({
    chain: chainOf(input.chain),
    anchors: anchorsOf(input.anchors),
    role: input.role,
    time: new Date(NOW.getTime() + input.years * 365 * 86_400_000),
    crypto: nodeMdocCrypto,
    prefix: 'issuer',
    ...(cache ? { cache } : {}),
  });
  return { checks: result.checks.map(({ check, status }) => `${check}:${status}`), trusted: result.leaf !== undefined };
};

describe('the mdoc chain cache', () => {
  it('does not carry a verdict to other anchors, and does not remember failures', async () => {
    const cache: MdocChainCache = new Map();
    const valid = { chain: 'ds', anchors: 'ours', role: 'document-signer', years: 0 } as const;
    expect((await verdict(valid, cache)).trusted).toBe(true);
    expect((await verdict({ ...valid, anchors: 'foreign' }, cache)).trusted).toBe(false);
    expect((await verdict({ ...valid, anchors: 'none' }, cache)).trusted).toBe(false);
    expect((await verdict({ ...valid, chain: 'ds+foreign' }, cache)).trusted).toBe(false);
    expect((await verdict(valid, cache)).trusted).toBe(true);
    // A failure first, from the same signer: the good chain after it still passes.
    const fresh: MdocChainCache = new Map();
    expect((await verdict({ ...valid, chain: 'ds+foreign' }, fresh)).trusted).toBe(false);
    expect((await verdict(valid, fresh)).trusted).toBe(true);
    expect([...fresh.values()].every((entry) => entry.leaf !== undefined)).toBe(true);
  });

  it('gives the verdict of no cache over any sequence of valid, foreign and broken inputs (property)', async () => {
    const input = fc.record({
      chain: fc.constantFrom<Chain>('ds', 'ds+iaca', 'ds+foreign', 'foreign-ds', 'garbage', 'empty', 'reader'),
      anchors: fc.constantFrom<Anchors>('ours', 'foreign', 'none', 'both', 'reader-ca'),
      role: fc.constantFrom('document-signer' as const, 'reader' as const),
      years: fc.constantFrom(-20, 0, 0, 20),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(input, { minLength: 1, maxLength: 12 }), async (sequence) => {
        const cache: MdocChainCache = new Map();
        for (const step of sequence) expect(await verdict(step, cache)).toEqual(await verdict(step));
      }),
      { numRuns: 60 },
    );
  });
});
