import { afterAll, beforeAll } from 'vitest';

import { walletWorld, type WalletWorld } from './wallet-fixtures.js';

/**
 * The {@link walletWorld} of a test file's `describe`: made before its tests, disposed after them.
 * Returns the accessor its tests call.
 *
 * @example
 * ```ts
 * const world = suiteWalletWorld('wallet', [3, 4]);
 * it('…', async () => provisionedNodeWallet(world()));
 * ```
 */
export function suiteWalletWorld(seed: string, indexes: readonly number[], timeout = 120_000): () => WalletWorld {
  let world: WalletWorld | undefined;
  beforeAll(async () => {
    world = await walletWorld(seed, indexes);
  }, timeout);
  afterAll(async () => {
    await world?.dispose();
  });
  return () => {
    if (!world) throw new Error('the wallet world is made before the tests (beforeAll)');
    return world;
  };
}
