import { signStatusListToken, StatusList, TOKEN_STATUS, type EcPrivateKey } from '@openmyna/mdoc';

import type { IssuerContext } from './context.js';
import type { StatusChangeFeed } from './status-changes.js';

/** How long a verifier may cache the mdoc status list (and how stale a revocation may be). */
export const MDOC_STATUS_TTL_SECONDS = 60;
/**
 * Entries of the list (2^20: 256 KiB before compression, a few hundred bytes after while it is sparse).
 * Indexes are drawn at random over all of it, so its size is also the crowd an index hides in.
 */
export const MDOC_STATUS_LIST_SIZE = 1 << 20;

/**
 * The IETF Token Status List of every mdoc issued (one list, 2 bits per credential): a phone that is
 * revoked makes every MSO of every batch it was given invalid, a suspended one suspended; the MSOs of a
 * batch abandoned half-made are invalid. Built from the registry, cached for the ttl — or, given a
 * {@link StatusChangeFeed}, until a phone's or batch's status changes on any instance (and not at all
 * while the feed is not listening).
 */
export class MdocStatusPublisher {
  #cached: { token: Uint8Array; builtAt: number } | undefined;
  /** Counts invalidations: a list built across one is not kept. */
  #generation = 0;

  constructor(
    private readonly context: IssuerContext,
    private readonly signer: { readonly key: EcPrivateKey; readonly certificate: Uint8Array },
    readonly uri: string,
    private readonly changes?: StatusChangeFeed,
  ) {
    changes?.subscribe((change) => {
      if (change.kind !== 'certificate') this.invalidate();
    });
  }

  async token(): Promise<Uint8Array> {
    const now = this.context.clock();
    const generation = this.#generation;
    const caching = this.changes?.listening ?? true;
    if (caching && this.#cached && now.getTime() - this.#cached.builtAt < MDOC_STATUS_TTL_SECONDS * 1000)
      return this.#cached.token;
    const rows = await this.context.db
      .selectFrom('records')
      .innerJoin('phones', 'phones.id', 'records.phone_id')
      .leftJoin('mdoc_batches', 'mdoc_batches.id', 'records.batch_id')
      .select(['records.status_index', 'phones.status', 'mdoc_batches.status as batch'])
      .where('records.kind', '=', 'mdoc')
      // A phone still provisioning has not received its mdocs yet: listed as valid, so the list need not
      // change when it becomes active (a crash leaves it to start-up repair, which revokes it).
      .where((eb) =>
        eb.or([eb('phones.status', 'not in', ['active', 'provisioning']), eb('mdoc_batches.status', '=', 'abandoned')]),
      )
      .execute();
    const list = new StatusList(2, MDOC_STATUS_LIST_SIZE);
    for (const row of rows) {
      if (row.status_index === null || row.status_index >= MDOC_STATUS_LIST_SIZE) continue;
      const suspended = row.status === 'suspended' && row.batch !== 'abandoned';
      list.set(row.status_index, suspended ? TOKEN_STATUS.suspended : TOKEN_STATUS.invalid);
    }
    const token = await signStatusListToken({
      list,
      uri: this.uri,
      issuedAt: now,
      expiresAt: new Date(now.getTime() + 24 * 3600_000),
      ttl: MDOC_STATUS_TTL_SECONDS,
      signer: this.signer,
    });
    if (caching && generation === this.#generation) this.#cached = { token, builtAt: now.getTime() };
    return token;
  }

  /** Drops the cached list (a phone's or batch's status changed). */
  invalidate(): void {
    this.#generation++;
    this.#cached = undefined;
  }
}
