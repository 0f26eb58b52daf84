import { MDOC_BATCH_DEFAULT, type CardPrivateKey } from '@openmyna/card';
import type { MdocCrypto, MdocTrustAnchor, WebSocketLike } from '@openmyna/mdoc';

import { WalletError } from './errors.js';
import { IssuerClient } from './issuer-client.js';
import type { MdocUsePolicy } from './mdoc-pool.js';
import type { SecureArea } from './secure-area.js';
import type { WalletStorage } from './storage.js';
import type { WalletLog } from './wallet-log.js';

/** Options of {@link Wallet}. */
export interface WalletOptions {
  readonly storage: WalletStorage;
  /** The reader CAs whose relying parties' certificates this wallet trusts. */
  readonly readerAnchors: readonly MdocTrustAnchor[];
  /** The issuer's base URL (provisioning, the phone's lifecycle). */
  readonly issuerUrl?: string;
  readonly fetch?: typeof fetch;
  readonly clock: () => Date;
  /** Default Web Crypto; Node may pass `nodeMdocCrypto`. */
  readonly crypto?: MdocCrypto;
  /** Default `SoftwareCardKey`; Node may pass `nodeCardKey`. */
  readonly cardKey?: (jwk: JsonWebKey) => CardPrivateKey;
  /** How to open a WebSocket to an in-person relay (default the global WebSocket; Node 20 passes `ws`). */
  readonly createSocket?: (url: string) => WebSocketLike;
  /** The phone's batch of single-use MSOs (see {@link MdocBatchOptions}). */
  readonly mdocs?: MdocBatchOptions;
  /**
   * Where provisioning puts the JPKI and 券面 keys, the reference data and the retry counters: on the
   * phone (`local`, the default), in the issuer's remote secure area (`remote`), or there when the
   * issuer offers one (`auto`, the web wallet's default). An installed card keeps where it was put.
   */
  readonly secureArea?: 'local' | 'remote' | 'auto';
}

/**
 * How many MSOs the phone asks the issuer for, how it spends them, and when it refills. Defaults: a
 * batch of MDOC_BATCH_DEFAULT (10), `single-use`, refill once fewer than 3 unused remain.
 */
export interface MdocBatchOptions {
  /** MSOs per batch, 1 to MDOC_BATCH_MAX (50). */
  readonly batchSize?: number;
  readonly policy?: MdocUsePolicy;
  /** Refill after a presentation once fewer than this many unused MSOs remain (0: only on demand). */
  readonly refillBelow?: number;
}

/** What the wallet's modules share: its options with their defaults applied, its secure area and log. */
export interface WalletContext {
  readonly options: WalletOptions;
  readonly secureArea: SecureArea;
  readonly fetch: typeof fetch;
  readonly clock: () => Date;
  readonly crypto: MdocCrypto;
  readonly log: WalletLog;
}

/** The configured issuer; `ERR_WALLET_STATE` when there is none. */
export function issuerOf(context: WalletContext): IssuerClient {
  if (!context.options.issuerUrl) throw new WalletError('ERR_WALLET_STATE', 'no issuer URL is configured');
  return new IssuerClient(context.options.issuerUrl, context.fetch);
}

/** MSOs per batch, as configured. */
export function batchSizeOf(context: WalletContext): number {
  return context.options.mdocs?.batchSize ?? MDOC_BATCH_DEFAULT;
}

/** The installed card's phone id; `ERR_WALLET_STATE` when the phone holds none. */
export async function installedPhoneIdOf(context: WalletContext): Promise<string> {
  const phoneId = await context.secureArea.installedPhoneId();
  if (!phoneId) throw new WalletError('ERR_WALLET_STATE', 'this phone holds no card');
  return phoneId;
}
