import { ISO_23220_NAMESPACE, JP_NAMESPACE } from '@openmyna/mdoc';
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';

import type { RpDemoOptions } from './options.js';
import { answerNotFound, demoSiteApp, page, phoneRequest, type Site } from './layout.js';
import { boundPhoneRequest, phoneRequestStatusRoute, refusalOf, startPhoneRequest } from './phone-requests.js';
import { refusalText } from './refusals.js';
import { verifierClient, VerifierRefusal, type VerifierClient } from './verifier-client.js';

/** What the shop's routes run with. */
interface ShopDeps {
  readonly db: RpDemoOptions['db'];
  readonly verifier: VerifierClient;
  readonly walletUrl: string;
  readonly clock: () => Date;
}

/**
 * A shop that is not registered to receive My Numbers (the verifier knows it so): it checks age with
 * the phone (only `age_over_20`, nothing else), and shows what happens when it asks for a My Number —
 * the verifier refuses to make the request, so the phone is never asked.
 */
export function createShopDemoApp(
  options: Omit<RpDemoOptions, 'sealingKey' | 'firmName'> & { readonly name?: string },
): Hono {
  const app = demoSiteApp();
  const deps: ShopDeps = {
    db: options.db,
    verifier: verifierClient(options.verifier, options.fetch),
    walletUrl: options.walletUrl,
    clock: options.clock,
  };
  const site: Site = {
    name: options.name ?? 'openmynaショップ',
    colour: '#7c2d12',
    nav: [{ href: '/', label: '商品' }],
  };
  app.get('/', (c) => c.html(shopPage(site)));
  ageCheckRoutes(app, deps, site);
  app.post('/my-number', (c) => askForMyNumber(c, deps, site));
  answerNotFound(app, site);
  return app;
}

/** The product, the age check, and the My Number request the shop is not registered for. */
function shopPage(site: Site) {
  return page(
    site,
    '純米大吟醸',
    html`<h1>純米大吟醸 720ml ¥3,300</h1>
      <p>
        お酒のご購入には20歳以上であることの確認が必要です。スマートフォンのマイナンバーカードで、20歳以上かどうかだけをお知らせいただきます（お名前や生年月日は受け取りません）。
      </p>
      <form method="post" action="./age">
        <button type="submit" data-testid="age-check">スマホで年齢確認</button>
      </form>
      <div class="choice">
        <h2>マイナンバーの登録</h2>
        <p>当店はマイナンバーを扱う事務の登録がありません。試しに求めると、どうなるかをご覧いただけます。</p>
        <form method="post" action="./my-number">
          <button type="submit" class="secondary" data-testid="ask-my-number">マイナンバーを求めてみる</button>
        </form>
      </div>`,
  );
}

/** 「スマホで年齢確認」: only `age_over_20` is asked for. */
function ageCheckRoutes(app: Hono, deps: ShopDeps, site: Site): void {
  app.post('/age', async (c) => {
    let created;
    try {
      created = await deps.verifier.createPresentation({
        elements: [{ nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20', intentToRetain: false }],
        purpose: '酒類販売のための年齢確認',
      });
    } catch (error) {
      if (!(error instanceof VerifierRefusal)) throw error;
      return c.html(
        page(site, 'エラー', html`<p class="refused">ただいま確認できません（${error.status}）。</p>`),
        502,
      );
    }
    const id = await startPhoneRequest(c, deps, 'age', created.id);
    return c.html(
      page(
        site,
        'スマホで年齢確認',
        html`<h1>スマホで年齢確認</h1>
          ${phoneRequest(created, deps.walletUrl, { status: `./age/${id}/status`, result: `./age/${id}/result` })}`,
      ),
    );
  });
  phoneRequestStatusRoute(app, deps, '/age', 'age', (view) => {
    if (view.result?.status !== 'valid') return refusalOf(view);
    return view.claims?.[ISO_23220_NAMESPACE]?.['age_over_20'] === true
      ? { state: 'done' }
      : { state: 'refused', refusal: 'age.under_20' };
  });
  app.get('/age/:id/result', async (c) => {
    const request = await boundPhoneRequest(c, deps, 'age');
    if (!request) return c.notFound();
    if (request.state === 'done')
      return c.html(
        page(
          site,
          '年齢確認',
          html`<h1 class="done" data-testid="done">20歳以上であることを確認しました</h1>
            <p>ご購入いただけます。当店が受け取ったのは「20歳以上」という事実だけです。</p>`,
        ),
      );
    return c.html(
      page(
        site,
        '年齢確認',
        html`<h1 class="refused" data-testid="refused">年齢を確認できませんでした</h1>
          <p data-testid="refusal">
            ${request.refusal === 'age.under_20' ? '20歳未満の方にはお酒を販売できません。' : refusalText(request.refusal)}
          </p>
          <a class="button" href="../../">もう一度</a>`,
      ),
    );
  });
}

/** Asks the verifier for a My Number request; for a shop without the registration it refuses. */
async function askForMyNumber(c: Context, deps: ShopDeps, site: Site) {
  try {
    await deps.verifier.createPresentation({
      elements: [{ nameSpace: JP_NAMESPACE, elementIdentifier: 'individual_number_unicode' }],
      purpose: '会員登録',
    });
  } catch (error) {
    if (!(error instanceof VerifierRefusal) || error.code !== 'ERR_RP_NOT_AUTHORIZED') throw error;
    return c.html(
      page(
        site,
        'マイナンバーは受け取れません',
        html`<h1 class="refused" data-testid="refused">マイナンバーは受け取れません</h1>
          <p data-testid="refusal" data-code="${error.code}">
            マイナンバーを受け取れるのは、法律で定められた事務（個人番号利用事務・個人番号関係事務）に登録された事業者だけです。当店には登録がないため、ベリファイアがこの依頼を作りませんでした。お客様のスマートフォンには何も届いていません。
          </p>
          <a class="button" href="./">商品に戻る</a>`,
      ),
      403,
    );
  }
  throw new Error('the verifier made a My Number request for a shop without the registration');
}
