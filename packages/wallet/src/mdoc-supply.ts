import { errorCodeOf, WalletError } from './errors.js';
import type { MdocPoolSummary, TakenMdoc } from './mdoc-pool.js';
import { refillMdocBatch } from './mdoc-refill.js';
import { batchSizeOf, installedPhoneIdOf, issuerOf, type WalletContext } from './wallet-context.js';

/** How many MSOs the phone holds: unused, used, expired. */
export function mdocStatus(context: WalletContext): Promise<MdocPoolSummary> {
  return context.secureArea.mdocs.summary(context.clock());
}

/**
 * Gets a fresh batch of single-use MSOs from the issuer — no PIN: one of the phone's device keys with
 * a valid MSO proves the phone — and retires the earlier batch.
 */
export async function refillMdocs(context: WalletContext): Promise<MdocPoolSummary> {
  await context.log.record({ kind: 'mdoc-refill', items: ['mdoc'] }, async () => {
    const phoneId = await installedPhoneIdOf(context);
    await refillMdocBatch({
      secureArea: context.secureArea,
      issuer: issuerOf(context),
      phoneId,
      size: batchSizeOf(context),
      now: context.clock(),
    });
  });
  return mdocStatus(context);
}

/**
 * An MSO for a presentation to `relyingParty`, under the configured policy. None left: one refill is
 * tried first (when an issuer is configured); if that fails too, `ERR_MDOC_EXHAUSTED` — an MSO is
 * never shown twice against the policy.
 */
export async function takeMdoc(context: WalletContext, relyingParty: string | undefined): Promise<TakenMdoc> {
  const take = () =>
    context.secureArea.mdocs.take({
      relyingParty,
      policy: context.options.mdocs?.policy ?? 'single-use',
      now: context.clock(),
    });
  try {
    return await take();
  } catch (error) {
    if (errorCodeOf(error) !== 'ERR_MDOC_EXHAUSTED' || !context.options.issuerUrl) throw error;
  }
  try {
    await refillMdocs(context);
  } catch (error) {
    throw new WalletError(
      'ERR_MDOC_EXHAUSTED',
      `no unused mdoc is left on this phone, and the refill failed (${errorCodeOf(error) ?? 'error'})`,
      { cause: error },
    );
  }
  return take();
}

/** After a presentation: refills once fewer than `refillBelow` unused MSOs remain; a failure is logged only. */
export async function refillIfLow(context: WalletContext): Promise<void> {
  const threshold = context.options.mdocs?.refillBelow ?? 3;
  if (!context.options.issuerUrl || threshold <= 0) return;
  if ((await mdocStatus(context)).unused >= threshold) return;
  await refillMdocs(context).catch(() => undefined);
}
