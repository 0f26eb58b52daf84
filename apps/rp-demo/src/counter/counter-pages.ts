import { formatJapanTime } from '@openmyna/core';
import { html, raw } from 'hono/html';

import { page, type Site } from '../layout.js';
import { itemsText, verificationText } from '../words.js';

/** The clerk's first page: the phone's engagement QR, read by the camera (jsQR) or pasted. */
export function engagementPage(site: Site) {
  return page(
    site,
    '窓口での本人確認',
    html`<h1>窓口での本人確認</h1>
      <p>お客様にスマートフォンのウォレットで「対面で提示」を開いてもらい、表示されたQRコードを読み取ります。</p>
      <button type="button" id="scan" class="secondary" data-testid="scan">カメラで読み取る</button>
      <video id="camera" muted playsinline hidden aria-label="カメラの映像"></video>
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
  );
}

/** Waits for the phone's answer, then shows the verified person once, large, for the comparison. */
export function waitingPage(site: Site, id: string) {
  return page(
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
        <form method="post" action="./${id}/record">
          <button type="submit" name="decision" value="match" data-testid="record-match">本人と確認しました</button>
          <button type="submit" name="decision" value="mismatch" class="secondary">一致しません</button>
        </form>
      </div>
      <p id="outcome" class="refused" hidden data-testid="refused"></p>
      ${waitingScript(id)}`,
  );
}

/** Polls the check's status and shows the person, or why there is none. */
function waitingScript(id: string) {
  return html`<script>
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
      const state = await (await fetch('./${raw(id)}/status')).json();
      if (state.state === 'waiting') return setTimeout(poll, 1000);
      document.getElementById('waiting').hidden = true;
      if (state.person) return show(state.person);
      const outcome = document.getElementById('outcome');
      outcome.textContent = state.message;
      outcome.hidden = false;
    };
    poll();
  </script>`;
}

/** The record kept: when, which items, how they were verified, and the clerk's decision. */
export function recordedPage(
  site: Site,
  record: {
    readonly at: string;
    readonly elements: string;
    readonly verification: string | null;
    readonly decision: 'match' | 'mismatch';
  },
) {
  const { at, decision } = record;
  const records = JSON.parse(record.verification ?? '[]') as { method?: string; verifiedAt?: string }[];
  return page(
    site,
    '確認を記録しました',
    html`<h1 class="done" data-testid="recorded">確認を記録しました</h1>
      <dl>
        <dt>確認日時</dt>
        <dd>${formatJapanTime(new Date(at))}</dd>
        <dt>確認した項目</dt>
        <dd>${itemsText(JSON.parse(record.elements) as string[])}</dd>
        <dt>検証</dt>
        <dd>${records.map((record) => html`<div>${verificationText(record)}</div>`)}</dd>
        <dt>担当者の確認</dt>
        <dd data-testid="decision">${decision === 'match' ? '本人と一致' : '一致せず'}</dd>
      </dl>
      <p class="note">顔写真・氏名・住所などの値は保存していません。</p>
      <a class="button" href="../../counter">次のお客様</a>`,
  );
}
