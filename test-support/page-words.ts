import { LABELS } from '@openmyna/mdoc';
import type { Page } from 'playwright-core';

/** Every identifier the label table names: a person reads its label, never the identifier. */
const IDENTIFIERS = new Set(Object.values(LABELS).flatMap((table) => Object.keys(table)));

/** An ISO 8601 timestamp (`2026-12-03T08:17:38.943Z`), which a page a person reads never shows. */
const ISO_TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[^\s]*/g;

/**
 * What in `text` a person should not have to read: identifiers of the label table, namespaced element
 * names (`org.iso.23220.1.jp:portrait`) and ISO timestamps. A token is a run of `[A-Za-z0-9_.:-]`.
 * Identifiers that are plain English words (`portrait`, `sex`, `mdoc`) count only in Japanese text
 * (`language` `ja`), where they are jargon; in English text they may be words.
 */
export function pageWordOffenders(text: string, language = 'ja'): string[] {
  const offenders = new Set<string>(text.match(ISO_TIMESTAMP) ?? []);
  for (const token of text.match(/[A-Za-z0-9_.:-]+/g) ?? []) {
    const word = token.replace(/^\.+|\.+$/g, '');
    const shaped = /[_.:-]/.test(word);
    if (word.startsWith('org.iso.') || (IDENTIFIERS.has(word) && (shaped || language.startsWith('ja'))))
      offenders.add(word);
  }
  return [...offenders];
}

/**
 * Fails when the rendered page's visible text (`document.body.innerText`) contains an element
 * identifier or an ISO timestamp, listing each offender.
 *
 * @example
 * ```ts
 * await expectPageWords(page); // before each screenshot
 * ```
 */
export async function expectPageWords(page: Page): Promise<void> {
  const { text, language } = await page.evaluate(() => ({
    text: document.body.innerText,
    language: document.documentElement.lang,
  }));
  const offenders = pageWordOffenders(text, language);
  if (offenders.length > 0)
    throw new Error(`${page.url()} shows identifiers or ISO timestamps: ${offenders.join(', ')}`);
}
