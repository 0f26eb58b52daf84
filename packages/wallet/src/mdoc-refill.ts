import { mdocRefillStatement } from '@openmyna/card';
import { bytesToBase64 } from '@openmyna/pki';

import { WalletError } from './errors.js';
import type { IssuerClient } from './issuer-client.js';
import { assertMdocBatchSize } from './provisioning.js';
import { mdocIsBoundTo } from './bundle-binding.js';
import type { SecureArea } from './secure-area.js';

/**
 * Gets a fresh batch of single-use MSOs from the issuer (`POST /phones/{id}/mdoc-refills`) without a
 * PIN: the secure area makes `size` new device keys; one of the phone's device keys whose MSO is still
 * valid proves the phone over the issuer's single-use challenge, and each new key proves possession
 * over the same statement. The answer is installed only if every MSO is the card-face mdoc bound to
 * its new key, in order; then the earlier batch is retired (its MSOs and keys forgotten). On any
 * failure the new keys are forgotten and the earlier batch stays as it was.
 */
export async function refillMdocBatch(options: {
  readonly secureArea: SecureArea;
  readonly issuer: IssuerClient;
  readonly phoneId: string;
  readonly size: number;
  readonly now: Date;
}): Promise<void> {
  const { secureArea, issuer, phoneId } = options;
  const size = assertMdocBatchSize(options.size);
  const prover = await secureArea.mdocs.prover(options.now);
  if (!prover)
    throw new WalletError(
      'ERR_MDOC_EXHAUSTED',
      'every mdoc on this phone has expired, so none can prove the phone for a refill; add the card again',
    );
  const challenge = await issuer.openChallenge(phoneId, 'mdoc-refill');
  const fresh = await secureArea.generateDeviceKeys(size);
  try {
    const deviceKeys = fresh.map((key) => key.publicJwk);
    const statement = mdocRefillStatement({ phoneId, nonce: challenge.nonce, deviceKeys });
    const answer = await issuer.refillMdocs(phoneId, {
      challengeId: challenge.challengeId,
      proof: { deviceKey: prover.publicJwk, signature: bytesToBase64(await prover.key.signEs256(statement)) },
      deviceKeys,
      deviceKeySignatures: await Promise.all(
        fresh.map(async (key) => bytesToBase64(await key.key.signEs256(statement))),
      ),
    });
    const mdocs = checkRefill(answer.mdocs, deviceKeys);
    await secureArea.mdocs.install(mdocs.map((mdoc, position) => ({ mdoc, deviceKeyId: fresh[position]!.id })));
    await secureArea.replaceDisplayedMdoc(mdocs[0]!);
  } catch (error) {
    await secureArea.forgetDeviceKeys(fresh.map((key) => key.id)).catch(() => undefined);
    throw error;
  }
}

function checkRefill(mdocs: unknown, deviceKeys: readonly JsonWebKey[]): string[] {
  const refuse = (what: string, cause?: unknown) =>
    new WalletError('ERR_BUNDLE_INVALID', `the issuer's refill does not match this phone: ${what}`, { cause });
  if (!Array.isArray(mdocs) || mdocs.length !== deviceKeys.length)
    throw refuse('it holds another number of mdocs than keys were sent');
  return mdocs.map((mdoc: unknown, position) => {
    let bound = false;
    try {
      bound = typeof mdoc === 'string' && mdocIsBoundTo(mdoc, deviceKeys[position]!);
    } catch (error) {
      throw refuse('an mdoc does not decode', error);
    }
    if (!bound) throw refuse('an mdoc is bound to another device key');
    return mdoc as string;
  });
}
