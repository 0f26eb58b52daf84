import { bytesToHex } from '@noble/hashes/utils.js';
import type { CrlReasonName } from '@openmyna/pki';
import type { CertificateAuthority, EndEntityRequest } from '@openmyna/pki/ca';
import { inTransaction, isUniqueViolation } from '@openmyna/storage';
import type { Transaction } from 'kysely';

import { appendAudit } from './audit.js';
import { isoTime, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import type { CertificateStatus, HierarchyName, IssuerSchema } from './storage/schema.js';

/** Who the certificate is for and which device holds the key. */
export interface CertificateHolderRef {
  readonly personId: string;
  readonly cardId?: string;
  readonly phoneId?: string;
}

/**
 * Issues a certificate so that a crash at any point leaves no signed certificate unrecorded: the
 * to-be-signed certificate (with its random serial) is committed first, then the CA key signs, then
 * the DER is recorded. A crash between the two leaves a `prepared` row, which {@link abandonUnfinished}
 * marks `abandoned` — never valid, answered as revoked — and the signature, never returned, is lost.
 */
export async function issueCertificateDurably(
  context: IssuerContext,
  options: {
    readonly ca: CertificateAuthority;
    readonly hierarchy: HierarchyName;
    readonly request: EndEntityRequest;
    readonly holder: CertificateHolderRef;
    readonly actor: string;
  },
): Promise<Uint8Array> {
  let prepared = options.ca.prepareEndEntity(options.request);
  // Serials are 128 random bits (pki newSerialNumber); a collision is practically impossible, but the
  // primary key would catch it, and we draw again rather than fail.
  for (let attempt = 0; ; attempt++) {
    try {
      await recordPrepared(context, options, prepared);
      break;
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 3) throw error;
      prepared = options.ca.prepareEndEntity(options.request);
    }
  }
  context.onBoundary?.('certificate-prepared');
  const der = await options.ca.signCertificate(prepared);
  context.onBoundary?.('certificate-signed');
  await inTransaction(context.db, async (trx) => {
    const updated = await trx
      .updateTable('certificates')
      .set({ der, status: 'issued', issued_at: isoTime(context.clock()) })
      .where('serial', '=', prepared.serialNumber)
      .where('status', '=', 'prepared')
      .executeTakeFirst();
    if (updated.numUpdatedRows !== 1n)
      throw new IssuerError('ERR_CERTIFICATE_NOT_FOUND', `certificate ${prepared.serialNumber} is no longer prepared`);
    await appendAudit(trx, context, {
      actor: options.actor,
      action: 'certificate.issue',
      subjectType: 'certificate',
      subjectId: prepared.serialNumber,
      details: {
        hierarchy: options.hierarchy,
        personId: options.holder.personId,
        cardId: options.holder.cardId ?? null,
        phoneId: options.holder.phoneId ?? null,
      },
    });
  });
  context.onBoundary?.('certificate-recorded');
  return der;
}

/** Commits the to-be-signed certificate as `prepared`, before the CA key signs it. */
async function recordPrepared(
  context: IssuerContext,
  options: {
    readonly hierarchy: HierarchyName;
    readonly request: EndEntityRequest;
    readonly holder: CertificateHolderRef;
  },
  prepared: { readonly serialNumber: string; readonly tbsCertificate: Uint8Array; readonly notAfter: Date },
): Promise<void> {
  await inTransaction(context.db, async (trx) => {
    await trx
      .insertInto('certificates')
      .values({
        serial: prepared.serialNumber,
        hierarchy: options.hierarchy,
        person_id: options.holder.personId,
        card_id: options.holder.cardId ?? null,
        phone_id: options.holder.phoneId ?? null,
        municipality_code: options.request.holder.municipalityCode,
        status: 'prepared',
        tbs: prepared.tbsCertificate,
        der: null,
        not_after: isoTime(prepared.notAfter),
        reason: null,
        revoked_at: null,
        created_at: isoTime(context.clock()),
        issued_at: null,
      })
      .execute();
  });
}

/** Marks certificates left `prepared` by a crash as `abandoned` (run at start-up). Returns how many. */
export async function abandonUnfinished(context: IssuerContext, olderThan: Date): Promise<number> {
  return inTransaction(context.db, async (trx) => {
    const stale = await trx
      .selectFrom('certificates')
      .select('serial')
      .where('status', '=', 'prepared')
      .where('created_at', '<', isoTime(olderThan))
      .execute();
    for (const { serial } of stale) {
      await trx.updateTable('certificates').set({ status: 'abandoned' }).where('serial', '=', serial).execute();
      await appendAudit(trx, context, {
        actor: 'system',
        action: 'certificate.abandon',
        subjectType: 'certificate',
        subjectId: serial,
        reason: 'prepared but never recorded as signed',
      });
    }
    return stale.length;
  });
}

/**
 * Revokes (or, with `certificateHold`, suspends) certificates inside the caller's transaction: the
 * status change, the revocation event the CRL and OCSP publish, and the audit entry commit together.
 */
export async function revokeInTransaction(
  trx: Transaction<IssuerSchema>,
  context: IssuerContext,
  options: {
    readonly serials: readonly string[];
    readonly reason: CrlReasonName;
    readonly actor: string;
    readonly why: string;
  },
): Promise<string[]> {
  const now = isoTime(context.clock());
  const done: string[] = [];
  for (const serial of options.serials) {
    const row = await trx
      .selectFrom('certificates')
      .select(['status', 'hierarchy'])
      .where('serial', '=', serial)
      .executeTakeFirst();
    if (!row) throw new IssuerError('ERR_CERTIFICATE_NOT_FOUND', `no certificate ${serial}`);
    const next: CertificateStatus = options.reason === 'certificateHold' ? 'suspended' : 'revoked';
    // Revoked is final; a hold may turn into a revocation; issued may become either.
    if (
      row.status === 'revoked' ||
      row.status === 'abandoned' ||
      row.status === 'prepared' ||
      (row.status === 'suspended' && next === 'suspended')
    )
      continue;
    await trx
      .updateTable('certificates')
      .set({ status: next, reason: options.reason, revoked_at: now })
      .where('serial', '=', serial)
      .execute();
    await trx
      .insertInto('revocations')
      .values({ serial, hierarchy: row.hierarchy, reason: options.reason, revoked_at: now, actor: options.actor })
      .execute();
    await appendAudit(trx, context, {
      actor: options.actor,
      action: next === 'suspended' ? 'certificate.suspend' : 'certificate.revoke',
      subjectType: 'certificate',
      subjectId: serial,
      reason: options.why,
      details: { crlReason: options.reason },
    });
    done.push(serial);
  }
  // Still inside the transaction: a crash here must leave none of it behind.
  if (done.length) context.onBoundary?.('revocation-pending');
  return done;
}

/** Lifts a hold (一時停止の解除): suspended → issued, recorded as an event and audited. */
export async function resumeInTransaction(
  trx: Transaction<IssuerSchema>,
  context: IssuerContext,
  options: { readonly serials: readonly string[]; readonly actor: string; readonly why: string },
): Promise<string[]> {
  const done: string[] = [];
  for (const serial of options.serials) {
    const updated = await trx
      .updateTable('certificates')
      .set({ status: 'issued', reason: null, revoked_at: null })
      .where('serial', '=', serial)
      .where('status', '=', 'suspended')
      .executeTakeFirst();
    if (updated.numUpdatedRows !== 1n) continue;
    const row = await trx
      .selectFrom('certificates')
      .select('hierarchy')
      .where('serial', '=', serial)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('revocations')
      .values({
        serial,
        hierarchy: row.hierarchy,
        reason: 'removeFromCRL',
        revoked_at: isoTime(context.clock()),
        actor: options.actor,
      })
      .execute();
    await appendAudit(trx, context, {
      actor: options.actor,
      action: 'certificate.resume',
      subjectType: 'certificate',
      subjectId: serial,
      reason: options.why,
    });
    done.push(serial);
  }
  return done;
}

/** One certificate of the registry as its operator sees it. */
export interface CertificateRecord {
  readonly serial: string;
  readonly hierarchy: HierarchyName;
  readonly status: CertificateStatus;
  readonly municipalityCode: string;
}

/**
 * The registry's record of one certificate (serial in hex, any case), or `undefined` for a serial
 * this authority never prepared.
 *
 * @example
 * const record = await findCertificate(context, '0a1b…');
 * if (record?.status === 'suspended') await resumeCertificates(context, { serials: [record.serial], actor, why });
 */
export async function findCertificate(context: IssuerContext, serial: string): Promise<CertificateRecord | undefined> {
  const row = await context.db
    .selectFrom('certificates')
    .select(['serial', 'hierarchy', 'status', 'municipality_code'])
    .where('serial', '=', serial.toLowerCase())
    .executeTakeFirst();
  return (
    row && { serial: row.serial, hierarchy: row.hierarchy, status: row.status, municipalityCode: row.municipality_code }
  );
}

/**
 * Revokes (or, with `certificateHold`, suspends) certificates in a transaction of its own; returns
 * the serials whose status changed (revoked, abandoned and still-prepared ones are left alone).
 *
 * @example
 * await revokeCertificates(context, { serials: [serial], reason: 'keyCompromise', actor: 'cli', why: 'lost' });
 */
export async function revokeCertificates(
  context: IssuerContext,
  options: Parameters<typeof revokeInTransaction>[2],
): Promise<string[]> {
  return inTransaction(context.db, (trx) => revokeInTransaction(trx, context, options));
}

/**
 * Lifts holds (一時停止の解除) in a transaction of its own; returns the serials that were suspended.
 *
 * @example
 * await resumeCertificates(context, { serials: [serial], actor: 'cli', why: 'found again' });
 */
export async function resumeCertificates(
  context: IssuerContext,
  options: Parameters<typeof resumeInTransaction>[2],
): Promise<string[]> {
  return inTransaction(context.db, (trx) => resumeInTransaction(trx, context, options));
}

/** The OCSP/CRL view of one certificate. `unknown` for a serial this CA never prepared. */
export async function certificateState(
  context: IssuerContext,
  hierarchy: HierarchyName,
  serialHex: string,
): Promise<{ status: 'good' | 'revoked' | 'unknown'; revokedAt?: Date; reason?: CrlReasonName }> {
  const row = await context.db
    .selectFrom('certificates')
    .select(['status', 'reason', 'revoked_at', 'created_at'])
    .where('serial', '=', serialHex.toLowerCase())
    .where('hierarchy', '=', hierarchy)
    .executeTakeFirst();
  if (!row) return { status: 'unknown' };
  if (row.status === 'issued') return { status: 'good' };
  // A prepared or abandoned certificate was never handed out; should it ever appear, it is not valid.
  if (row.status === 'prepared' || row.status === 'abandoned')
    return { status: 'revoked', revokedAt: new Date(row.created_at), reason: 'cessationOfOperation' };
  return { status: 'revoked', revokedAt: new Date(row.revoked_at!), reason: row.reason as CrlReasonName };
}

export const serialHex = (bytes: Uint8Array): string => bytesToHex(bytes);
