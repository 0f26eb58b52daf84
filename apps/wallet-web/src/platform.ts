import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { CardTransport } from '@openmyna/card';
import { base64Decode } from '@openmyna/core';
import { mdocTrustAnchor } from '@openmyna/mdoc';
import { openIndexedDbWalletStorage, Wallet } from '@openmyna/wallet';

/** What the host (the sandbox) tells the web wallet: whom to trust and where the services are. */
export interface WalletConfig {
  readonly issuerUrl: string;
  /** The reader CA (DER, base64) whose relying parties the wallet trusts. */
  readonly readerCa: string;
  /** The verifier's in-person relay (`ws://…/relay`). */
  readonly relayUrl: string;
}

/** A card the sandbox's card reader can reach. */
export interface DemoCard {
  readonly id: string;
  readonly name: string;
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export async function loadConfig(): Promise<WalletConfig> {
  return json<WalletConfig>(await fetch('./api/config'));
}

/** Opens the wallet over this browser's IndexedDB. */
export async function openWallet(config: WalletConfig): Promise<Wallet> {
  return new Wallet({
    storage: await openIndexedDbWalletStorage(),
    readerAnchors: [mdocTrustAnchor(base64Decode(config.readerCa))],
    issuerUrl: config.issuerUrl,
    clock: () => new Date(),
    // Keys, PIN data and counters in the issuer's remote secure area when it offers one: a browser
    // profile is a file its owner can delete or restore (docs/wallet.md, threat model).
    secureArea: 'auto',
  });
}

export async function listDemoCards(): Promise<DemoCard[]> {
  return json<DemoCard[]>(await fetch('./api/demo-cards'));
}

/**
 * The physical card through the sandbox's card reader: each APDU travels to the reader, as over NFC
 * to a real card. The PINs go to the card in VERIFY commands and nowhere else.
 */
export async function connectDemoCard(id: string): Promise<CardTransport> {
  const { sessionId } = await json<{ sessionId: string }>(
    await fetch(`./api/demo-cards/${encodeURIComponent(id)}/sessions`, { method: 'POST' }),
  );
  return {
    async transmit(command) {
      const { response } = await json<{ response: string }>(
        await fetch(`./api/card-sessions/${encodeURIComponent(sessionId)}/apdu`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apdu: bytesToHex(command) }),
        }),
      );
      return hexToBytes(response);
    },
  };
}
