import { calendarDateInJapan, type CalendarDate, type MunicipalityCode } from '@openmyna/core';
import {
  cardFaceElements,
  ecPublicJwk,
  issueMdoc,
  MNC_DOCTYPE,
  type EcPrivateKey,
  type EcPublicKey,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { parseCertificate } from '@openmyna/pki';
import { inTransaction, isUniqueViolation } from '@openmyna/storage';
import type { Transaction } from 'kysely';

import { isoTime, newId, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import { MDOC_STATUS_LIST_SIZE } from './mdoc-status.js';
import type { Person } from './registry.js';
import type { IssuerSchema } from './storage/schema.js';

/** MSO validity of the phone's mdocs (a batch is refilled before it ends). */
export const MDOC_VALIDITY_DAYS = 30;
const DAY = 86_400_000;
/** Japan's offset from UTC: issuance times are rounded down to the day in Japan, as `issue_date` is. */
const JAPAN_OFFSET = 9 * 3_600_000;

/** The document signer and the status list every MSO names. */
export interface MdocIssuer {
  readonly documentSigner: { readonly key: EcPrivateKey; readonly certificate: Uint8Array };
  readonly statusListUri: string;
}

/** A batch whose status indexes are reserved, its MSOs not yet signed. */
export interface ReservedBatch {
  readonly batchId: string;
  readonly statusIndexes: readonly number[];
}

/**
 * The issuance time written into an MSO (`signed`, `validFrom`): the start of the day in Japan, so that
 * the time does not tell one holder's MSOs from anyone else's issued that day — but never before the
 * document signer's certificate (ISO/IEC 18013-5 §9.3.1: signed within its validity).
 */
export function coarseIssuanceTime(now: Date, documentSignerCertificate: Uint8Array): Date {
  const day = Math.floor((now.getTime() + JAPAN_OFFSET) / DAY) * DAY - JAPAN_OFFSET;
  const notBefore = parseCertificate(documentSignerCertificate).notBefore.getTime();
  return new Date(Math.max(day, notBefore));
}

/** The validity every MSO issued at `now` gets (coarse: the same for everyone issued that day). */
export function mdocValidity(now: Date, documentSignerCertificate: Uint8Array) {
  const signed = coarseIssuanceTime(now, documentSignerCertificate);
  return {
    signed,
    validFrom: signed,
    validUntil: new Date(signed.getTime() + MDOC_VALIDITY_DAYS * DAY),
    expectedUpdate: new Date(signed.getTime() + ((MDOC_VALIDITY_DAYS * 2) / 3) * DAY),
  };
}

/**
 * Records a batch as `issuing` with one mdoc record per device key, each with its own Token Status List
 * index, in one transaction — before any MSO is signed, so no index is ever given twice. Indexes are
 * drawn at random from the whole list, not in sequence: neighbouring indexes would tell a verifier that
 * two MSOs came from one batch. Two concurrent batches that draw the same index collide on the unique
 * index; the later one draws again.
 */
export async function reserveMdocBatch(
  context: IssuerContext,
  batch: {
    readonly phoneId: string;
    readonly personId: string;
    readonly deviceKeys: readonly EcPublicKey[];
    readonly validUntil: Date;
    readonly now: Date;
    /**
     * A refill: the phone must be active, and at most `dailyLimit` MSOs in 24 hours. Checked inside the
     * reserving transaction after taking the phone's row (an update: PostgreSQL holds its lock to the
     * commit, SQLite runs one transaction at a time), so concurrent refills of one phone count each other.
     */
    readonly refill?: { readonly dailyLimit: number };
  },
): Promise<ReservedBatch> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await inTransaction(context.db, async (trx) => {
        if (batch.refill) await checkRefillAllowed(trx, batch, batch.refill.dailyLimit);
        const batchId = newId(context, 'B');
        await trx
          .insertInto('mdoc_batches')
          .values({
            id: batchId,
            phone_id: batch.phoneId,
            status: 'issuing',
            size: batch.deviceKeys.length,
            created_at: isoTime(batch.now),
            completed_at: null,
          })
          .execute();
        const statusIndexes = await drawFreeIndexes(trx, context, batch.deviceKeys.length);
        for (const [position, deviceKey] of batch.deviceKeys.entries()) {
          await trx
            .insertInto('records')
            .values({
              id: newId(context, 'R'),
              person_id: batch.personId,
              card_id: null,
              phone_id: batch.phoneId,
              kind: 'mdoc',
              issued_at: isoTime(batch.now),
              valid_until: isoTime(batch.validUntil),
              status_index: statusIndexes[position]!,
              batch_id: batchId,
              device_key: JSON.stringify(ecPublicJwk(deviceKey)),
            })
            .execute();
        }
        return { batchId, statusIndexes };
      });
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 50) throw error;
    }
  }
}

async function checkRefillAllowed(
  trx: Transaction<IssuerSchema>,
  batch: { readonly phoneId: string; readonly deviceKeys: readonly unknown[]; readonly now: Date },
  dailyLimit: number,
): Promise<void> {
  const taken = await trx
    .updateTable('phones')
    .set((eb) => ({ status: eb.ref('status') }))
    .where('id', '=', batch.phoneId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (taken.numUpdatedRows !== 1n) throw new IssuerError('ERR_PHONE_STATE', 'the phone is not active');
  const { recent } = await trx
    .selectFrom('records')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('recent'))
    .where('phone_id', '=', batch.phoneId)
    .where('kind', '=', 'mdoc')
    .where('issued_at', '>', isoTime(new Date(batch.now.getTime() - 24 * 3600 * 1000)))
    .executeTakeFirstOrThrow();
  if (Number(recent) + batch.deviceKeys.length > dailyLimit)
    throw new IssuerError(
      'ERR_MDOC_REFILL_LIMITED',
      `a phone is given at most ${dailyLimit} MSOs in 24 hours; ${Math.max(0, dailyLimit - Number(recent))} remain`,
    );
}

async function drawFreeIndexes(trx: Transaction<IssuerSchema>, context: IssuerContext, count: number) {
  const chosen = new Set<number>();
  for (let round = 0; chosen.size < count; round++) {
    if (round >= 64) throw new Error('the mdoc status list has no free entries left');
    const candidates = new Set<number>();
    for (let i = chosen.size; i < count; i++) candidates.add(randomIndex(context));
    for (const index of chosen) candidates.delete(index);
    if (candidates.size === 0) continue;
    const taken = await trx
      .selectFrom('records')
      .select('status_index')
      .where('status_index', 'in', [...candidates])
      .execute();
    for (const row of taken) candidates.delete(Number(row.status_index));
    for (const index of candidates) if (chosen.size < count) chosen.add(index);
  }
  return [...chosen];
}

function randomIndex(context: IssuerContext): number {
  const [a, b, c, d] = context.randomBytes(4);
  return (((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0) % MDOC_STATUS_LIST_SIZE;
}

/**
 * Signs the batch's MSOs: the card-face elements of `person` as the registry holds them now, each MSO
 * with fresh random salts and shuffled digest IDs (`issueMdoc` draws them per call), its own device key
 * and status index, and the coarse validity of {@link mdocValidity}. Returns each `{docType,
 * issuerSigned}` as CBOR, in the order of the keys.
 */
export async function signMdocBatch(
  issuer: MdocIssuer,
  batch: {
    readonly person: Person;
    readonly cardExpiry: CalendarDate;
    readonly deviceKeys: readonly EcPublicKey[];
    readonly statusIndexes: readonly number[];
    readonly now: Date;
  },
): Promise<Uint8Array[]> {
  const { person, now } = batch;
  const municipalityCode = person.municipalityCode.slice(0, 5) as MunicipalityCode;
  const validity = mdocValidity(now, issuer.documentSigner.certificate);
  const today = calendarDateInJapan(now);
  const mdocs: Uint8Array[] = [];
  for (const [position, deviceKey] of batch.deviceKeys.entries()) {
    const mdoc = await issueMdoc({
      docType: MNC_DOCTYPE,
      elements: cardFaceElements(
        {
          basicFourInfo: person.basicFourInfo,
          myNumber: person.myNumber,
          municipalityCode,
          portrait: person.photo,
          cardIssueDate: today,
          cardExpiryDate: batch.cardExpiry,
        },
        today,
      ),
      deviceKey,
      documentSigner: issuer.documentSigner,
      validity,
      status: { idx: batch.statusIndexes[position]!, uri: issuer.statusListUri },
      crypto: nodeMdocCrypto,
    });
    mdocs.push(mdoc.bytes);
  }
  return mdocs;
}

/** Marks a batch issued inside the caller's transaction (which makes its MSOs the phone's). */
export async function markBatchIssuedInTransaction(
  trx: Transaction<IssuerSchema>,
  context: IssuerContext,
  batchId: string,
): Promise<void> {
  const done = await trx
    .updateTable('mdoc_batches')
    .set({ status: 'issued', completed_at: isoTime(context.clock()) })
    .where('id', '=', batchId)
    .where('status', '=', 'issuing')
    .executeTakeFirst();
  if (done.numUpdatedRows !== 1n)
    throw new IssuerError('ERR_PHONE_STATE', 'the MSO batch was abandoned before it was issued');
}

/**
 * Abandons every batch a crash left `issuing` since before `olderThan` (run at start-up, and for a batch
 * whose issuance failed): its MSOs never left the issuer, and the status list lists them invalid.
 */
export async function abandonUnfinishedMdocBatches(
  context: IssuerContext,
  olderThan: Date,
  batchId?: string,
): Promise<number> {
  let update = context.db
    .updateTable('mdoc_batches')
    .set({ status: 'abandoned', completed_at: isoTime(context.clock()) })
    .where('status', '=', 'issuing')
    .where('created_at', '<', isoTime(olderThan));
  if (batchId) update = update.where('id', '=', batchId);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
