import type { EcPrivateKey } from '@openmyna/mdoc';
import type { TrustAnchor } from '@openmyna/pki';
import type { BodyLimits, TokenBucketFactory } from '@openmyna/service';
import type { Logger } from 'pino';

import type { CardFaceIssuers } from '../cards.js';
import type { IssuerContext } from '../context.js';
import type { PinResetAuthority } from '../holder.js';
import type { HierarchyAuthority } from '../revocation-services.js';
import type { StatusChangeFeed } from '../status-changes.js';
import type { HierarchyName } from '../storage/schema.js';

/** What the issuing authority's HTTP API is made of: its context, its authorities' keys and its limits. */
export interface IssuerAppOptions {
  readonly context: IssuerContext;
  /** Both JPKI hierarchies, each with its delegated OCSP responder. */
  readonly authorities: Record<HierarchyName, HierarchyAuthority>;
  /** The municipalities' 入力補助 and 券面 record issuers. */
  readonly cardFace: CardFaceIssuers;
  /** The mdoc document signer, and the URL this service's status list is published at (`…/mdoc/status/1`). */
  readonly mdoc: {
    readonly documentSigner: { readonly key: EcPrivateKey; readonly certificate: Uint8Array };
    readonly statusListUri: string;
  };
  /** Roots card certificates may also chain to (J-LIS's, where real cards are accepted); ours always count. */
  readonly extraCardAnchors?: {
    readonly signing: readonly TrustAnchor[];
    readonly authentication: readonly TrustAnchor[];
  };
  /** Signs PIN-reset authorizations; phones pin its public key at provisioning. */
  readonly pinResetAuthority: PinResetAuthority;
  /** Bearer token of the registry administrators. */
  readonly adminToken: string;
  readonly logger: Logger;
  /** Requests per second per source address to the holder's endpoints, and the burst (default 10/s, 60). */
  readonly anonymousRateLimit?: { readonly perSecond: number; readonly capacity: number };
  /** Offer the remote secure area (`/secure-area/…`, docs/wallet.md); default true. */
  readonly secureArea?: boolean;
  /** Enrollments in the remote secure area (three RSA key generations each) per source address (default 1/s, burst 10). */
  readonly secureAreaEnrollmentRateLimit?: { readonly perSecond: number; readonly capacity: number };
  /** Request body limits (default 1 MiB on every route). */
  readonly bodyLimits?: BodyLimits;
  /**
   * Status changes made by every instance (a `PostgresStatusListener` when several share one
   * PostgreSQL): OCSP answers, CRLs and the status list drop what each makes stale. Without it they
   * are dropped only for changes made here, and otherwise kept up to a minute.
   */
  readonly statusChanges?: StatusChangeFeed;
  /** Where the rate limits' buckets live: this process's memory (default) or Redis, shared by every instance. */
  readonly rateLimits?: TokenBucketFactory;
}
