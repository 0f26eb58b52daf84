import { digestHex, type ConsentView } from '@openmyna/wallet';

const FORMAT_LABEL: Record<string, string> = {
  jpki_sign: '電子署名 (JPKI signature over the document)',
  jpki_auth: 'ログイン (JPKI authentication)',
  'kenhojo:my_number': 'マイナンバー (入力補助AP record)',
  'kenhojo:basic_four_info': '基本4情報 (入力補助AP record)',
};

/** The consent screen as text: who asks, why, each item, retention, the My Number decision. */
export function describeConsent(view: ConsentView): string {
  const lines = [
    view.requester.verified
      ? `要求元 (requester): ${view.requester.name ?? '(no name)'} — verified by its certificate`
      : `要求元 (requester): NOT VERIFIED — ${view.requester.warning ?? ''}`,
  ];
  if (view.purpose) lines.push(`目的 (purpose): ${view.purpose}`);
  if (view.document)
    lines.push(`署名する文書 (document): ${view.document.title} (${view.document.bytes.length} bytes)`);
  if (view.digest)
    lines.push(
      `署名する文書 (document): ${view.digest.title}`,
      `  SHA-256${view.digest.digestInfo ? ' (DigestInfo)' : ''}: ${digestHex(view.digest)}`,
    );
  lines.push('項目 (items):');
  for (const item of view.items) {
    const label = FORMAT_LABEL[item.name] ?? item.elementIdentifier ?? item.name;
    const retained = item.retain ? ', kept by the requester' : '';
    lines.push(
      item.release ? `  ✓ ${label}${retained}` : `  ✗ ${label} — not sent (${item.withheldBecause ?? 'withheld'})`,
    );
  }
  if (view.myNumber.requested)
    lines.push(
      view.myNumber.allowed
        ? 'マイナンバー: this requester is registered to receive it'
        : 'マイナンバー: this requester may NOT receive it; it will not be sent',
    );
  lines.push(`Needs: ${view.secrets.join(', ') || 'nothing'}`);
  return `${lines.join('\n')}\n`;
}
