/**
 * The wallet engine in a real browser (bundled by test-support/browser.ts, driven by browser.test.ts):
 * IndexedDB storage, Web Crypto keys, fetch across origins to the issuer and the verifier service.
 */
import { inProcessTransport, MemoryRetryCounterStore, openVirtualCard, type VirtualCardDocument } from '@openmyna/card';
import { mdocTrustAnchor } from '@openmyna/mdoc';
import { openIndexedDbWalletStorage, Wallet, type Approval, type WalletStorage } from '@openmyna/wallet';

interface Setup {
  readonly issuerUrl: string;
  readonly readerCa: string;
  readonly card: { readonly document: VirtualCardDocument; readonly passphrase: string };
  readonly cardPins: { readonly authentication: string; readonly signing: string };
  readonly phonePins: { authentication: string; signing: string; kenhojo: string; juki: string };
}

const bytes = (base64: string) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
let wallet: Wallet;
let storage: WalletStorage;
const databaseName = `openmyna-wallet-test-${Math.random().toString(36).slice(2)}`;

const open = async (setup: Setup) => {
  storage = await openIndexedDbWalletStorage(databaseName);
  wallet = new Wallet({
    storage,
    readerAnchors: [mdocTrustAnchor(bytes(setup.readerCa))],
    issuerUrl: setup.issuerUrl,
    clock: () => new Date(),
  });
};

const failure = (error: unknown) => ({
  error: { code: (error as { code?: string }).code ?? 'unknown', message: (error as Error).message },
});

const api = {
  async provision(setup: Setup) {
    await open(setup);
    const card = inProcessTransport(
      await openVirtualCard({
        document: setup.card.document,
        passphrase: setup.card.passphrase,
        store: () => new MemoryRetryCounterStore(),
      }),
    );
    const steps: string[] = [];
    const holder = await wallet.provision({
      card,
      cardPins: setup.cardPins,
      phonePins: setup.phonePins,
      onProgress: (step) => steps.push(step),
    });
    return { name: holder.name, steps };
  },
  /** Reopens the wallet over the same IndexedDB database, as a reloaded page would. */
  async reopen(setup: Setup) {
    await open(setup);
    return { provisioned: await wallet.provisioned(), name: (await wallet.holder()).name };
  },
  async present(link: string, approval: Approval) {
    try {
      const pending = await wallet.openRequest(link);
      const started = performance.now();
      await wallet.approve(pending, approval);
      const { requester, myNumber, secrets, items } = pending.view;
      return { ms: performance.now() - started, requester, myNumber, secrets, items: items.map((item) => item.name) };
    } catch (error) {
      return failure(error);
    }
  },
  /**
   * Approval to response sent over links the caller made: the total, and the wallet's share (all but the
   * answer's POST, during which the relying party verifies it).
   */
  async timeApprovals(links: string[], approval: Approval) {
    const times: { total: number; wallet: number }[] = [];
    const original = globalThis.fetch;
    let posting = 0;
    globalThis.fetch = async (input, init) => {
      const started = performance.now();
      try {
        return await original(input, init);
      } finally {
        if (init?.method === 'POST') posting = performance.now() - started;
      }
    };
    try {
      for (const link of links) {
        const pending = await wallet.openRequest(link);
        const started = performance.now();
        await wallet.approve(pending, approval);
        const total = performance.now() - started;
        times.push({ total, wallet: total - posting });
      }
    } finally {
      globalThis.fetch = original;
    }
    return times;
  },
  /** The raw crypto baseline in this browser: RSA-2048 PKCS#1 v1.5 signatures by Web Crypto, ms each. */
  async rawSignatures(count: number) {
    const pair = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    const data = new Uint8Array(512);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, data);
      times.push(performance.now() - started);
    }
    return times;
  },
  /** The storage baseline in this browser: durable (strict) IndexedDB writes, ms each. */
  async durableWrites(count: number) {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await storage.write('bench:durable-write', i);
      times.push(performance.now() - started);
    }
    return times;
  },
  async history() {
    return wallet.history();
  },
  /** What the storage holds as keys: every CryptoKey must be non-extractable and refuse export. */
  async keyFacts() {
    const held = await new Promise<unknown[]>((resolve, reject) => {
      const opening = indexedDB.open(databaseName);
      opening.onsuccess = () => {
        const read = opening.result.transaction('keys').objectStore('keys').getAll();
        read.onsuccess = () => resolve(read.result as unknown[]);
        read.onerror = () => reject(new Error('IndexedDB read failed'));
      };
    });
    const keys = held.flatMap((value): CryptoKey[] =>
      value instanceof CryptoKey
        ? [value]
        : Object.values(value as object).filter((v): v is CryptoKey => v instanceof CryptoKey),
    );
    const exports = await Promise.all(
      keys.map((key) =>
        crypto.subtle.exportKey('jwk', key).then(
          () => 'exported',
          () => 'refused',
        ),
      ),
    );
    return {
      count: keys.length,
      extractable: keys.map((key) => key.extractable),
      exports,
      recordsText: JSON.stringify(
        await new Promise((resolve) => {
          const opening = indexedDB.open(databaseName);
          opening.onsuccess = () => {
            const read = opening.result.transaction('records').objectStore('records').getAll();
            read.onsuccess = () => resolve(read.result);
          };
        }),
      ),
    };
  },
  async revoke(pin: string) {
    try {
      await wallet.changeLifecycle('revoke', pin);
      return { provisioned: await wallet.provisioned() };
    } catch (error) {
      return failure(error);
    }
  },
};

(globalThis as unknown as { openmyna: typeof api }).openmyna = api;
document.title = 'ready';
