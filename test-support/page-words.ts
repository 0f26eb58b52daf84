import { LABELS } from '@openmyna/mdoc';
import type { Page } from 'playwright-core';

/** Every identifier the label table names: a person reads its label, never the identifier. */
const IDENTIFIERS = new Set(Object.values(LABELS).flatMap((table) => Object.keys(table)));

/**
 * An ISO 8601 timestamp (`2026-12-03T08:17:38.943Z`) or date (`2036-03-27`), which a page a person reads
 * never shows: times are in 日本時間, card dates as the card prints them.
 */
const ISO_TIMESTAMP = /(?<![\d-])\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}[^\s]*)?(?![\d-])/g;

/** A snake_case identifier (`family_name_latin`), labelled or not. */
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;

/** Links a page shows to be copied or followed (the same-device link, an engagement URI): not prose. */
const LINKS = /\b(?:https?|openid4vp|mdoc):\S+/g;

/**
 * What in `text` a person should not have to read: identifiers of the label table, namespaced element
 * names (`org.iso.23220.1.jp:portrait`) and ISO timestamps. A token is a run of `[A-Za-z0-9_.:-]`.
 * Identifiers that are plain English words (`portrait`, `sex`, `mdoc`) count only in Japanese text
 * (`language` `ja`), where they are jargon; in English text they may be words.
 */
export function pageWordOffenders(text: string, language = 'ja'): string[] {
  const prose = text.replace(LINKS, ' ');
  const offenders = new Set<string>(prose.match(ISO_TIMESTAMP) ?? []);
  for (const token of prose.match(/[A-Za-z0-9_.:-]+/g) ?? []) {
    const word = token.replace(/^\.+|\.+$/g, '');
    const shaped = /[_.:-]/.test(word);
    if (
      word.startsWith('org.iso.') ||
      SNAKE_CASE.test(word) ||
      (IDENTIFIERS.has(word) && (shaped || language.startsWith('ja')))
    )
      offenders.add(word);
  }
  return [...offenders];
}

/**
 * Fails when what the rendered page shows (its visible text, title, aria-labels and image alt texts)
 * contains an element identifier or an ISO timestamp or date, listing each offender.
 *
 * @example
 * ```ts
 * await expectPageWords(page); // before each screenshot
 * ```
 */
export async function expectPageWords(page: Page): Promise<void> {
  // What a person reads or hears: the visible text, the title, and the names given to images and controls.
  const { text, language } = await page.evaluate(() => ({
    text: [
      document.title,
      document.body.innerText,
      ...Array.from(document.querySelectorAll('[aria-label], img[alt]'), (element) =>
        [element.getAttribute('aria-label'), element.getAttribute('alt')].filter(Boolean).join(' '),
      ),
    ].join('\n'),
    language: document.documentElement.lang,
  }));
  const offenders = pageWordOffenders(text, language);
  if (offenders.length > 0)
    throw new Error(`${page.url()} shows identifiers or ISO timestamps: ${offenders.join(', ')}`);
}
