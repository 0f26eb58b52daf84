import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

import { ISO_23220_NAMESPACE, JP_NAMESPACE } from '@openmyna/mdoc';
import type { Context, Hono } from 'hono';
import { html, raw } from 'hono/html';

import type { RpDemoDeps } from './options.js';
import { bindBrowser, isBoundBrowser, unbindBrowser } from './browser-binding.js';
import { page, type Site } from './layout.js';
import { refusalText } from './refusals.js';
import { isFinal, poll, VerifierRefusal } from './verifier-client.js';

/** What the counter asks the phone for: what a clerk compares with the person in front of them. */
export const COUNTER_ELEMENTS = [
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'portrait' },
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode' },
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'resident_address_unicode' },
  { nameSpace: JP_NAMESPACE, elementIdentifier: 'birth_date_unicode' },
  { nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' },
  { nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'expiry_date' },
] as const;

/** The verified values as the clerk's page shows them (once; the firm keeps none of them). */
export interface CounterPerson {
  readonly portrait: string;
  readonly name: string;
  readonly address: string;
  readonly birthDate: string;
  readonly ageOver20: boolean | null;
  readonly expiryDate: string;
}

function counterPerson(claims: Record<string, Record<string, unknown>>): CounterPerson {
  const jp = claims[JP_NAMESPACE] ?? {};
  const iso = claims[ISO_23220_NAMESPACE] ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const portrait = text(jp['portrait']);
  return {
    portrait: portrait ? `data:image/${portrait.startsWith('iVBOR') ? 'png' : 'jpeg'};base64,${portrait}` : '',
    name: text(jp['full_name_unicode']),
    address: text(jp['resident_address_unicode']),
    birthDate: text(jp['birth_date_unicode']),
    ageOver20: typeof iso['age_over_20'] === 'boolean' ? iso['age_over_20'] : null,
    expiryDate: text(iso['expiry_date']),
  };
}

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
  const { db, verifier, clock } = deps;
  const check = async (c: Context) => {
    const id = c.req.param('id') ?? '';
    const found = await db.selectFrom('counter_checks').selectAll().where('id', '=', id).executeTakeFirst();
    return found && isBoundBrowser(c, id, found.browser_digest) ? found : undefined;
  };
  app.get('/assets/jsqr.js', async (c) =>
    c.body(await (jsQrSource ??= readFile(jsQrPath, 'utf8')), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    }),
  );
  app.get('/counter', (c) =>
    c.html(
      page(
        site,
        '窓口での本人確認',
        html`<h1>窓口での本人確認</h1>
          <p>お客様にスマートフォンのウォレットで「対面で提示」を開いてもらい、表示されたQRコードを読み取ります。</p>
          <button type="button" id="scan" class="secondary" data-testid="scan">カメラで読み取る</button>
          <video id="camera" muted playsinline hidden></video>
          <form method="post" action="./counter" id="engagement-form">
            <label
              >QRコードの内容（mdoc:…）
              <textarea name="engagement" rows="3" data-testid="engagement" required></textarea>
            </label>
            <button type="submit" data-testid="start-counter">本人確認を始める</button>
          </form>
          <p class="note">
            読み取るのは顔写真・氏名・住所・生年月日・20歳以上か・有効期限です。当社は確認の記録だけを残し、これらの値は保存しません。
          </p>
          <script src="./assets/jsqr.js"></script>
          <script>
            document.getElementById('scan').addEventListener('click', async () => {
              const video = document.getElementById('camera');
              const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
              video.hidden = false;
              video.srcObject = stream;
              await video.play();
              const canvas = document.createElement('canvas');
              const context = canvas.getContext('2d', { willReadFrequently: true });
              const tick = () => {
                if (video.readyState >= 2) {
                  canvas.width = video.videoWidth;
                  canvas.height = video.videoHeight;
                  context.drawImage(video, 0, 0);
                  const found = jsQR(
                    context.getImageData(0, 0, canvas.width, canvas.height).data,
                    canvas.width,
                    canvas.height,
                  );
                  if (found && found.data.startsWith('mdoc:')) {
                    stream.getTracks().forEach((track) => track.stop());
                    document.querySelector('[name=engagement]').value = found.data;
                    return document.getElementById('engagement-form').submit();
                  }
                }
                requestAnimationFrame(tick);
              };
              requestAnimationFrame(tick);
            });
          </script>`,
      ),
    ),
  );
  app.post('/counter', async (c) => {
    const form = await c.req.parseBody();
    const engagement = typeof form['engagement'] === 'string' ? form['engagement'].trim() : '';
    let started;
    try {
      started = await verifier.startProximity({ engagement, elements: COUNTER_ELEMENTS });
    } catch (error) {
      if (!(error instanceof VerifierRefusal)) throw error;
      const message =
        error.code === 'ERR_ENGAGEMENT' || error.code === 'ERR_VALIDATION'
          ? 'QRコードを読み取れませんでした。お客様のスマートフォンで「対面で提示」を開き直してもらってください。'
          : `ただいま本人確認を始められません（${error.status}）。`;
      return c.html(
        page(
          site,
          '窓口での本人確認',
          html`<p class="refused" data-testid="refused">${message}</p>
            <a class="button" href="./counter">戻る</a>`,
        ),
        error.status === 400 ? 400 : 502,
      );
    }
    const id = randomBytes(16).toString('base64url');
    await db
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
        created_at: clock().toISOString(),
        recorded_at: null,
      })
      .execute();
    return c.redirect(`./counter/${id}`, 303);
  });
  app.get('/counter/:id', async (c) => {
    const found = await check(c);
    if (!found) return c.notFound();
    return c.html(
      page(
        site,
        '窓口での本人確認',
        html`<h1>窓口での本人確認</h1>
          <p data-testid="waiting" id="waiting">お客様のスマートフォンでの操作（暗証番号の入力）をお待ちしています…</p>
          <div id="person" hidden>
            <img class="portrait" data-testid="portrait" alt="顔写真" />
            <dl class="large">
              <dt>氏名</dt>
              <dd data-testid="name"></dd>
              <dt>住所</dt>
              <dd data-testid="address"></dd>
              <dt>生年月日</dt>
              <dd data-testid="birth-date"></dd>
              <dt>20歳以上</dt>
              <dd data-testid="age-over-20"></dd>
              <dt>有効期限</dt>
              <dd data-testid="expiry"></dd>
            </dl>
            <p>顔写真とお客様のお顔を見比べてください。</p>
            <form method="post" action="./${found.id}/record">
              <button type="submit" name="decision" value="match" data-testid="record-match">本人と確認しました</button>
              <button type="submit" name="decision" value="mismatch" class="secondary">一致しません</button>
            </form>
          </div>
          <p id="outcome" class="refused" hidden data-testid="refused"></p>
          <script>
            const show = (person) => {
              const set = (id, text) => (document.querySelector('[data-testid=' + id + ']').textContent = text);
              document.querySelector('[data-testid=portrait]').src = person.portrait;
              set('name', person.name);
              set('address', person.address);
              set('birth-date', person.birthDate);
              set('age-over-20', person.ageOver20 === null ? '—' : person.ageOver20 ? 'はい' : 'いいえ');
              set('expiry', person.expiryDate);
              document.getElementById('waiting').hidden = true;
              document.getElementById('person').hidden = false;
            };
            const poll = async () => {
              const state = await (await fetch('./${raw(found.id)}/status')).json();
              if (state.state === 'waiting') return setTimeout(poll, 1000);
              document.getElementById('waiting').hidden = true;
              if (state.person) return show(state.person);
              const outcome = document.getElementById('outcome');
              outcome.textContent = state.message;
              outcome.hidden = false;
            };
            poll();
          </script>`,
      ),
    );
  });
  app.get('/counter/:id/status', async (c) => {
    const found = await check(c);
    if (!found) return c.json({ error: { code: 'ERR_NOT_FOUND', message: 'no such check' } }, 404);
    if (found.state === 'refused') return c.json({ state: 'refused', message: refusalText(found.refusal) });
    if (found.state !== 'waiting')
      return c.json({ state: found.state, message: '確認結果は表示済みです（当社は値を保存していません）。' });
    const view = await poll(verifier.proximity(found.proximity_id));
    if (!isFinal(view)) return c.json({ state: 'waiting' });
    // Valid without values: another poll of this screen took them and shows them.
    if (view.result?.status === 'valid' && !view.claims)
      return c.json({ state: 'answered', message: '確認結果は表示済みです。' });
    const valid = view.result?.status === 'valid';
    const claimed = await db
      .updateTable('counter_checks')
      .set({
        state: valid ? 'answered' : 'refused',
        refusal: valid ? null : (view.result?.decidedBy?.check ?? 'unknown'),
        verification: JSON.stringify(view.result?.records ?? []),
      })
      .where('id', '=', found.id)
      .where('state', '=', 'waiting')
      .executeTakeFirst();
    if (claimed.numUpdatedRows !== 1n) return c.json({ state: 'answered', message: '確認結果は表示済みです。' });
    if (!valid) return c.json({ state: 'refused', message: refusalText(view.result?.decidedBy?.check ?? 'unknown') });
    // The values pass through to the clerk's screen once; they are not stored.
    return c.json({ state: 'answered', person: counterPerson(view.claims!) });
  });
  app.post('/counter/:id/record', async (c) => {
    const found = await check(c);
    if (!found || found.state !== 'answered') return c.notFound();
    const form = await c.req.parseBody();
    const decision = form['decision'] === 'match' ? 'match' : 'mismatch';
    const at = clock().toISOString();
    await db
      .updateTable('counter_checks')
      .set({ state: 'recorded', decision, recorded_at: at })
      .where('id', '=', found.id)
      .where('state', '=', 'answered')
      .execute();
    unbindBrowser(c, found.id);
    const records = JSON.parse(found.verification ?? '[]') as { method?: string; verifiedAt?: string }[];
    return c.html(
      page(
        site,
        '確認を記録しました',
        html`<h1 class="done" data-testid="recorded">確認を記録しました</h1>
          <dl>
            <dt>確認日時</dt>
            <dd>${at}</dd>
            <dt>確認した項目</dt>
            <dd>${(JSON.parse(found.elements) as string[]).join('、')}</dd>
            <dt>検証</dt>
            <dd>${records.map((record) => `${record.method ?? ''} ${record.verifiedAt ?? ''}`).join(' / ')}</dd>
            <dt>担当者の確認</dt>
            <dd data-testid="decision">${decision === 'match' ? '本人と一致' : '一致せず'}</dd>
          </dl>
          <p class="note">顔写真・氏名・住所などの値は保存していません。</p>
          <a class="button" href="../../counter">次のお客様</a>`,
      ),
    );
  });
}
