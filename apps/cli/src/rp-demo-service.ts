import { join } from 'node:path';

import { createRpDemoApp, createShopDemoApp, RP_DEMO_MIGRATIONS, type RpDemoSchema } from '@openmyna/rp-demo';
import { migrate, openDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { listen, serviceSealingKey } from './service-runner.js';

/** Options of {@link startRpDemo}. */
export interface RpDemoServiceOptions {
  readonly dataDir: string;
  readonly db?: string;
  readonly host: string;
  readonly port: number;
  readonly verifier: { readonly url: string; readonly apiKey: string };
  readonly walletUrl: string;
  readonly name: string;
  /** `securities` (may receive My Numbers) or `shop` (may not). */
  readonly kind: 'securities' | 'shop';
}

/**
 * Starts a demo relying party over the data directory, asking the verifier service with its API key:
 * the securities firm (its accounts in `<data>/rp-demo.db`, its My Numbers sealed under
 * `<data>/rp-demo/sealing-key.json` or OPENMYNA_RP_DEMO_SEALING_KEY) or the shop (`<data>/rp-shop.db`).
 */
export async function startRpDemo(options: RpDemoServiceOptions): Promise<{ url: string; close(): Promise<void> }> {
  const file = options.kind === 'securities' ? 'rp-demo.db' : 'rp-shop.db';
  const database = openDatabase<RpDemoSchema>(options.db ?? join(options.dataDir, file));
  await migrate(database.db as Kysely<unknown>, database.engine, RP_DEMO_MIGRATIONS);
  const server = await listen(options.host, options.port);
  const common = {
    db: database.db,
    verifier: options.verifier,
    walletUrl: options.walletUrl,
    clock: () => new Date(),
  };
  const app =
    options.kind === 'securities'
      ? createRpDemoApp({
          ...common,
          sealingKey: await serviceSealingKey(options.dataDir, 'rp-demo', 'OPENMYNA_RP_DEMO_SEALING_KEY'),
          firmName: options.name,
        })
      : createShopDemoApp({ ...common, name: options.name });
  server.setHandler((request, env) => app.fetch(request, env));
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await database.close();
    },
  };
}
