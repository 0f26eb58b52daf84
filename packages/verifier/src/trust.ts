import { DEFAULT_POLICY_OIDS, type SignatureBackend, type TrustAnchor } from '@openmyna/pki';

import type { JpkiRevocation } from '@openmyna/card';

/** The certificate policies of J-LIS's JPKI certificates (card-spec §4.2, §4.3). */
export const JLIS_POLICY_OIDS = {
  signing: '1.2.392.200149.8.5.1.1.20',
  authentication: '1.2.392.200149.8.5.1.3.30',
} as const;

/** openmyna's own hierarchy's certificate policies (the pki package's defaults). */
export const OPENMYNA_POLICY_OIDS = DEFAULT_POLICY_OIDS;

/**
 * What a relying party trusts for JPKI: the roots of each hierarchy (ours, or J-LIS's from
 * `test-vectors/jpki-real/ta/`), the policy each end-entity certificate must carry, and how
 * revocation is checked. All of it is configuration; nothing is read from globals.
 */
export interface JpkiTrust {
  readonly anchors: { readonly signing: readonly TrustAnchor[]; readonly authentication: readonly TrustAnchor[] };
  readonly policies: { readonly signing: string; readonly authentication: string };
  /**
   * OCSP falling back to CRL ({@link jpkiRevocation}), or `'not-checked'` — only for verifying at a
   * historical time, where no responder answers any more; the checks then say revocation was skipped
   * and the record says so.
   */
  readonly revocation: JpkiRevocation | 'not-checked';
  readonly clock: () => Date;
  /** `nodeCryptoBackend` from `@openmyna/pki/node` in Node services; Web Crypto by default. */
  readonly backend?: SignatureBackend;
}
