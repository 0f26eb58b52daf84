import { abandonUnfinished } from './certificates.js';
import type { IssuerContext } from './context.js';
import { abandonUnfinishedProvisioning, PROVISIONING_SESSION_SECONDS } from './provisioning.js';

/**
 * How old unfinished work must be before a repair ends it: a certificate still `prepared`, a phone still
 * `provisioning`, an MSO batch still `issuing`. Several instances share one database, so unfinished work
 * may be a live instance's, not a dead one's. A completion starts only while its provisioning session
 * lives ({@link PROVISIONING_SESSION_SECONDS}) and its own work — the phone's row, its certificates and
 * MSOs — takes seconds; card issuance and a refill take seconds too. Twice the session's lifetime
 * leaves a live operation that long again on a slow database or key token. One that still outlasts it
 * fails closed: its last step requires the state the repair changed (`prepared`, `provisioning`,
 * `issuing`) and refuses.
 */
export const ISSUER_REPAIR_GRACE_SECONDS = 2 * PROVISIONING_SESSION_SECONDS;

/** What one repair ended. */
export interface RepairedWork {
  readonly certificates: number;
  readonly revokedSerials: readonly string[];
}

/**
 * Ends the work a dead instance left half done, older than `graceSeconds` by the context's clock: run
 * at start-up and periodically by every instance (docs/operations.md).
 *
 * @example
 * const { certificates, revokedSerials } = await repairUnfinishedWork(context);
 */
export async function repairUnfinishedWork(
  context: IssuerContext,
  graceSeconds: number = ISSUER_REPAIR_GRACE_SECONDS,
): Promise<RepairedWork> {
  const olderThan = new Date(context.clock().getTime() - graceSeconds * 1000);
  const certificates = await abandonUnfinished(context, olderThan);
  const revokedSerials = await abandonUnfinishedProvisioning(context, olderThan);
  return { certificates, revokedSerials };
}
