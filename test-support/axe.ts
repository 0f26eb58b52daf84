import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import type { AxeResults } from 'axe-core';
import type { Page } from 'playwright-core';

/** axe-core's browser bundle, read once from the installed package (nothing is fetched at run time). */
let axeSource: string | undefined;
const loadAxeSource = () =>
  (axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

/** The impacts that fail a screen: WCAG failures a person meets, not best-practice hints. */
const FAILING_IMPACTS: readonly string[] = ['serious', 'critical'];

/**
 * Runs axe-core (Deque) on what `page` shows now and throws an error listing every violation of impact
 * 'serious' or 'critical' — rule, element and what to fix — naming the screen `screen`. The script is
 * evaluated through the DevTools protocol, so a page's Content-Security-Policy does not stop it.
 *
 * @example
 * ```ts
 * await page.goto(url);
 * await expectAccessible(page, '01-empty');
 * ```
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  // Always our own copy: a page's `window.axe` (or an element with id "axe") must not stand in for it.
  await page.evaluate(loadAxeSource());
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, {
      resultTypes: ['violations'],
    }),
  );
  if (results?.testEngine?.name !== 'axe-core' || !Array.isArray(results.violations))
    throw new Error(`axe-core did not run on ${screen}: no results from its engine`);
  const failures = results.violations
    .filter((violation) => FAILING_IMPACTS.includes(violation.impact ?? ''))
    .flatMap((violation) =>
      violation.nodes.map(
        (node) =>
          `- ${violation.id} (${violation.impact}) at ${node.target.join(' ')}: ${
            node.failureSummary?.replace(/\s+/g, ' ') ?? violation.help
          }`,
      ),
    );
  if (failures.length > 0)
    throw new Error(
      `axe-core: ${failures.length} serious or critical violation(s) on ${screen}:\n${failures.join('\n')}`,
    );
}
