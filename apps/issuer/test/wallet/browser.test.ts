import { resolve } from 'node:path';

import { MDOC_BATCH_DEFAULT } from '@openmyna/card';
import { containsMyNumberToken } from '@openmyna/core';
import { PROVISIONING_STEPS } from '@openmyna/wallet';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bundleForBrowser, launchChromium, servePage } from '../../../../test-support/browser.js';
import { registryPerson } from '../../../../test-support/issuer-fixtures.js';
import { CARD_PINS, PHONE_PINS, walletWorld } from '../../../../test-support/wallet-fixtures.js';

const SEED = 'wallet-browser';
const PERSONS = [3, 4] as const;

describe('the wallet engine in headless Chromium (IndexedDB, Web Crypto)', () => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let browser: Browser;
  let page: Page;
  let served: Awaited<ReturnType<typeof servePage>>;
  const person = registryPerson(SEED, PERSONS[0]).input;

  const setup = (index: number) => ({
    issuerUrl: world.issuerUrl,
    readerCa: Buffer.from(world.issuer.authorities.mdoc.readerCa.der).toString('base64'),
    card: { document: world.issuer.cards[index]!.document, passphrase: world.issuer.cards[index]!.passphrase },
    cardPins: CARD_PINS,
    phonePins: PHONE_PINS,
  });
  const call = <T>(name: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(
      ([fn, rest]) =>
        (globalThis as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>)['openmyna']![
          fn
        ]!(...rest),
      [name, args] as const,
    ) as Promise<T>;
  const accountOpening = async () => {
    const response = await world.verifier.rp('securities', '/v1/presentations', {
      method: 'POST',
      body: JSON.stringify({
        sign: { document: Buffer.from(`申込書 ${Math.random()}`).toString('base64'), title: '証券総合口座 開設申込書' },
        kenhojo: ['my_number', 'basic_four_info'],
        purpose: '証券口座の開設',
      }),
    });
    return (await response.json()) as { id: string; link: string };
  };

  beforeAll(async () => {
    world = await walletWorld(SEED, PERSONS);
    served = await servePage(await bundleForBrowser(resolve(import.meta.dirname, 'browser/engine-page.ts')));
    browser = await launchChromium();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(served.url);
    await page
      .waitForFunction(() => document.title === 'ready', undefined, { timeout: 20_000 })
      .catch(() => {
        throw new Error(`the page did not start: ${errors.join('; ')}`);
      });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await world?.dispose();
  });

  it('provisions from the card in the browser, and keeps it across a reload', async () => {
    const provisioned = await call<{ name: string; steps: string[] }>('provision', setup(0));
    expect(provisioned.name).toBe(person.basicFourInfo.name);
    expect(provisioned.steps).toEqual(PROVISIONING_STEPS);
    expect(await call('reopen', setup(0))).toEqual({ provisioned: true, name: person.basicFourInfo.name });
  });

  it('holds only non-extractable keys, and nothing readable in its records', async () => {
    const facts = await call<{ count: number; extractable: boolean[]; exports: string[]; recordsText: string }>(
      'keyFacts',
    );
    // The wrapping key and one device key per MSO of the batch.
    expect(facts.count).toBe(1 + MDOC_BATCH_DEFAULT);
    expect(facts.extractable.every((extractable) => !extractable)).toBe(true);
    expect(facts.exports).toEqual(Array.from({ length: facts.count }, () => 'refused'));
    expect(containsMyNumberToken(facts.recordsText)).toBe(false);
    expect(facts.recordsText).not.toContain(person.basicFourInfo.name);
  });

  it('opens an account from the browser: JPKI signature and 入力補助 records, verified by the service', async () => {
    const created = await accountOpening();
    const answer = await call<{ ms: number; myNumber: unknown; items: string[] }>('present', created.link, {
      signingPassword: PHONE_PINS.signing,
      kenhojoPin: PHONE_PINS.kenhojo,
    });
    expect(answer).toMatchObject({ myNumber: { requested: true, allowed: true } });
    const result = (await (await world.verifier.rp('securities', `/v1/presentations/${created.id}`)).json()) as {
      result: { status: string };
      claims: Record<string, Record<string, string>>;
    };
    expect(result.result.status).toBe('valid');
    expect(result.claims['kenhojo']!['my_number']).toBe(person.myNumber);
  });

  it('refuses a wrong signing password until its fifth wrong try locks it', async () => {
    const created = await accountOpening();
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await call<{ error?: { code: string } }>('present', created.link, {
        signingPassword: 'WRONG2026',
        kenhojoPin: PHONE_PINS.kenhojo,
      });
      codes.push(answer.error!.code);
    }
    expect(codes).toEqual(['ERR_PIN_WRONG', 'ERR_PIN_WRONG', 'ERR_PIN_WRONG', 'ERR_PIN_WRONG', 'ERR_PIN_BLOCKED']);
    // The wallet gave that request up; a new one is refused before the password is sent.
    const next = await accountOpening();
    const locked = await call<{ error?: { code: string } }>('present', next.link, {
      signingPassword: 'WRONG2026',
      kenhojoPin: PHONE_PINS.kenhojo,
    });
    expect(locked.error!.code).toBe('ERR_PIN_BLOCKED');
  });

  it('revokes itself and wipes its credentials', async () => {
    expect(await call('revoke', PHONE_PINS.authentication)).toEqual({ provisioned: false });
    const history = await call<{ kind: string; result: string }[]>('history');
    expect(history.map((entry) => entry.kind)).toEqual(
      expect.arrayContaining(['provisioning', 'presentation', 'wipe']),
    );
    expect(containsMyNumberToken(JSON.stringify(history))).toBe(false);
  });
});
