// axe-core as the specs run it: WCAG 2.0 and 2.1 A and AA plus axe's best
// practices, in the light and the dark colour scheme; no rule switched off.
// accessibility.spec.ts walks every page; the flows that reach a state no
// walk can (the second sign-in step, Reporting locked by the PIN) audit it
// where they are.
import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const SCHEMES = ['light', 'dark'] as const;

/** Runs axe on the page as it is now, in the light and then the dark
 * scheme (same page, only the media query changes); a violation fails the
 * test (softly, so one run lists every page's) with each rule, its help and
 * the nodes. */
export async function audit(page: Page, what: string) {
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
    const said = violations
      .map((v) => `  ${v.id} (${v.impact}): ${v.help}\n` + v.nodes.map((n) => `    ${n.target.join(' ')}\n      ${n.failureSummary?.replace(/\n/g, '\n      ')}`).join('\n'))
      .join('\n');
    expect.soft(violations.map((v) => v.id), `axe on ${what}, ${scheme}:\n${said}`).toEqual([]);
  }
}

