/** What the person is told for each way a request can be refused (the verifier's deciding check, or ours). */
export const REFUSALS: Record<string, string> = {
  'wallet.response': 'スマホで中止されました。もう一度読み取ると、続けられます。',
  'presentation.expired':
    'お手続きの時間（5分）が過ぎました。もう一度お試しください。暗証番号がロックされた場合は、マイナンバーカードで設定し直してからお試しください。',
  'session.response': 'スマートフォンで提供がキャンセルされたか、時間内に応答がありませんでした。',
  'kenhojo.binding': 'マイナンバーの記録と署名用電子証明書の本人が一致しませんでした。',
  'jpki.replay': 'この署名はすでに使われています。',
  'account.exists': 'このマイナンバーカードではすでに口座が開設されています。「スマホでログイン」からお入りください。',
  'account.unknown': 'このスマートフォンの電子証明書で開設された口座が見つかりません。',
};

const REVOKED =
  'スマートフォンの電子証明書またはマイナンバーカードの情報が失効または一時停止しています。スマートフォンの利用を止めた場合は、カードで設定し直してください。';

/**
 * The words for a refusal. Every revocation check (`certificate[n].revocation` of a JPKI chain, the
 * mdoc's `status.revocation`) reads as revoked; an unexpected check is named as it is.
 */
export const refusalText = (check: string | null): string =>
  check?.endsWith('.revocation')
    ? REVOKED
    : (REFUSALS[check ?? ''] ?? `本人確認ができませんでした（${check ?? '不明'}）。`);

/**
 * A flow's state for the page that waits on the phone. While it waits, an answer the verifier did not
 * accept is told as a notice, not as the end: anyone who saw the QR code could have sent it, so the
 * request stays open for the holder's own answer. The wallet giving up (declined, or a PIN locked: an
 * OpenID4VP error response, unsigned by nature) is `stopped`: the page stops saying it waits, and still
 * follows the holder's answer if one comes.
 */
export const waitingState = (state: string, rejected: string | undefined) =>
  state !== 'waiting' || !rejected
    ? { state }
    : rejected === 'wallet.response'
      ? { state, notice: refusalText(rejected), stopped: true }
      : { state, notice: `${refusalText(rejected)}（お待ちしています）` };

export const SEX: Record<string, string> = { '1': '男', '2': '女', '9': '適用不能', '0': '不明' };

export function maskMyNumber(myNumber: string): string {
  return `********${myNumber.slice(-4)}`;
}
