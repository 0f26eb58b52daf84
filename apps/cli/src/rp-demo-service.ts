import { join } from 'node:path';

import { createRpDemoApp, RP_DEMO_MIGRATIONS, type RpDemoSchema } from '@openmyna/rp-demo';
import { migrate, openDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { listen, serviceSealingKey } from './service-runner.js';

/**
 * Starts the securities firm's demo site over the data directory: its accounts in `<data>/rp-demo.db`
 * (or `db`), its My Numbers sealed under `<data>/rp-demo/sealing-key.json` (or
 * OPENMYNA_RP_DEMO_SEALING_KEY), asking the verifier service with the firm's API key.
 */
export async function startRpDemo(options: {
  readonly dataDir: string;
  readonly db?: string;
  readonly host: string;
  readonly port: number;
  readonly verifier: { readonly url: string; readonly apiKey: string };
  readonly walletUrl: string;
  readonly firmName: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const database = openDatabase<RpDemoSchema>(options.db ?? join(options.dataDir, 'rp-demo.db'));
  await migrate(database.db as Kysely<unknown>, database.engine, RP_DEMO_MIGRATIONS);
  const server = await listen(options.host, options.port);
  const app = createRpDemoApp({
    db: database.db,
    verifier: options.verifier,
    walletUrl: options.walletUrl,
    sealingKey: await serviceSealingKey(options.dataDir, 'rp-demo', 'OPENMYNA_RP_DEMO_SEALING_KEY'),
    clock: () => new Date(),
    firmName: options.firmName,
  });
  server.setHandler((request) => app.fetch(request));
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await database.close();
    },
  };
}
