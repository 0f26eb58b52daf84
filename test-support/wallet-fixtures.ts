import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { inProcessTransport, MemoryRetryCounterStore, openVirtualCard, type PhonePins } from '@openmyna/card';
import { nodeCardKey } from '@openmyna/card/node';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import type { Engine } from '@openmyna/storage';
import { Wallet } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import { WebSocket } from 'ws';

import { issuerWithCards, type IssuedTestCard } from './verifier-fixtures.js';
import { listenOnFreePort, startVerifierService } from './verifier-service.js';

/** The phone PINs the wallet tests choose (the card's are 1234 and OPENMYNA1). */
export const PHONE_PINS: PhonePins = { authentication: '4321', signing: 'PHONE2026', kenhojo: '5678', juki: '8765' };
export const CARD_PINS = { authentication: '1234', signing: 'OPENMYNA1' } as const;

/**
 * Everything a wallet talks to, over real HTTP on this machine: the issuer (persons `indexes` of
 * population `seed` registered, their cards issued, no phone yet) and the verifier service with its
 * relay and the two demo relying parties. The credentials name OCSP and CRL URLs on
 * http://127.0.0.1/ (port 80); `walletFetch` routes those to the issuer in process and everything else
 * over the network.
 */
export async function walletWorld(
  seed: string,
  indexes: readonly number[],
  options: {
    engine?: Engine;
    rateLimit?: { perSecond: number; capacity: number };
    verifierPublicUrl?: string;
  } = {},
) {
  const issuer = await issuerWithCards(seed, indexes);
  const issuerHttp = await listenOnFreePort((request) => issuer.app.fetch(request));
  const verifier = await startVerifierService(issuer, options.engine ?? 'sqlite', {
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.verifierPublicUrl ? { publicUrl: options.verifierPublicUrl } : {}),
  });
  const walletFetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname === '127.0.0.1' && url.port === '') return issuer.issuerFetch(url.toString(), init);
    return fetch(input, init);
  }) as typeof fetch;
  return {
    issuer,
    issuerUrl: issuerHttp.base,
    verifier,
    walletFetch,
    readerAnchor: issuer.authorities.mdoc.readerCa.anchor,
    dispose: async () => {
      await new Promise((resolve) => issuerHttp.server.close(resolve));
      await verifier.dispose();
      await issuer.dispose();
    },
  };
}

/** A Node wallet on an encrypted phone file in a fresh directory. */
export async function nodeWallet(
  world: Awaited<ReturnType<typeof walletWorld>>,
  path = join(mkdtempSync(join(tmpdir(), 'openmyna-phone-')), 'phone.json'),
  passphrase = 'phone file passphrase',
) {
  const storage = await openEncryptedFileWalletStorage({
    path,
    passphrase,
    iterations: 10_000,
    crypto: nodeMdocCrypto,
  });
  const wallet = new Wallet({
    storage,
    readerAnchors: [world.readerAnchor],
    issuerUrl: world.issuerUrl,
    fetch: world.walletFetch,
    clock: () => new Date(),
    crypto: nodeMdocCrypto,
    cardKey: nodeCardKey,
    createSocket: (url) => new WebSocket(url) as never,
  });
  return { wallet, storage, path, passphrase };
}

/** The physical card as a reader reaches it (in process; counters in memory, as a card's own chip). */
export async function cardTransport(card: IssuedTestCard) {
  const smartCard = await openVirtualCard({
    document: card.document,
    passphrase: card.passphrase,
    store: () => new MemoryRetryCounterStore(),
  });
  return inProcessTransport(smartCard);
}
