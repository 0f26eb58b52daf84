import type { Kysely } from 'kysely';

import type { OidcRelyingParty, RpDemoOidcOptions } from './oidc/relying-party.js';
import type { RpDemoSchema } from './storage.js';
import type { VerifierAccess, VerifierClient } from './verifier-client.js';

/** Options of `createRpDemoApp`. */
export interface RpDemoOptions {
  readonly db: Kysely<RpDemoSchema>;
  readonly verifier: VerifierAccess;
  /** The web wallet's URL: the same-device link opens it with the request's parameters. */
  readonly walletUrl: string;
  /** AES-256 key that seals the My Numbers the firm keeps. */
  readonly sealingKey: Uint8Array;
  readonly clock: () => Date;
  /** The firm's name on its pages. */
  readonly firmName?: string;
  readonly fetch?: typeof fetch;
  /**
   * The firm's client at the デジタル認証アプリ-compatible OpenID Provider: 「デジタル認証アプリ方式でログイン」
   * and 「電子署名で申込内容を確認」 are offered only with it.
   */
  readonly oidc?: RpDemoOidcOptions;
}

/** What the demo's routes run with: the options, with the verifier as its client. */
export type RpDemoDeps = Pick<RpDemoOptions, 'db' | 'walletUrl' | 'sealingKey' | 'clock'> & {
  readonly verifier: VerifierClient;
  readonly oidc?: OidcRelyingParty;
};
