import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

import { base64UrlEncode } from '@openmyna/core';
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { Selectable } from 'kysely';

import type { RpDemoDeps } from './options.js';
import { bindBrowser, isBoundBrowser, unbindBrowser } from './browser-binding.js';
import { engagementPage, recordedPage, waitingPage } from './counter/counter-pages.js';
import { COUNTER_ELEMENTS, counterPerson } from './counter/counter-person.js';
import { page, type Site } from './layout.js';
import { refusalText } from './refusals.js';
import type { CounterCheckTable } from './storage.js';
import { isFinal, poll, VerifierRefusal } from './verifier-client.js';

export { COUNTER_ELEMENTS, type CounterPerson } from './counter/counter-person.js';

const jsQrPath = createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js');
let jsQrSource: Promise<string> | undefined;

/**
 * The counter (対面, DESIGN.md flow 2): the clerk's page reads the phone's engagement QR (camera or
 * paste) and hands it to the backend, which asks the verifier to run the ISO 18013-5 session with this
 * firm's reader key. The verified photo, name, address, birth date, age over 20 and validity are shown
 * once, large, to compare with the person; the clerk records the comparison. The firm keeps the record
 * (time, what was verified, the checks, the clerk's decision), never the values.
 */
export function counterRoutes(app: Hono, deps: RpDemoDeps, site: Site): void {
  const check = async (c: Context) => {
    const id = c.req.param('id') ?? '';
    const found = await deps.db.selectFrom('counter_checks').selectAll().where('id', '=', id).executeTakeFirst();
    return found && isBoundBrowser(c, id, found.browser_digest) ? found : undefined;
  };
  app.get('/assets/jsqr.js', async (c) =>
    c.body(await (jsQrSource ??= readFile(jsQrPath, 'utf8')), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    }),
  );
  app.get('/counter', (c) => c.html(engagementPage(site)));
  app.post('/counter', (c) => startCounterCheck(c, deps, site));
  app.get('/counter/:id', async (c) => {
    const found = await check(c);
    if (!found) return c.notFound();
    return c.html(waitingPage(site, found.id));
  });
  app.get('/counter/:id/status', async (c) => {
    const found = await check(c);
    if (!found) return c.json({ error: { code: 'ERR_NOT_FOUND', message: 'no such check' } }, 404);
    return c.json(await counterStatus(deps, found));
  });
  app.post('/counter/:id/record', async (c) => {
    const found = await check(c);
    if (!found || found.state !== 'answered') return c.notFound();
    const form = await c.req.parseBody();
    const decision = form['decision'] === 'match' ? 'match' : 'mismatch';
    const at = deps.clock().toISOString();
    await deps.db
      .updateTable('counter_checks')
      .set({ state: 'recorded', decision, recorded_at: at })
      .where('id', '=', found.id)
      .where('state', '=', 'answered')
      .execute();
    unbindBrowser(c, found.id);
    return c.html(recordedPage(site, { at, decision, elements: found.elements, verification: found.verification }));
  });
}

/** Asks the verifier to run the session the engagement names, and binds the check to this browser. */
async function startCounterCheck(c: Context, deps: RpDemoDeps, site: Site) {
  const form = await c.req.parseBody();
  const engagement = typeof form['engagement'] === 'string' ? form['engagement'].trim() : '';
  let started;
  try {
    started = await deps.verifier.startProximity({ engagement, elements: COUNTER_ELEMENTS });
  } catch (error) {
    if (!(error instanceof VerifierRefusal)) throw error;
    const message =
      error.code === 'ERR_ENGAGEMENT' || error.code === 'ERR_VALIDATION'
        ? 'QRコードを読み取れませんでした。お客様のスマートフォンで「対面で提示」を開き直してもらってください。'
        : `ただいま本人確認を始められません（${error.status}）。`;
    const body = html`<p class="refused" data-testid="refused">${message}</p>
      <a class="button" href="./counter">戻る</a>`;
    return c.html(page(site, '窓口での本人確認', body), error.status === 400 ? 400 : 502);
  }
  const id = base64UrlEncode(new Uint8Array(randomBytes(16)));
  await deps.db
    .insertInto('counter_checks')
    .values({
      id,
      proximity_id: started.id,
      state: 'waiting',
      refusal: null,
      elements: JSON.stringify(COUNTER_ELEMENTS.map((element) => element.elementIdentifier)),
      verification: null,
      decision: null,
      browser_digest: bindBrowser(c, id),
      created_at: deps.clock().toISOString(),
      recorded_at: null,
    })
    .execute();
  return c.redirect(`./counter/${id}`, 303);
}

/** The check's state for the clerk's page; the verified values pass through once and are not stored. */
async function counterStatus(deps: RpDemoDeps, found: Selectable<CounterCheckTable>) {
  if (found.state === 'refused') return { state: 'refused', message: refusalText(found.refusal) };
  if (found.state !== 'waiting')
    return { state: found.state, message: '確認結果は表示済みです（当社は値を保存していません）。' };
  const view = await poll(deps.verifier.proximity(found.proximity_id));
  if (!isFinal(view)) return { state: 'waiting' };
  // Valid without values: another poll of this screen took them and shows them.
  if (view.result?.status === 'valid' && !view.claims)
    return { state: 'answered', message: '確認結果は表示済みです。' };
  const valid = view.result?.status === 'valid';
  const claimed = await deps.db
    .updateTable('counter_checks')
    .set({
      state: valid ? 'answered' : 'refused',
      refusal: valid ? null : (view.result?.decidedBy?.check ?? 'unknown'),
      verification: JSON.stringify(view.result?.records ?? []),
    })
    .where('id', '=', found.id)
    .where('state', '=', 'waiting')
    .executeTakeFirst();
  if (claimed.numUpdatedRows !== 1n) return { state: 'answered', message: '確認結果は表示済みです。' };
  if (!valid) return { state: 'refused', message: refusalText(view.result?.decidedBy?.check ?? 'unknown') };
  // The values pass through to the clerk's screen once; they are not stored.
  return { state: 'answered', person: counterPerson(view.claims!) };
}
