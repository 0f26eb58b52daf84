import type { CardRsaPublicKey } from '@openmyna/card';
import type { MdocTrustAnchor, MessageTransport, StatusChecker } from '@openmyna/mdoc';
import type { JpkiTrust } from '@openmyna/verifier';

/** How the service reaches the holder's phone in person: through its own relay (docs/mdoc.md). */
export interface ProximityServices {
  /**
   * The relay URLs an engagement may name (`ws://…/relay`, and `wss://…/relay` where a proxy serves
   * the same relay): an engagement naming any other relay is refused, so a page cannot make the
   * service connect to an address of its choosing.
   */
  readonly relayUrls: readonly string[];
  /** Joins the relay session the phone opened. */
  readonly connect: (session: string) => Promise<MessageTransport>;
}

/** What presentations (online and in person) need beside the database. */
export interface PresentationServices {
  readonly sealingKey: Uint8Array;
  /** This service's public base URL (request and response URIs are under it). */
  readonly publicUrl: string;
  readonly mdoc: { readonly issuerAnchors: readonly MdocTrustAnchor[]; readonly status?: StatusChecker };
  /** JPKI anchors, policies and revocation, for `jpki_sign` and `jpki_auth`. */
  readonly jpki: JpkiTrust;
  /** The CV-certificate CA keys 入力補助 records chain to, for `jp_kenhojo`. */
  readonly kenhojoCaKeys: ReadonlyMap<string, CardRsaPublicKey>;
  /**
   * Called once a transaction that wrote a webhook event to the outbox committed: the dispatcher
   * sends it at once rather than at its next poll.
   */
  readonly webhookQueued?: () => void;
  /** The relay for in-person sessions at a relying party's counter; without it they are refused. */
  readonly proximity?: ProximityServices;
  /** Where a failure of background work (an in-person session's bookkeeping) is reported. */
  readonly onBackgroundError?: (error: unknown) => void;
}

/** An element a relying party asks for. */
export interface RequestedElement {
  readonly nameSpace: string;
  readonly elementIdentifier: string;
  /** Whether the relying party will keep it (shown to the holder). */
  readonly intentToRetain?: boolean;
}

/** The purposes sealed values are bound to (AES-GCM associated data, see `seal`). */
export const SEALED = {
  decryptionKey: 'presentation-decryption-key',
  presentationClaims: 'presentation-claims',
  proximityClaims: 'proximity-claims',
} as const;
