import type { CardRsaPublicKey } from '@openmyna/card';
import type { MdocTrustAnchor, StatusChecker } from '@openmyna/mdoc';
import type { BodyLimits, TokenBucketFactory } from '@openmyna/service';
import type { JpkiTrust } from '@openmyna/verifier';
import type { Logger } from 'pino';

import type { VerifierContext } from '../context.js';
import type { OidcOptions } from '../oidc/paths.js';
import type { ReaderAuthority } from '../relying-parties.js';
import type { ProximityServices } from '../services.js';
import type { WebhookDispatcher } from '../webhook-dispatcher.js';

/** What the verifier's HTTP API runs with (`createVerifierApp`). */
export interface VerifierAppOptions {
  readonly context: VerifierContext;
  /** This service's public base URL, as wallets reach it. */
  readonly publicUrl: string;
  /** 32 bytes: seals request-signing keys, response-decryption keys and disclosed values at rest. */
  readonly sealingKey: Uint8Array;
  /** Certifies relying parties' request-signing keys. */
  readonly readerAuthority: ReaderAuthority;
  /** Trusted mdoc issuers (IACA) and the status-list checker. */
  readonly mdoc: { readonly issuerAnchors: readonly MdocTrustAnchor[]; readonly status?: StatusChecker };
  /** JPKI anchors, policies and revocation. */
  readonly jpki: JpkiTrust;
  /** The CV-certificate CA keys that 入力補助 records chain to. */
  readonly kenhojoCaKeys: ReadonlyMap<string, CardRsaPublicKey>;
  readonly adminToken: string;
  readonly logger: Logger;
  /** Requests per second per API key, and the burst (default 20/s, 40). */
  readonly rateLimit?: { readonly perSecond: number; readonly capacity: number };
  /** Requests per second per source address to the wallet-facing endpoints, and the burst (default 10/s, 60). */
  readonly anonymousRateLimit?: { readonly perSecond: number; readonly capacity: number };
  /** Request body limits (default 1 MiB on every route). */
  readonly bodyLimits?: BodyLimits;
  /**
   * Sends relying parties' webhooks from the outbox; its metrics join `/metrics` and each event this
   * instance writes wakes it. Without it events wait in the outbox for another instance's dispatcher.
   */
  readonly webhooks?: WebhookDispatcher;
  /** Where the rate limits' buckets live: this process's memory (default) or Redis, shared by every instance. */
  readonly rateLimits?: TokenBucketFactory;
  /** The relay of in-person sessions (`POST /v1/proximity-sessions`); without it they answer 501. */
  readonly proximity?: ProximityServices;
  /** The デジタル認証アプリ-compatible OpenID Provider's paths (default: the reference's layout; docs/oidc.md). */
  readonly oidc?: OidcOptions;
}
