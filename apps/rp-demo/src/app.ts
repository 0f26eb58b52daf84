import type { Hono } from 'hono';
import { html } from 'hono/html';

import { accountOpeningRoutes } from './account-opening.js';
import { counterRoutes } from './counter.js';
import { answerNotFound, demoSiteApp, page, type Site } from './layout.js';
import { loginRoutes } from './login.js';
import { oidcRoutes } from './oidc.js';
import { oidcRelyingParty } from './oidc/relying-party.js';
import type { RpDemoDeps, RpDemoOptions } from './options.js';
import { verifierClient } from './verifier-client.js';

export type { RpDemoDeps, RpDemoOptions } from './options.js';

/**
 * A securities firm's site on the verifier service's API: the online account opening (DESIGN.md flow
 * 3), 「スマホでログイン」 (flow 4) and the counter for in-person checks (flow 2). The backend trusts only
 * the verifier's results, never the browser, and keeps only what the firm must.
 */
export function createRpDemoApp(options: RpDemoOptions): Hono {
  const app = demoSiteApp();
  const deps: RpDemoDeps = {
    db: options.db,
    verifier: verifierClient(options.verifier, options.fetch),
    walletUrl: options.walletUrl,
    sealingKey: options.sealingKey,
    clock: options.clock,
    ...(options.oidc ? { oidc: oidcRelyingParty(options.oidc, options.fetch) } : {}),
  };
  const site: Site = {
    name: options.firmName ?? 'openmyna証券',
    colour: '#14532d',
    nav: [
      { href: '/', label: 'トップ' },
      { href: '/login', label: 'ログイン' },
      { href: '/counter', label: '窓口' },
    ],
  };
  app.get('/', (c) =>
    c.html(
      page(
        site,
        '口座開設',
        html`<h1>証券総合口座の開設</h1>
          <p>
            マイナンバーカードを入れたスマートフォンだけで、本人確認とマイナンバーの提出が終わり、その場で口座が開設されます。
          </p>
          <a class="button" href="./apply" data-testid="start">口座開設を申し込む</a>
          <a class="button" href="./login" data-testid="to-login">スマホでログイン</a>
          ${
            deps.oidc
              ? html`<a class="button" href="./oidc/apply" data-testid="to-oidc-apply">電子署名で申込内容を確認</a>`
              : ''
          }`,
      ),
    ),
  );
  accountOpeningRoutes(app, deps, site);
  loginRoutes(app, deps, site);
  counterRoutes(app, deps, site);
  oidcRoutes(app, deps, site);
  answerNotFound(app, site);
  return app;
}
