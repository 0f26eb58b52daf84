import { randomBytes } from 'node:crypto';

import { base64UrlEncode } from '@openmyna/core';
import type { Context, Hono } from 'hono';
import type { Kysely } from 'kysely';

import { bindBrowser, isBoundBrowser } from './browser-binding.js';
import { waitingState } from './refusals.js';
import type { PhoneRequestTable, RpDemoSchema } from './storage.js';
import { isFinal, poll, type VerifierClient, type VerifierView } from './verifier-client.js';

/** What a settled phone request became: done (with the account, for a login) or refused, named. */
export type PhoneOutcome =
  { readonly state: 'done'; readonly accountNo?: string } | { readonly state: 'refused'; readonly refusal: string };

export interface PhoneRequestDeps {
  readonly db: Kysely<RpDemoSchema>;
  readonly verifier: VerifierClient;
  readonly clock: () => Date;
}

/** Keeps a phone request the browser of `c` now waits for; returns its id. */
export async function startPhoneRequest(
  c: Context,
  deps: PhoneRequestDeps,
  kind: PhoneRequestTable['kind'],
  presentationId: string,
): Promise<string> {
  const id = base64UrlEncode(new Uint8Array(randomBytes(16)));
  await deps.db
    .insertInto('phone_requests')
    .values({
      id,
      kind,
      presentation_id: presentationId,
      state: 'waiting',
      refusal: null,
      account_no: null,
      browser_digest: bindBrowser(c, id),
      created_at: deps.clock().toISOString(),
    })
    .execute();
  return id;
}

/**
 * `GET {prefix}/:id/status` for phone requests of one kind: only the browser that started it may ask;
 * once the verifier's result is final, `decide` turns it into the outcome, kept once (the first
 * settlement wins). Answers `{ state }`.
 */
export function phoneRequestStatusRoute(
  app: Hono,
  deps: PhoneRequestDeps,
  prefix: string,
  kind: PhoneRequestTable['kind'],
  decide: (view: VerifierView) => PhoneOutcome | Promise<PhoneOutcome>,
): void {
  app.get(`${prefix}/:id/status`, async (c) => {
    const request = await boundPhoneRequest(c, deps, kind);
    if (!request) return c.json({ error: { code: 'ERR_NOT_FOUND', message: 'no such request' } }, 404);
    if (request.state !== 'waiting') return c.json({ state: request.state });
    const view = await poll(deps.verifier.presentation(request.presentation_id));
    const rejected = view?.lastRejection?.check;
    if (!isFinal(view)) return c.json(waitingState('waiting', rejected));
    // Valid without values: a concurrent poll took them and settles the request.
    if (view.result?.status === 'valid' && !view.claims) return c.json({ state: 'waiting' });
    const outcome = await decide(view);
    await deps.db
      .updateTable('phone_requests')
      .set({
        state: outcome.state,
        refusal: outcome.state === 'refused' ? outcome.refusal : null,
        account_no: outcome.state === 'done' ? (outcome.accountNo ?? null) : null,
      })
      .where('id', '=', request.id)
      .where('state', '=', 'waiting')
      .execute();
    const settled = await deps.db
      .selectFrom('phone_requests')
      .select('state')
      .where('id', '=', request.id)
      .executeTakeFirstOrThrow();
    return c.json({ state: settled.state });
  });
}

/** The phone request `:id` of this kind, if the asking browser is the one that started it. */
export async function boundPhoneRequest(
  c: Context,
  deps: PhoneRequestDeps,
  kind: PhoneRequestTable['kind'],
): Promise<PhoneRequestTable | undefined> {
  const id = c.req.param('id') ?? '';
  const request = await deps.db
    .selectFrom('phone_requests')
    .selectAll()
    .where('id', '=', id)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return request && isBoundBrowser(c, id, request.browser_digest) ? request : undefined;
}

/** The verifier's deciding check of a view that is not valid (or the firm's `fallback`). */
export function refusalOf(view: VerifierView, fallback = 'unknown'): PhoneOutcome {
  return { state: 'refused', refusal: view.result?.decidedBy?.check ?? fallback };
}
