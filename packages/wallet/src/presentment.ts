import { createAuthorizationResponse, type AuthorizationRequest } from '@openmyna/mdoc';

import { consentLogEntry } from './consent.js';
import { errorCodeOf, WalletError } from './errors.js';
import { availableElements } from './holder.js';
import { fetchJson } from './http.js';
import { InPersonPresentation } from './in-person.js';
import { refillIfLow, takeMdoc } from './mdoc-supply.js';
import { buildPresentations, type Approval } from './presentations.js';
import type { PendingPresentation } from './request-opening.js';
import { verifyKenhojoPin } from './pin-outcomes.js';
import type { WalletContext } from './wallet-context.js';

/**
 * The user approved: checks each PIN or password in its applet (a wrong one costs a try and sends
 * nothing), builds the presentations of the items that may be released — the CMS signature over the
 * document, the 入力補助 records, the login signature, the mdoc — and posts them to the relying
 * party. Returns where the relying party wants the browser to go next, if anywhere.
 */
export async function approve(
  context: WalletContext,
  pending: PendingPresentation,
  approval: Approval,
): Promise<{ redirectUri?: string }> {
  const end = pending.begin();
  try {
    return await answer(context, pending, approval);
  } finally {
    end();
  }
}

async function answer(
  context: WalletContext,
  pending: PendingPresentation,
  approval: Approval,
): Promise<{ redirectUri?: string }> {
  const { view, request } = pending;
  const missing = view.secrets.filter((secret) => !approval[secret]);
  if (missing.length > 0) throw new WalletError('ERR_APPROVAL_INCOMPLETE', `the approval needs ${missing.join(', ')}`);
  const entry = consentLogEntry('presentation', view);
  let form: Record<string, string>;
  try {
    form = await context.log.failures(entry, async () => {
      const presentations = await context.secureArea.withCard((card) =>
        buildPresentations(context, card, pending, approval),
      );
      return createAuthorizationResponse({ request, presentations });
    });
  } catch (error) {
    // A locked PIN cannot answer this request: the relying party hears so and stops waiting. Telling it
    // is best effort; the lock is what the person must see.
    if (errorCodeOf(error) === 'ERR_PIN_BLOCKED') {
      pending.finish();
      await giveUp(context, pending).catch(() => undefined);
    }
    throw error;
  }
  pending.finish();
  // Built and sent: whatever the relying party answers, the answer left the phone.
  const sent = await context.log.record(
    entry,
    () => postForm<{ redirect_uri?: unknown }>(context, request, form, 'sending the answer'),
    { failure: { result: 'failed' } },
  );
  if (view.items.some((item) => item.release && item.format === 'mso_mdoc')) await refillIfLow(context);
  return typeof sent.redirect_uri === 'string' ? { redirectUri: sent.redirect_uri } : {};
}

/** The user declined: the relying party hears `access_denied` (OpenID4VP §8.5), and nothing else. */
export async function decline(context: WalletContext, pending: PendingPresentation): Promise<void> {
  pending.begin();
  pending.finish();
  try {
    await giveUp(context, pending);
  } finally {
    await context.log.append({ ...consentLogEntry('presentation', pending.view), result: 'declined' });
  }
}

/**
 * The wallet's error response for a request it finished without an answer, to its `response_uri`
 * (OpenID4VP §8.5): `access_denied` whether the holder declined or a PIN locked — the holder gave
 * nothing, and why (which PIN, that one locked) stays on the phone.
 */
async function giveUp(context: WalletContext, pending: PendingPresentation): Promise<void> {
  const { request } = pending;
  const form: Record<string, string> = { error: 'access_denied' };
  if (request.state) form['state'] = request.state;
  await postForm(context, request, form, 'sending the refusal');
}

/** The wallet's `direct_post` to the request's `response_uri` (a form, as OpenID4VP §8.2 has it). */
function postForm<T>(
  context: WalletContext,
  request: AuthorizationRequest,
  form: Record<string, string>,
  what: string,
): Promise<T> {
  return fetchJson<T>(
    context.fetch,
    request.response_uri,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    },
    'ERR_RESPONSE_REJECTED',
    what,
  );
}

/**
 * Starts an in-person presentation (ISO/IEC 18013-5 over the verifier's relay): the returned session
 * shows the engagement QR, then waits for the reader's request.
 */
export async function startInPerson(
  context: WalletContext,
  relay: { readonly url: string; readonly session: string },
): Promise<InPersonPresentation> {
  const bundle = await context.secureArea.bundle();
  return InPersonPresentation.start({
    relay,
    crypto: context.crypto,
    readerAnchors: context.options.readerAnchors,
    clock: context.clock,
    available: availableElements(bundle),
    ...(context.options.createSocket ? { createSocket: context.options.createSocket } : {}),
    respond: async (kenhojoPin, relyingParty, build) =>
      context.secureArea.withCard(async (card) => {
        await card.kenhojo.select();
        await verifyKenhojoPin(card.kenhojo, kenhojoPin);
        const taken = await takeMdoc(context, relyingParty);
        return build(taken.issued, taken.deviceKey);
      }),
    log: async (entry) => {
      await context.log.append(entry);
      if (entry.result === 'completed') await refillIfLow(context);
    },
  });
}
