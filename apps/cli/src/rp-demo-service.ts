import { join } from 'node:path';

import { createRpDemoApp, createShopDemoApp, RP_DEMO_MIGRATIONS, type RpDemoSchema } from '@openmyna/rp-demo';
import { migrate, openDatabase } from '@openmyna/storage';
import type { Kysely } from 'kysely';

import { publicJwks, rpDemoOidcKeys } from './rp-demo-oidc.js';
import { listen, serviceSealingKey } from './service-runner.js';

/** Registers the firm's OpenID Connect client (its public keys, its redirect URIs) with the provider. */
export type RegisterOidcClient = (
  redirectUris: string[],
  jwks: { keys: Record<string, unknown>[] },
) => Promise<{ clientId: string; issuer: string }>;

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
  /**
   * The securities firm's client at the デジタル認証アプリ-compatible provider, registered once the demo's URL
   * is known: 「デジタル認証アプリ方式でログイン」 and 「電子署名で申込内容を確認」 are offered with it.
   */
  readonly registerOidcClient?: RegisterOidcClient;
}

/**
 * Starts a demo relying party over the data directory, asking the verifier service with its API key:
 * the securities firm (its accounts in `<data>/rp-demo.db`, its My Numbers sealed under
 * `<data>/rp-demo/sealing-key.json` or OPENMYNA_RP_DEMO_SEALING_KEY, its OpenID Connect keys in
 * `<data>/rp-demo/oidc-keys.json`) or the shop (`<data>/rp-shop.db`).
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
          ...(options.registerOidcClient
            ? { oidc: await registeredOidcClient(options.dataDir, server.url, options.registerOidcClient) }
            : {}),
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

/** The firm's keys (made once) and its client, registered (again: a replacement keeps the client id) for `url`. */
async function registeredOidcClient(dataDir: string, url: string, register: RegisterOidcClient) {
  const keys = await rpDemoOidcKeys(dataDir);
  const redirectUri = `${url}/oidc/callback`;
  const { clientId, issuer } = await register([redirectUri], publicJwks(keys));
  return { issuer, clientId, redirectUri, signingKey: keys.signingKey, encryptionKey: keys.encryptionKey };
}
