import { generateKeyPairSync, sign } from 'node:crypto';

import { cardTransport, CARD_PINS, nodeWallet, PHONE_PINS, type walletWorld } from '../test-support/wallet-fixtures.js';

/**
 * A Node wallet with the card of `world.issuer.cards[0]` added, whose last POST (the answer it sends,
 * which the verifier checks while the wallet waits) is timed: `lastPost()` in milliseconds.
 */
export async function provisionedTimedWallet(world: Awaited<ReturnType<typeof walletWorld>>) {
  let lastPost = 0;
  const walletFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const started = performance.now();
    try {
      return await world.walletFetch(input, init);
    } finally {
      if (init?.method === 'POST') lastPost = performance.now() - started;
    }
  }) as typeof fetch;
  const phone = await nodeWallet({ ...world, walletFetch });
  await phone.wallet.provision({
    card: await cardTransport(world.issuer.cards[0]!),
    cardPins: CARD_PINS,
    phonePins: PHONE_PINS,
  });
  return { ...phone, lastPost: () => lastPost };
}

/** The baseline of the wallet benchmarks: `runs` raw RSA-2048 signatures (OpenSSL), each timed, in ms. */
export function rawRsaSignatureTimes(runs: number): number[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    sign('sha256', new Uint8Array(512), rsa.privateKey);
    times.push(performance.now() - started);
  }
  return times;
}
