import type { CrlReasonName, Signer } from '@openmyna/pki';
import { OcspResponder, prepareCrl, signCrl, type CertificateAuthority, type CertificateState } from '@openmyna/pki/ca';
import { inTransaction } from '@openmyna/storage';

import { type IssuerContext } from './context.js';
import type { HierarchyName } from './storage/schema.js';

/** One hierarchy's CA with its delegated OCSP responder. */
export interface HierarchyAuthority {
  readonly ca: CertificateAuthority;
  readonly responderCertificate: Uint8Array;
  readonly responderSigner: Signer;
}

/**
 * OCSP answers are pre-produced and cached, but re-read from the database at least every
 * {@link OCSP_FRESHNESS_SECONDS}: a revocation made by any instance is visible within a minute, and at
 * once on the instance that made it (`invalidate`).
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

/** The OCSP responders and CRL publisher of both hierarchies, over the registry. */
export class RevocationServices {
  readonly #responders: Record<HierarchyName, OcspResponder>;
  readonly #crls = new Map<string, { der: Uint8Array; builtAt: number; number: number }>();

  constructor(
    private readonly context: IssuerContext,
    private readonly authorities: Record<HierarchyName, HierarchyAuthority>,
  ) {
    const responder = (hierarchy: HierarchyName) =>
      new OcspResponder({
        issuerCertificate: authorities[hierarchy].ca.certificate,
        responderCertificate: authorities[hierarchy].responderCertificate,
        responderSigner: authorities[hierarchy].responderSigner,
        statusSource: statusSource(context, hierarchy),
        clock: context.clock,
        validitySeconds: OCSP_VALIDITY_SECONDS,
        refreshBeforeSeconds: OCSP_VALIDITY_SECONDS - OCSP_FRESHNESS_SECONDS,
      });
    this.#responders = { signing: responder('signing'), authentication: responder('authentication') };
  }

  /** DER OCSPResponse for a DER OCSPRequest (POST) or its base64 form (GET, RFC 6960 Appendix A.1). */
  ocsp(hierarchy: HierarchyName, request: Uint8Array | string): Promise<Uint8Array> {
    const responder = this.#responders[hierarchy];
    return typeof request === 'string' ? responder.respondToGet(request) : responder.respond(request);
  }

  /** Drops cached OCSP answers for serials whose status this instance just changed. */
  invalidate(hierarchy: HierarchyName, serials: readonly string[]): void {
    for (const serial of serials) this.#responders[hierarchy].invalidate(serial);
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
    const cached = this.#crls.get(key);
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
    this.#crls.set(key, { der, builtAt: now.getTime(), number });
    return { der, number, maxAgeSeconds: CRL_CACHE_SECONDS };
  }

  /** Forgets cached CRLs of a partition (after a revocation on this instance). */
  invalidateCrl(hierarchy: HierarchyName, municipalityCode: string): void {
    this.#crls.delete(`${hierarchy}/${municipalityCode}`);
  }
}
