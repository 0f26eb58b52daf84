import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** The largest body a demo site takes: its forms and the counter's engagement text are a few KiB. */
export const DEMO_BODY_LIMIT = 64 * 1024;

/** A demo site's new app, refusing bodies over {@link DEMO_BODY_LIMIT} as they stream in (413). */
export function demoSiteApp(): Hono {
  const app = new Hono();
  app.use(
    '*',
    bodyLimit({
      maxSize: DEMO_BODY_LIMIT,
      onError: (c) =>
        c.json(
          { error: { code: 'ERR_BODY_TOO_LARGE', message: `the body is larger than ${DEMO_BODY_LIMIT} bytes` } },
          413,
        ),
    }),
  );
  return app;
}

type Body = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A site of the demo: its name, colour and the links in its header. */
export interface Site {
  readonly name: string;
  readonly colour: string;
  readonly nav: readonly { readonly href: string; readonly label: string }[];
}

const STYLE = `
body { font-family: 'Hiragino Sans', 'Noto Sans JP', 'IPAPGothic', sans-serif; margin: 0; background: #f6f7f9; color: #1c2230; }
header { background: var(--brand); color: #fff; padding: 0.9rem 1.5rem; font-size: 1.2rem; display: flex; gap: 1.5rem; align-items: center; }
header a { color: #fff; font-size: 0.95rem; }
header .name { font-weight: bold; margin-right: auto; }
main { max-width: 44rem; margin: 1.5rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 0.6rem; }
label { display: block; margin: 0.8rem 0; }
select, input, textarea { display: block; width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; margin-top: 0.3rem; }
button, .button { background: var(--brand); color: #fff; border: 0; border-radius: 0.4rem; padding: 0.8rem 1.4rem; font: inherit; cursor: pointer; text-decoration: none; display: inline-block; margin: 0.2rem 0.4rem 0.2rem 0; }
button.secondary { background: #5b6472; }
.choice { border: 1px solid #c9d1dc; border-radius: 0.5rem; padding: 1rem; margin: 0.8rem 0; }
.qr svg { width: 15rem; height: 15rem; }
dt { font-weight: bold; margin-top: 0.6rem; }
dd { margin: 0.2rem 0 0; }
.done { color: #14532d; }
.refused { color: #a11; }
.note { color: #5b6472; font-size: 0.9rem; }
.large dd { font-size: 1.6rem; }
.portrait { width: 14rem; border: 1px solid #c9d1dc; border-radius: 0.4rem; }
video { width: 100%; max-height: 18rem; background: #000; }
`;

/** A page of the site, in Japanese. */
export function page(site: Site, title: string, body: Body): Body {
  return html`<!doctype html>
    <html lang="ja">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} — ${site.name}</title>
        <style>
          :root { --brand: ${site.colour}; }
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        <header>
          <span class="name">${site.name}</span>
          ${site.nav.map((link) => html`<a href="${link.href}">${link.label}</a>`)}
        </header>
        <main>${body}</main>
      </body>
    </html>`;
}

/** The site's answer to an address it does not have (404): a page in Japanese, like every other page. */
export function answerNotFound(app: Hono, site: Site): void {
  app.notFound((c) =>
    c.html(
      page(
        site,
        'ページが見つかりません',
        html`<h1>ページが見つかりません</h1>
          <p>お探しのページは見つかりませんでした。お手続きの期限が過ぎたか、アドレスが違う可能性があります。</p>
          <p><a href="/">トップへ戻る</a></p>`,
      ),
      404,
    ),
  );
}

/**
 * The cross-device QR code and the same-device link of a verifier request, and a script that polls
 * `statusPath` until the state is no longer `waiting` (showing its notice meanwhile, if any), then goes
 * to `resultPath`.
 */
export function phoneRequest(
  created: { readonly link: string; readonly qrSvg: string },
  walletUrl: string,
  paths: { readonly status: string; readonly result: string },
): Body {
  const link = `${walletUrl}/${new URL(created.link).search}`;
  return html`<p>スマートフォンのウォレットでこのQRコードを読み取ってください。</p>
    <div class="qr" data-testid="qr" data-link="${created.link}" role="img" aria-label="ウォレットで読み取るQRコード">
      ${raw(created.qrSvg)}
    </div>
    <p>
      このスマートフォンでお使いの方は次のリンクを開くか、コピーしてウォレットの「読み取る・開く」に貼り付けてください。
    </p>
    <p style="word-break: break-all"><a data-testid="same-device" id="same-device" href="${link}">${link}</a></p>
    <button type="button" class="secondary" data-testid="copy-link" id="copy-link">リンクをコピー</button>
    <p data-testid="waiting">スマートフォンでの操作をお待ちしています…</p>
    <p data-testid="notice" id="notice" class="refused" hidden></p>
    <script>
      document.getElementById('copy-link').addEventListener('click', async (event) => {
        const link = document.getElementById('same-device');
        try {
          await navigator.clipboard.writeText(link.href);
          event.target.textContent = 'コピーしました';
        } catch {
          // No clipboard outside a secure context (a LAN address): select the link to copy by hand.
          getSelection().selectAllChildren(link);
        }
      });
      const poll = async () => {
        const state = await (await fetch(${raw(JSON.stringify(paths.status))})).json();
        if (state.state === 'waiting') {
          const notice = document.getElementById('notice');
          notice.hidden = !state.notice;
          notice.textContent = state.notice ?? '';
          // The phone gave up: no longer "waiting", though a later answer of the holder's still counts.
          document.querySelector('[data-testid=waiting]').hidden = !!state.stopped;
          return setTimeout(poll, 1000);
        }
        location.href = ${raw(JSON.stringify(paths.result))};
      };
      poll();
    </script>`;
}
