import { resolve } from 'node:path';

import { protectPin, RetryCounter } from '@openmyna/card';
import { storageRetryCounters } from '@openmyna/wallet';

import { bundleForBrowser, launchChromium, servePage } from '../test-support/browser.js';
import { cardTransport, CARD_PINS, nodeWallet, PHONE_PINS, walletWorld } from '../test-support/wallet-fixtures.js';

import { provisionedTimedWallet, rawRsaSignatureTimes } from './timed-wallet.js';

const RUNS = 50;
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(2)} ms`;

/**
 * The wallet's side of an account opening (issue 8): from the user's approval to the response sent —
 * signing password and 入力補助 PIN checked in their applets, the CMS signature by the phone's JPKI key,
 * the 入力補助 records read, the answer posted and taken by the verifier service — in Node and in
 * headless Chromium, median of 50. Split into the wallet's share (all but the POST) and the answer's
 * POST, during which the relying party's verifier checks it; the baseline is one raw RSA-2048 signature
 * in the same runtime.
 */
export async function benchWallet(): Promise<void> {
  // The relying party asks 100 times in a few seconds: above the service's default per-key rate.
  const world = await walletWorld('bench-wallet', [3, 4], { rateLimit: { perSecond: 1000, capacity: 1000 } });
  try {
    const accountOpenings = async (count: number) => {
      const links: string[] = [];
      for (let i = 0; i < count; i++) {
        const response = await world.verifier.rp('securities', '/v1/presentations', {
          method: 'POST',
          body: JSON.stringify({
            sign: { document: Buffer.from(`口座開設申込書 ${i}\n`.repeat(100)).toString('base64'), title: '申込書' },
            kenhojo: ['my_number', 'basic_four_info'],
            purpose: '口座開設',
          }),
        });
        if (response.status !== 201) throw new Error(`the relying party could not ask: ${await response.text()}`);
        links.push(((await response.json()) as { link: string }).link);
      }
      return links;
    };
    const approval = { signingPassword: PHONE_PINS.signing, kenhojoPin: PHONE_PINS.kenhojo };

    // Node: the CLI wallet's engine (encrypted phone file, OpenSSL RSA for the applets' keys).
    const phone = await provisionedTimedWallet(world);
    const node: { total: number; wallet: number }[] = [];
    for (const link of await accountOpenings(RUNS)) {
      const pending = await phone.wallet.openRequest(link);
      const started = performance.now();
      await phone.wallet.approve(pending, approval);
      const total = performance.now() - started;
      node.push({ total, wallet: total - phone.lastPost() });
    }
    const durable: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await phone.storage.write('bench:durable-write', i);
      durable.push(performance.now() - started);
    }
    // One correct VERIFY through the phone's counter store: decrement, compare, restore — both durable.
    const verifies: number[] = [];
    const counter = new RetryCounter({
      reference: 'bench/0018',
      maxTries: 3,
      pin: protectPin(new TextEncoder().encode('1234'), new Uint8Array(16)),
      store: storageRetryCounters(phone.storage),
    });
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await counter.verify(new TextEncoder().encode('1234'));
      verifies.push(performance.now() - started);
    }
    const raw = rawRsaSignatureTimes(RUNS);

    // One JPKI login (VERIFY + signature by the authentication key) with the applets on the phone and
    // with them in the issuer's remote secure area (each APDU a signed message over HTTP on localhost).
    let messages = 0;
    const remote = await nodeWallet(world, undefined, undefined, {
      secureArea: 'remote',
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        if (String(input instanceof Request ? input.url : input).match(/\/secure-area\/devices\/[^/]+\/sessions\/./))
          messages += 1;
        return world.walletFetch(input, init);
      },
    });
    await remote.wallet.provision({
      card: await cardTransport(world.issuer.cards[0]!),
      cardPins: CARD_PINS,
      phonePins: PHONE_PINS,
    });
    const challenge = { value: 'x'.repeat(32), clientId: 'https://rp.example' };
    const logins = async (wallet: typeof phone.wallet) => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        await wallet.signLogin(challenge, PHONE_PINS.authentication);
        times.push(performance.now() - started);
      }
      return times;
    };
    const localLogins = await logins(phone.wallet);
    messages = 0;
    const remoteLogins = await logins(remote.wallet);
    const messagesPerLogin = messages / RUNS;

    // Chromium: the web wallet's engine (IndexedDB, Web Crypto; the applets' RSA in BigInt).
    const served = await servePage(
      await bundleForBrowser(resolve(import.meta.dirname, '../apps/issuer/test/wallet/browser/engine-page.ts')),
    );
    const browser = await launchChromium();
    let browserTimes: { total: number; wallet: number }[];
    let browserRaw: number[];
    let browserDurable: number[];
    try {
      const page = await browser.newPage();
      await page.goto(served.url);
      await page.waitForFunction(() => document.title === 'ready');
      const call = <T>(name: string, ...args: unknown[]) =>
        page.evaluate(
          ([fn, rest]) =>
            (globalThis as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>)[
              'openmyna'
            ]![fn]!(...rest),
          [name, args] as const,
        ) as Promise<T>;
      await call('provision', {
        issuerUrl: world.issuerUrl,
        readerCa: Buffer.from(world.issuer.authorities.mdoc.readerCa.der).toString('base64'),
        card: { document: world.issuer.cards[1]!.document, passphrase: world.issuer.cards[1]!.passphrase },
        cardPins: CARD_PINS,
        phonePins: PHONE_PINS,
      });
      browserTimes = await call('timeApprovals', await accountOpenings(RUNS), approval);
      browserRaw = await call('rawSignatures', RUNS);
      browserDurable = await call('durableWrites', RUNS);
    } finally {
      await browser.close();
      await served.close();
    }

    console.log(`\nWallet: approval → response sent (JPKI signature + 入力補助 records), median of ${RUNS}`);
    for (const [runtime, times, baseline, writes, engine, store] of [
      ['Node', node, raw, durable, 'OpenSSL', 'phone file, fsync'],
      ['Chromium', browserTimes, browserRaw, browserDurable, 'Web Crypto', 'IndexedDB, strict'],
    ] as const) {
      const wallet = median(times.map((time) => time.wallet));
      const total = median(times.map((time) => time.total));
      const rawMs = median(baseline);
      const writeMs = median(writes);
      console.log(
        `  ${runtime.padEnd(9)} total ${ms(total)}: wallet ${ms(wallet)}, the answer's POST (the relying party verifies) ${ms(total - wallet)}\n` +
          `            baselines: raw RSA-2048 signature (${engine}) ${ms(rawMs)} → wallet ${(wallet / rawMs).toFixed(1)}×; ` +
          `one durable write (${store}) ${ms(writeMs)} → wallet ${(wallet / writeMs).toFixed(1)}× (it makes 5: two counter decrements, two restores, the log entry)`,
      );
    }
    const localMs = median(localLogins);
    const remoteMs = median(remoteLogins);
    console.log(
      `  one JPKI login (VERIFY + authentication-key signature), Node: applets on the phone ${ms(localMs)}; in the issuer's remote secure area ${ms(remoteMs)} → ${(remoteMs / localMs).toFixed(1)}× local (${messagesPerLogin.toFixed(0)} signed messages over HTTP on localhost, each its own round trip)`,
    );
    const verifyMs = median(verifies);
    console.log(
      `  one correct PIN VERIFY, phone file (decrement and restore both durable before the answer): ${ms(verifyMs)} → ${(verifyMs / median(durable)).toFixed(1)}× one durable write`,
    );
  } finally {
    await world.dispose();
  }
}
