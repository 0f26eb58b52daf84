import type { CrlReasonName, Signer } from '@openmyna/pki';
import { OcspResponder, prepareCrl, signCrl, type CertificateAuthority, type CertificateState } from '@openmyna/pki/ca';
import { inTransaction } from '@openmyna/storage';

import { type IssuerContext } from './context.js';
import type { StatusChange, StatusChangeFeed } from './status-changes.js';
import type { HierarchyName } from './storage/schema.js';

/** One hierarchy's CA with its delegated OCSP responder. */
export interface HierarchyAuthority {
  readonly ca: CertificateAuthority;
  readonly responderCertificate: Uint8Array;
  readonly responderSigner: Signer;
}

/**
 * OCSP answers are pre-produced and cached, but re-read from the database at least every
 * {@link OCSP_FRESHNESS_SECONDS}: a revocation made by any instance is visible within a minute, at
 * once on the instance that made it (`invalidate`), and at once everywhere with a status change feed.
 */
export const OCSP_FRESHNESS_SECONDS = 60;
const OCSP_VALIDITY_SECONDS = 3600;
/** A CRL is rebuilt at most this often; each build gets the next CRL number. */
export const CRL_CACHE_SECONDS = 60;
const CRL_VALIDITY_SECONDS = 24 * 3600;

/** The registry as an OCSP status source for one hierarchy. */
function statusSource(context: IssuerContext, hierarchy: HierarchyName) {
  return async (serialNumber: string): Promise<CertificateState> => {
    const row = await context.db
      .selectFrom('certificates')
      .select(['status', 'reason', 'revoked_at', 'created_at'])
      .where('serial', '=', serialNumber)
      .where('hierarchy', '=', hierarchy)
      .executeTakeFirst();
    if (!row) return { status: 'never-issued' };
    switch (row.status) {
      case 'issued':
        return { status: 'good' };
      case 'suspended':
        return { status: 'suspended', since: new Date(row.revoked_at!) };
      case 'revoked':
        return { status: 'revoked', revocationTime: new Date(row.revoked_at!), reason: row.reason as CrlReasonName };
      case 'prepared':
      case 'abandoned':
        // Never handed out, never valid.
        return { status: 'revoked', revocationTime: new Date(row.created_at), reason: 'cessationOfOperation' };
    }
  };
}

/**
 * The OCSP responders and CRL publisher of both hierarchies, over the registry. Given a
 * {@link StatusChangeFeed} (several instances over one PostgreSQL), every change announced drops what it
 * made stale, and nothing is cached while the feed is not listening.
 */
export class RevocationServices {
  #responders: Record<HierarchyName, OcspResponder>;
  readonly #crls = new Map<string, { der: Uint8Array; builtAt: number; number: number }>();
  /** Counts invalidations: a CRL built across one is not kept. */
  #generation = 0;
  /** OCSP answers being made now, and the serials invalidated meanwhile (their cache may have kept them). */
  #answering = 0;
  #invalidatedMeanwhile: { hierarchy: HierarchyName; serial: string }[] = [];

  constructor(
    private readonly context: IssuerContext,
    private readonly authorities: Record<HierarchyName, HierarchyAuthority>,
    private readonly changes?: StatusChangeFeed,
  ) {
    this.#responders = this.#makeResponders();
    changes?.subscribe((change) => this.#apply(change));
  }

  #makeResponders(): Record<HierarchyName, OcspResponder> {
    return { signing: this.#makeResponder('signing'), authentication: this.#makeResponder('authentication') };
  }

  #makeResponder(hierarchy: HierarchyName): OcspResponder {
    return new OcspResponder({
      issuerCertificate: this.authorities[hierarchy].ca.certificate,
      responderCertificate: this.authorities[hierarchy].responderCertificate,
      responderSigner: this.authorities[hierarchy].responderSigner,
      statusSource: statusSource(this.context, hierarchy),
      clock: this.context.clock,
      validitySeconds: OCSP_VALIDITY_SECONDS,
      refreshBeforeSeconds: OCSP_VALIDITY_SECONDS - OCSP_FRESHNESS_SECONDS,
    });
  }

  get #caching(): boolean {
    return this.changes?.listening ?? true;
  }

  #apply(change: StatusChange): void {
    switch (change.kind) {
      case 'certificate':
        this.invalidate(change.hierarchy, [change.serial]);
        this.invalidateCrl(change.hierarchy, change.municipalityCode);
        return;
      case 'reset':
        this.#dropAll();
        return;
      case 'mdoc':
        return;
    }
  }

  /** New responders: answers still being made keep their old ones' caches, which are dropped with them. */
  #dropAll(): void {
    this.#generation++;
    this.#responders = this.#makeResponders();
    this.#crls.clear();
  }

  /** DER OCSPResponse for a DER OCSPRequest (POST) or its base64 form (GET, RFC 6960 Appendix A.1). */
  async ocsp(hierarchy: HierarchyName, request: Uint8Array | string): Promise<Uint8Array> {
    // Not caching: a responder of its own for this one answer, dropped with what it keeps.
    const responder = this.#caching ? this.#responders[hierarchy] : this.#makeResponder(hierarchy);
    this.#answering++;
    try {
      return typeof request === 'string' ? await responder.respondToGet(request) : await responder.respond(request);
    } finally {
      this.#answered();
    }
  }

  /**
   * An answer read from the database before a change was announced may have been cached after it was
   * invalidated: what was invalidated while answers were being made is invalidated once more.
   */
  #answered(): void {
    this.#answering--;
    for (const { hierarchy, serial } of this.#invalidatedMeanwhile) this.#responders[hierarchy].invalidate(serial);
    if (this.#answering === 0) this.#invalidatedMeanwhile = [];
  }

  /** Drops cached OCSP answers for serials whose status just changed. */
  invalidate(hierarchy: HierarchyName, serials: readonly string[]): void {
    for (const serial of serials) {
      this.#responders[hierarchy].invalidate(serial);
      if (this.#answering > 0) this.#invalidatedMeanwhile.push({ hierarchy, serial });
    }
  }

  /**
   * The CRL of one municipality partition: every revoked or suspended certificate of that partition.
   * Rebuilt at most every {@link CRL_CACHE_SECONDS}; the CRL number is taken in a transaction, so
   * numbers only grow, across instances too.
   */
  async crl(
    hierarchy: HierarchyName,
    municipalityCode: string,
  ): Promise<{ der: Uint8Array; number: number; maxAgeSeconds: number }> {
    const key = `${hierarchy}/${municipalityCode}`;
    const now = this.context.clock();
    const generation = this.#generation;
    const caching = this.#caching;
    const cached = caching ? this.#crls.get(key) : undefined;
    if (cached && now.getTime() - cached.builtAt < CRL_CACHE_SECONDS * 1000) {
      return {
        der: cached.der,
        number: cached.number,
        maxAgeSeconds: Math.max(1, CRL_CACHE_SECONDS - Math.floor((now.getTime() - cached.builtAt) / 1000)),
      };
    }
    const rows = await this.context.db
      .selectFrom('certificates')
      .select(['serial', 'status', 'reason', 'revoked_at', 'created_at'])
      .where('hierarchy', '=', hierarchy)
      .where('municipality_code', '=', municipalityCode)
      .where('status', 'in', ['revoked', 'suspended', 'abandoned'])
      .execute();
    const number = await inTransaction(this.context.db, async (trx) => {
      const current = await trx
        .selectFrom('crl_numbers')
        .select('number')
        .where('partition', '=', key)
        .executeTakeFirst();
      const next = (current?.number ?? 0) + 1;
      if (current) await trx.updateTable('crl_numbers').set({ number: next }).where('partition', '=', key).execute();
      else await trx.insertInto('crl_numbers').values({ partition: key, number: next }).execute();
      return next;
    });
    const ca = this.authorities[hierarchy].ca;
    const prepared = prepareCrl({
      ca,
      municipalityCode,
      entries: rows.map((row) => ({
        serialNumber: row.serial,
        revocationDate: new Date(row.revoked_at ?? row.created_at),
        reason:
          row.status === 'suspended'
            ? 'certificateHold'
            : row.status === 'abandoned'
              ? 'cessationOfOperation'
              : (row.reason as CrlReasonName),
      })),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + CRL_VALIDITY_SECONDS * 1000),
      crlNumber: BigInt(number),
    });
    const der = await signCrl(prepared, ca);
    // Kept only if no change was announced while it was built from the registry.
    if (caching && generation === this.#generation) this.#crls.set(key, { der, builtAt: now.getTime(), number });
    return { der, number, maxAgeSeconds: CRL_CACHE_SECONDS };
  }

  /** Forgets the cached CRL of a partition (after a status change in it). */
  invalidateCrl(hierarchy: HierarchyName, municipalityCode: string): void {
    this.#generation++;
    this.#crls.delete(`${hierarchy}/${municipalityCode}`);
  }
}
