import { signStatusListToken, StatusList, TOKEN_STATUS, type EcPrivateKey } from '@openmyna/mdoc';

import type { IssuerContext } from './context.js';

/** How long a verifier may cache the mdoc status list (and how stale a revocation may be). */
export const MDOC_STATUS_TTL_SECONDS = 60;
const LIST_SIZE = 1 << 16;

/**
 * The IETF Token Status List of every mdoc issued (one list, 2 bits per credential): a phone that is
 * revoked makes its mdocs invalid, a suspended one suspended. Built from the registry, cached for the ttl.
 */
export class MdocStatusPublisher {
  #cached: { token: Uint8Array; builtAt: number } | undefined;

  constructor(
    private readonly context: IssuerContext,
    private readonly signer: { readonly key: EcPrivateKey; readonly certificate: Uint8Array },
    readonly uri: string,
  ) {}

  async token(): Promise<Uint8Array> {
    const now = this.context.clock();
    if (this.#cached && now.getTime() - this.#cached.builtAt < MDOC_STATUS_TTL_SECONDS * 1000)
      return this.#cached.token;
    const rows = await this.context.db
      .selectFrom('records')
      .innerJoin('phones', 'phones.id', 'records.phone_id')
      .select(['records.status_index', 'phones.status'])
      .where('records.kind', '=', 'mdoc')
      // A phone still provisioning has not received its mdoc yet: listed as valid, so the list need not
      // change when it becomes active (a crash leaves it to start-up repair, which revokes it).
      .where('phones.status', 'not in', ['active', 'provisioning'])
      .execute();
    const list = new StatusList(2, LIST_SIZE);
    for (const row of rows) {
      if (row.status_index === null || row.status_index >= LIST_SIZE) continue;
      list.set(row.status_index, row.status === 'revoked' ? TOKEN_STATUS.invalid : TOKEN_STATUS.suspended);
    }
    const token = await signStatusListToken({
      list,
      uri: this.uri,
      issuedAt: now,
      expiresAt: new Date(now.getTime() + 24 * 3600_000),
      ttl: MDOC_STATUS_TTL_SECONDS,
      signer: this.signer,
    });
    this.#cached = { token, builtAt: now.getTime() };
    return token;
  }

  invalidate(): void {
    this.#cached = undefined;
  }
}
