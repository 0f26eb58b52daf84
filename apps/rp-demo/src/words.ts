import { formatJapanDate, formatJapanTime, parseIsoDate } from '@openmyna/core';
import { itemLabel, verificationMethodLabel } from '@openmyna/mdoc';

/** A verification record as the firm shows it: when, in 日本時間, and the method in words. */
export function verificationText(record: { readonly method?: string; readonly verifiedAt?: string }): string {
  const method = verificationMethodLabel(record.method ?? '');
  return record.verifiedAt ? `${formatJapanTime(new Date(record.verifiedAt))} ${method}` : method;
}

/** A card date (`1980-02-17`) as the card prints it, in 和暦; text in another form is shown as it is. */
export function cardDateText(text: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? formatJapanDate(parseIsoDate(text)) : text;
}

/**
 * The card's expiry (`2036-03-27`) as the card prints it: in 西暦 (「2036年3月27日」), the one date on the
 * card not in 和暦 (the Digital Agency's 2023-10-05 document: 「有効期限西暦部分4桁」).
 */
export function cardExpiryText(text: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return match ? `${match[1]}年${Number(match[2])}月${Number(match[3])}日` : text;
}

/** Element identifiers (`full_name_unicode`, …) by their Japanese names. */
export function itemsText(names: readonly string[]): string {
  return names.map((name) => itemLabel(name)).join('、');
}
