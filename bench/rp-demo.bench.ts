import { migrate } from '@openmyna/storage';
import { createRpDemoApp, RP_DEMO_MIGRATIONS, type RpDemoSchema } from '@openmyna/rp-demo';
import type { Kysely } from 'kysely';

import { testDatabase } from '../test-support/databases.js';
import { listenOnFreePort } from '../test-support/verifier-service.js';
import { PHONE_PINS, walletWorld } from '../test-support/wallet-fixtures.js';

import { provisionedTimedWallet, rawRsaSignatureTimes } from './timed-wallet.js';

const RUNS = 20;
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(1)} ms`;

/**
 * The machine time of the account opening (issue 9), from 「スマホで読み取る」 to 「認証完了」 without the
 * person's typing, median of 20, split by component: the firm's site and backend (over HTTP, SQLite),
 * the verifier service (its API and the answer's verification), the wallet (Node engine: the request
 * fetched and checked, three PINs in their applets, the JPKI signatures, the 入力補助 records). The
 * baseline in the same run is one raw RSA-2048 signature; the Digital Agency's target is the whole
 * procedure in 60 seconds.
 */
export async function benchAccountOpening(): Promise<void> {
  const world = await walletWorld('bench-rp-demo', [3], { rateLimit: { perSecond: 1000, capacity: 1000 } });
  const database = await testDatabase<RpDemoSchema>('sqlite');
  try {
    await migrate(database.db as Kysely<unknown>, database.engine, RP_DEMO_MIGRATIONS);
    // The firm's calls to the verifier, timed: its share of the firm's steps.
    let verifierCalls = 0;
    const firmFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const started = performance.now();
      try {
        return await fetch(input, init);
      } finally {
        verifierCalls += performance.now() - started;
      }
    }) as typeof fetch;
    const app = createRpDemoApp({
      db: database.db,
      verifier: { url: world.verifier.base, apiKey: world.verifier.keys.securities.apiKey },
      walletUrl: 'http://127.0.0.1:8082',
      sealingKey: new Uint8Array(32).fill(9),
      clock: () => new Date(),
      fetch: firmFetch,
    });
    const site = await listenOnFreePort((request) => app.fetch(request));
    const phone = await provisionedTimedWallet(world);
    const approval = {
      signingPassword: PHONE_PINS.signing,
      kenhojoPin: PHONE_PINS.kenhojo,
      authenticationPin: PHONE_PINS.authentication,
    };
    const http = (path: string, init?: RequestInit) => fetch(`${site.base}${path}`, { redirect: 'manual', ...init });
    const runs: Record<'site' | 'verifier' | 'wallet' | 'total', number>[] = [];
    for (let run = 0; run < RUNS + 2; run++) {
      // The person's typing: the form (not timed).
      const posted = await http('/apply', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'occupation=会社員&purpose=資産運用&experience=なし',
      });
      const path = `/${posted.headers.get('location')!.replace(/^\.\//, '')}`;
      verifierCalls = 0;
      let wallet = 0;
      let verifier = 0;
      const started = performance.now();
      // 「スマホで読み取る」: the firm asks the verifier for the request and shows the QR code.
      const page = await (await http(`${path}/smartphone`, { method: 'POST' })).text();
      const link = /data-link="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&');
      // The phone: the request fetched and checked, then the approval (PINs entered beforehand).
      const step = performance.now();
      const pending = await phone.wallet.openRequest(link);
      await phone.wallet.approve(pending, approval);
      wallet += performance.now() - step - phone.lastPost();
      verifier += phone.lastPost();
      // The PC's page polls once the phone has answered, then shows 「認証完了」.
      const state = ((await (await http(`${path}/status`)).json()) as { state: string }).state;
      if (state !== 'opened') throw new Error(`the account was not opened: ${state}`);
      const done = await (await http(`${path}/result`)).text();
      if (!done.includes('認証完了')) throw new Error('no 認証完了');
      const total = performance.now() - started;
      verifier += verifierCalls;
      if (run >= 2) runs.push({ total, wallet, verifier, site: total - wallet - verifier });
      // The next run is another person's opening: this phone's account goes (outside the timing).
      await database.db.deleteFrom('accounts').execute();
    }
    const raw = rawRsaSignatureTimes(RUNS);
    const rawMs = median(raw);
    const total = median(runs.map((run) => run.total));
    console.log(
      `\nAccount opening: 「スマホで読み取る」 → 「認証完了」, machine time without typing, median of ${RUNS}`,
    );
    console.log(
      `  total ${ms(total)} = ${((total / 60_000) * 100).toFixed(3)}% of the Digital Agency's 60 s target; ` +
        `${(total / rawMs).toFixed(0)}× one raw RSA-2048 signature (OpenSSL, ${rawMs.toFixed(2)} ms)`,
    );
    for (const [name, label] of [
      ['site', "the firm's site and backend (pages, its database, the account)"],
      ['verifier', 'the verifier service (the request; the answer checked: chains, OCSP cached, records)'],
      ['wallet', 'the wallet (request checked, 3 PINs, JPKI signatures, 入力補助 records)'],
    ] as const) {
      const value = median(runs.map((run) => run[name]));
      console.log(`  ${label.padEnd(82)} ${ms(value).padStart(9)} (${((value / total) * 100).toFixed(0)}%)`);
    }
    await new Promise((resolve) => site.server.close(resolve));
  } finally {
    await database.dispose();
    await world.dispose();
  }
}
