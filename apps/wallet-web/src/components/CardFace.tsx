import { base64Encode } from '@openmyna/core';
import type { HolderSummary } from '@openmyna/wallet';

import { useMessages, type PrintedDate } from '../i18n.js';

/**
 * The front of the holder's マイナンバーカード as the card prints it (ID-1, 85.60 × 53.98 mm): 氏名 and 住所 on
 * the left, 生年月日 and 性別 on one line, 有効期限, the photo on the right. The 臓器提供意思 area is left out.
 */
export function CardFace(props: { readonly holder: HolderSummary }) {
  const t = useMessages();
  const { holder } = props;
  const dates = printedDates(holder);
  return (
    <article className="card-face" data-testid="card-face">
      <div className="card-print">
        <h2 className="card-title">{t.cardTitle}</h2>
        <dl className="card-fields">
          <div className="card-name">
            <dt>{t.cardName}</dt>
            <dd className="name" data-testid="holder-name">
              {holder.name}
            </dd>
          </div>
          <div className="card-address">
            <dt>{t.cardAddress}</dt>
            <dd>{holder.address}</dd>
          </div>
        </dl>
        <p className="card-birth">
          <span>{t.cardBorn(dates.birth)}</span>
          <span>
            <span className="card-label">{t.cardSex}</span> {holder.sex}
          </span>
        </p>
        <p className="card-expiry">{t.cardValidUntil(dates.expiry)}</p>
        {holder.portrait.length > 0 && (
          <img src={`data:image/jpeg;base64,${base64Encode(holder.portrait)}`} alt={t.cardPhoto} className="portrait" />
        )}
      </div>
    </article>
  );
}

/**
 * The card's two dates as it prints them, kept here in one place: 生年月日 in 和暦 with the month and day
 * padded to two places (「昭和60年 3月 5日」), 有効期限 in 西暦 as the newer cards print it (「2036年03月27日」).
 */
function printedDates(holder: HolderSummary): { readonly birth: string; readonly expiry: PrintedDate } {
  const birth = holder.birthDate.replace(/(年|月)(\d)(?=[月日])/gu, '$1 $2');
  const [year = '', month = '', day = ''] = holder.cardExpiry.split('-');
  return { birth, expiry: { year, month, day } };
}
